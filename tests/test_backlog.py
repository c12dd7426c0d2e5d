"""Under a backlog of pages, the article whose feed title already matches a rule is extracted
first: a likely alert does not wait behind pages that will not match. Real site, real workers."""

import asyncio
import threading
from datetime import UTC, datetime

import pytest

from monitor.config import FeedConfig, StorySettings, load_rules_file
from monitor.extract import extract_page, warm_up
from monitor.fetch import Fetcher, Limits
from monitor.model import Extracted
from monitor.netguard import AddressPolicy
from monitor.pipeline import Pipeline
from monitor.site import send
from monitor.store import Store
from monitor.workers import DEPTH, ProcessPool
from tests.helpers import sleep_then, wait_for_file

NOW = datetime(2026, 11, 22, tzinfo=UTC)
RULES = "rules:\n  - id: exit\n    all: [التحالف الدولي, العراق]\n"
PAGE = (
    "<html><body><article><h1>{t}</h1><p>{t}. نص طويل بما يكفي ليكون مقالا كاملا عن الخبر وتفاصيله، "
    "فيه جمل عدة عن الطقس والاقتصاد والرياضة في المدينة اليوم.</p></article></body></html>"
)
TITLES = [f"أخبار الطقس والرياضة {n}" for n in range(5)] + ["التحالف الدولي ينهي مهمته في العراق"]


def _site_feed(site, name: str) -> str:
    """Serve TITLES as a feed at /<name>.xml, each item's page at /<name>/<n>.html; its URL."""
    items = "".join(
        f"<item><title>{t}</title><link>{site.url(f'/{name}/{n}.html')}</link></item>"
        for n, t in enumerate(TITLES)
    )
    site.routes[f"/{name}.xml"] = lambda h: send(
        h,
        200,
        f'<rss version="2.0"><channel><title>t</title>{items}</channel></rss>'.encode(),
        "application/rss+xml",
    )
    for n, t in enumerate(TITLES):
        site.routes[f"/{name}/{n}.html"] = lambda h, t=t: send(h, 200, PAGE.format(t=t).encode(), "text/html")
    return site.url(f"/{name}.xml")


def test_a_likely_alert_is_extracted_before_the_backlog(site, tmp_path):
    _site_feed(site, "backlog")
    rules = tmp_path / "rules.yaml"
    rules.write_text(RULES, encoding="utf-8")
    ruleset = load_rules_file(rules)
    store = Store(f"sqlite:///{tmp_path / 'x.db'}")
    store.create()
    store.sync_feeds([("f", site.url("/backlog.xml"))])
    free = tmp_path / "free"
    order: list[str] = []

    async def go():
        pool = ProcessPool(1, deadline=600, warmup=warm_up)
        fetcher = Fetcher(Limits(timeout=60), policy=AddressPolicy(["127.0.0.0/8"]))

        async def extract(page: bytes, url: str, metadata: bool = True, summary: str = ""):
            result = await pool.run(extract_page, page, url, metadata, summary)
            order.append(url.rsplit("/", 1)[-1])
            return result

        try:
            blocker = asyncio.create_task(pool.run(wait_for_file, str(free), 300))  # a backlog ahead
            # and the job handed to the worker after it (a worker holds DEPTH jobs)
            handed = [asyncio.create_task(pool.run(sleep_then, "x", 0)) for _ in range(DEPTH - 1)]
            while pool._places.waiting or pool._slots[0].jobs < DEPTH:
                await asyncio.sleep(0.01)
            pipeline = Pipeline(store, fetcher, extract, 10**6, 10**6, lambda: NOW)
            poll = asyncio.create_task(
                pipeline.poll(FeedConfig(name="f", url=site.url("/backlog.xml")), ruleset)
            )
            while pool._places.waiting < len(TITLES):  # every page fetched and waiting for the worker
                await asyncio.sleep(0.01)
            free.touch()
            await asyncio.gather(blocker, *handed)
            return await poll
        finally:
            pool.close()
            await fetcher.aclose()

    report = asyncio.run(go())
    assert report.new == 6 and report.matched == 1
    assert order[0] == "5.html"  # the matching article, last in the feed, went first
    store.close()


