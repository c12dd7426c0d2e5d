"""Benchmark: what story grouping costs a matched article, with a realistic store behind it.

    python benchmarks/bench_stories.py [--articles 5000] [--members 300] [--repeat 15]

A temporary SQLite store gets ``--articles`` recent articles (their content words and lead terms,
as the pipeline stores them) of which ``--members`` belong to stories; then a new matched article is
placed: compared with every story member within the window. "cold" includes reading the recent
articles' words to weigh rare words (done at most every 30 minutes); "warm" is every other article.
Figures are medians; the machine is shared, so compare ratios rather than absolute numbers.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from monitor.config import StorySettings  # noqa: E402
from monitor.model import Article, Match, TermHit  # noqa: E402
from monitor.store import Store, StoryLink  # noqa: E402
from monitor.stories import features, lead_terms  # noqa: E402
from monitor.storydesk import StoryDesk  # noqa: E402

NOW = datetime(2026, 11, 22, 12, tzinfo=UTC)


def seed_texts() -> list[tuple[str, str]]:
    out = []
    for p in sorted((ROOT / "seeds" / "golden").glob("*.txt")):
        title, _, rest = p.read_text(encoding="utf-8").partition("\n")
        out.append((title, rest.split("\n\n", 1)[1]))
    return out


def fill(store: Store, count: int, members: int, rng: random.Random) -> None:
    texts = seed_texts()
    paragraphs = [p for _, body in texts for p in body.split("\n") if len(p) > 80]
    store.sync_feeds([("outlet", "http://x.test/feed")])
    hit = (TermHit("العراق", "body", 0, "العراق"),)
    for i in range(count):
        body = "\n".join(rng.sample(paragraphs, k=6))
        title = rng.choice(paragraphs)[:90]
        when = NOW - timedelta(minutes=rng.randint(1, 60 * 24 * 6))
        art = Article(f"a{i}", f"https://x.example/{i}", f"outlet {i % 40}", title, "", body, when)
        story = i < members
        link = StoryLink(features(title, body), lead=lead_terms(title, body))
        store.save_article("outlet", art, [(Match("r", 1.0, hit), [])] if story else [], when, link)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=5000)
    parser.add_argument("--members", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    rng = random.Random(5)
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(f"sqlite:///{Path(tmp) / 'x.db'}")
        store.create()
        start = time.perf_counter()
        fill(store, args.articles, args.members, rng)
        print(
            f"store: {args.articles} recent articles, {args.members} in stories "
            f"(filled in {time.perf_counter() - start:.1f} s)"
        )
        desk = StoryDesk(store, StorySettings())
        title, body = seed_texts()[3]
        article = Article("new", "https://y.example/new", "another outlet", title, "", body, NOW)

        def place(cold: bool) -> float:
            if cold:  # read again from the store: the rarity table and the story members
                desk._rarity = desk._members_at = None
            t0 = time.perf_counter()
            asyncio.run(desk.link(article, True, NOW))
            return time.perf_counter() - t0

        cold = statistics.median(place(True) for _ in range(args.repeat))
        warm = statistics.median(place(False) for _ in range(args.repeat))
        print(
            f"placing a matched article: cold {cold * 1000:.1f} ms (reads the recent words), "
            f"warm {warm * 1000:.1f} ms"
        )
        store.close()


if __name__ == "__main__":
    main()