@pytest.mark.parametrize(
    ("feed_units", "let_in"),
    [(1, 3), (3, 1)],  # a feed weighs feed_units until its two new items are known
)
def test_feeds_wait_while_the_backlog_they_would_add_to_is_full(site, tmp_path, feed_units, let_in):
    """Memory must not grow with the news that arrived while Rasad was down: while ``backlog``
    feeds and new articles are outstanding, no further feed is fetched; each finished article lets
    one more in, and every feed is polled in the end."""
    feeds = [FeedConfig(name=f"f{n}", url=site.url(f"/held{n}.xml")) for n in range(5)]
    for n in range(len(feeds)):
        items = "".join(
            f"<item><title>خبر {n}-{k}</title><link>{site.url(f'/held/{n}-{k}.html')}</link></item>"
            for k in range(2)
        )
        site.routes[f"/held{n}.xml"] = lambda h, items=items: send(
            h,
            200,
            f'<rss version="2.0"><channel><title>t</title>{items}</channel></rss>'.encode(),
            "text/xml",
        )
        for k in range(2):
            site.routes[f"/held/{n}-{k}.html"] = lambda h: send(
                h, 200, PAGE.format(t="خبر").encode(), "text/html"
            )
    rules = tmp_path / "rules.yaml"
    rules.write_text(RULES, encoding="utf-8")
    ruleset = load_rules_file(rules)
    store = Store(f"sqlite:///{tmp_path / 'x.db'}")
    store.create()
    store.sync_feeds([(f.name, f.url) for f in feeds])

    async def go():
        release = asyncio.Event()
        held: list[str] = []

        async def extract(page: bytes, url: str, metadata: bool = True, summary: str = ""):
            held.append(url)
            await release.wait()  # the pages' extraction is the backlog
            return Extracted(title="خبر", body="نص الخبر", published=None)

        async with Fetcher(Limits(timeout=60), policy=AddressPolicy(["127.0.0.0/8"])) as fetcher:
            pipeline = Pipeline(
                store, fetcher, extract, 10**6, 10**6, lambda: NOW, backlog=3, feed_units=feed_units
            )
            polls = asyncio.gather(*(pipeline.poll(f, ruleset) for f in feeds))
            while len(held) < 2 * let_in:  # the feeds let in have taken on their two articles each
                await asyncio.sleep(0.01)
            fetched = sorted(
                r.path for r in site.requests if r.path.startswith("/held") and r.path.endswith(".xml")
            )
            release.set()
            return fetched, await polls

    fetched, reports = asyncio.run(go())
    assert fetched == [f"/held{n}.xml" for n in range(let_in)]  # the others waited
    assert [(r.status, r.new) for r in reports] == [("ok", 2)] * 5  # and were polled once there was room
    assert (
        len(store.known_keys([f"{site.url('/held/')}{n}-{k}.html" for n in range(5) for k in range(2)])) == 10
    )
    store.close()


class _HeldStoryDesk(Store):
    """A store whose story desk reads wait until ``free`` is set: a slow story decision."""

    def __init__(self, url: str, free: threading.Event) -> None:
        super().__init__(url)
        self.free = free

    def story_candidates(self, since, after=0):  # type: ignore[no-untyped-def]
        assert self.free.wait(120), "never released"  # only a guard against a hang
        return super().story_candidates(since, after)


def test_a_matched_article_waiting_for_the_story_desk_holds_no_page_slot(site, tmp_path):
    """Matched articles are decided one at a time (a story is started once); while one waits for
    that, the pages behind it are fetched, extracted and stored: with one slot for pages, the five
    other articles are stored before the matched one's story decision is let through."""
    _site_feed(site, "held")
    rules = tmp_path / "rules.yaml"
    rules.write_text(RULES, encoding="utf-8")
    ruleset = load_rules_file(rules)
    free = threading.Event()
    store = _HeldStoryDesk(f"sqlite:///{tmp_path / 'x.db'}", free)
    store.create()
    store.sync_feeds([("f", site.url("/held.xml"))])

    async def go():
        fetcher = Fetcher(Limits(timeout=60), policy=AddressPolicy(["127.0.0.0/8"]))

        async def extract(page: bytes, url: str, metadata: bool = True, summary: str = ""):
            return extract_page(page, url, metadata, summary)

        try:
            pipeline = Pipeline(
                store, fetcher, extract, 10**6, 10**6, lambda: NOW, stories=StorySettings(), in_flight=1
            )
            poll = asyncio.create_task(
                pipeline.poll(FeedConfig(name="f", url=site.url("/held.xml")), ruleset)
            )
            while store.count_articles() < len(TITLES) - 1:  # the others, stored meanwhile
                assert not poll.done(), poll
                await asyncio.sleep(0.01)
            free.set()
            return await poll
        finally:
            free.set()
            await fetcher.aclose()

    report = asyncio.run(go())
    assert report.new == 6 and report.matched == 1
    stored = [a.title for a, _ in store.articles()]
    assert len(stored) == 6 and TITLES[-1] in stored
    store.close()


def test_a_slow_site_does_not_hold_up_the_pages_of_the_others(site, tmp_path):
    """One place for pages, one connection per host. The first feed's site holds its first page
    (a slow site); its other pages wait for that host's connection, and take no place meanwhile:
    the second feed's page, on another site, is fetched, extracted and stored before the slow
    page is let through. (Places taken before fetching went to the first feed's articles, in
    order, and the second site's page waited for the slow one.)"""
    from monitor.site import Site

    slow_titles = TITLES[:3]
    release = threading.Event()
    items = "".join(
        f"<item><title>{t}</title><link>{site.url(f'/slow/{n}.html')}</link></item>"
        for n, t in enumerate(slow_titles)
    )
    site.routes["/slow.xml"] = lambda h: send(
        h,
        200,
        f'<rss version="2.0"><channel><title>t</title>{items}</channel></rss>'.encode(),
        "application/rss+xml",
    )

    def held(h, t):  # type: ignore[no-untyped-def]
        assert release.wait(120), "never released"  # only a guard against a hang
        send(h, 200, PAGE.format(t=t).encode(), "text/html")

    for n, t in enumerate(slow_titles):
        site.routes[f"/slow/{n}.html"] = lambda h, t=t: held(h, t)
    rules = tmp_path / "rules.yaml"
    rules.write_text(RULES, encoding="utf-8")
    ruleset = load_rules_file(rules)
    store = Store(f"sqlite:///{tmp_path / 'x.db'}")
    store.create()

    with Site(tmp_path, host="127.0.0.2") as other:
        other.routes["/other.xml"] = lambda h: send(
            h,
            200,
            f'<rss version="2.0"><channel><title>t</title><item><title>{TITLES[-1]}</title>'
            f"<link>{other.url('/other/0.html')}</link></item></channel></rss>".encode(),
            "application/rss+xml",
        )
        other.routes["/other/0.html"] = lambda h: send(
            h, 200, PAGE.format(t=TITLES[-1]).encode(), "text/html"
        )
        feeds = [
            FeedConfig(name="slow", url=site.url("/slow.xml")),
            FeedConfig(name="other", url=other.url("/other.xml")),
        ]
        store.sync_feeds([(f.name, f.url) for f in feeds])

        async def go():
            fetcher = Fetcher(Limits(timeout=600, per_host=1), policy=AddressPolicy(["127.0.0.0/8"]))

            async def extract(page: bytes, url: str, metadata: bool = True, summary: str = ""):
                return extract_page(page, url, metadata, summary)

            try:
                pipeline = Pipeline(store, fetcher, extract, 10**6, 10**6, lambda: NOW, in_flight=1)
                polls = asyncio.gather(*(pipeline.poll(f, ruleset) for f in feeds))
                while store.count_articles() < 1:  # the other site's article, stored meanwhile
                    assert not polls.done(), polls
                    await asyncio.sleep(0.01)
                stored_first = [a.title for a, _ in store.articles()]
                slow_pages_asked = sum(r.path.startswith("/slow/") for r in site.requests)
                release.set()
                return stored_first, slow_pages_asked, await polls
            finally:
                release.set()
                await fetcher.aclose()

        stored_first, slow_pages_asked, reports = asyncio.run(go())
    assert stored_first == [TITLES[-1]]
    assert slow_pages_asked == 1  # the slow host's cap held: its other pages waited
    assert [(r.new, r.matched) for r in reports] == [(3, 0), (1, 1)]
    assert store.count_articles() == 4
    store.close()
