"""Text the CLI prints: matches with highlighted snippets, feed health, deliveries (pure)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from monitor.explain import Explanation
from monitor.model import Article, Match
from monitor.snippet import Segment, snippet
from monitor.store import Delivery, FeedStatus, StoredMatch

BOLD_YELLOW, RESET = "\x1b[1;33m", "\x1b[0m"


def highlight(segs: Sequence[Segment], color: bool) -> str:
    left, right = (BOLD_YELLOW, RESET) if color else ("«", "»")
    return "".join(f"{left}{t}{right}" if m else t for t, m in segs).strip()


def when(dt: datetime | None, now: datetime | None = None) -> str:
    if dt is None:
        return "never"
    text = dt.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")  # a page's date keeps its own offset
    if now is not None:
        secs = int((now - dt).total_seconds())
        ago = (
            f"{secs}s"
            if secs < 120
            else f"{secs // 60}m"
            if secs < 7200
            else f"{secs // 3600}h"
            if secs < 172800
            else f"{secs // 86400}d"
        )
        text += f" ({ago} ago)"
    return text


def format_article_matches(
    article: Article,
    matches: Sequence[Match],
    *,
    index: int | None = None,
    color: bool = False,
    extra: str = "",
) -> str:
    head = f"[{index}] " if index is not None else ""
    lines = [
        f"{head}{article.title}",
        f"    {article.source} · {when(article.published)} · {article.url}{extra}",
    ]
    if article.extraction != "trafilatura":
        lines.append(f"    (body is the feed summary: {article.extraction})")
    for m in matches:
        lines.append(f"    ✓ {m.rule_id} (score {m.score:g}): {'، '.join(m.terms)}")
        lines.append(f"      {highlight(snippet(article, m.hits), color)}")
    return "\n".join(lines) + "\n"


def format_match(stored: Sequence[StoredMatch], *, index: int | None = None, color: bool = False) -> str:
    """All matches of one stored article."""
    article = stored[0].article
    ms = [Match(s.rule_id, s.score, s.hits) for s in stored]
    deliveries = sorted({f"{c}:{st}" for s in stored for c, st in s.deliveries})
    extra = f"\n    alerts: {', '.join(deliveries)}" if deliveries else ""
    story, note = stored[0].story_id, stored[0].story
    alone = note is not None and len(note.outlets) <= 1 and note.score is None
    if story is not None and not alone:  # a story of one article is just an article
        extra += f"\n    story #{story}" + ("" if deliveries else " (attached: the story alerted already)")
        if note is not None:
            if len(note.outlets) > 1:
                extra += f" · reported by {len(note.outlets)} outlets: {'، '.join(note.outlets)}"
            if note.score is not None:
                extra += f"\n    joined it: similarity {note.score:.2f}"
                if note.shared:
                    extra += f"; shared words: {'، '.join(note.shared[:6])}"
                for passage in note.passages:
                    extra += f"\n      shared passage: «{passage}»"
    return format_article_matches(article, ms, index=index, color=color, extra=extra)


def table(rows: Sequence[Sequence[str]], header: Sequence[str]) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    out = ["  ".join(str(h).ljust(w) for h, w in zip(header, widths, strict=True)).rstrip()]
    for r in rows:
        out.append("  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())
    return "\n".join(out) + "\n"


def format_feeds(
    feeds: Sequence[FeedStatus], now: datetime, every: Mapping[str, timedelta] | None = None
) -> str:
    """``every``: each configured feed's polling interval (fixed, or its cadence when adaptive)."""
    every = every or {}
    rows = [
        (
            f.name,
            f.status or "never polled",
            when(f.last_polled_at, now),
            _next(f.next_poll_at, now),
            _span(every.get(f.name)),
            _span(f.cadence),
            str(f.error_count),
            str(f.items),
            str(f.matches),
            (f.last_error or "")[:100],
        )
        for f in feeds
    ]
    return table(
        rows,
        (
            "FEED",
            "STATUS",
            "LAST POLL",
            "NEXT POLL",
            "EVERY",
            "CADENCE",
            "ERRORS",
            "ITEMS",
            "MATCHES",
            "LAST ERROR",
        ),
    )


def _span(delta: timedelta | None) -> str:
    """A polling interval or a cadence, to the minute (to the second under two minutes)."""
    if delta is None:
        return "-"
    secs = int(delta.total_seconds())
    if secs < 120:
        return f"{secs}s"
    return f"{secs // 60}m" if secs < 7200 else f"{secs // 3600}h{secs % 3600 // 60:02d}m"


def _next(at: datetime | None, now: datetime) -> str:
    if at is None or at <= now:
        return "due"
    secs = int((at - now).total_seconds())
    return f"in {secs}s" if secs < 120 else f"in {secs // 60}m" if secs < 7200 else f"in {secs // 3600}h"


def format_deliveries(deliveries: Sequence[Delivery], now: datetime) -> str:
    if not deliveries:
        return "no pending or dead-lettered deliveries\n"
    rows = [
        (
            str(d.id),
            d.channel,
            d.status,
            str(d.attempts),
            when(d.next_attempt_at, None) if d.status != "dead" else "-",
            d.match.rule_id + (" (follow-up)" if d.kind == "update" else ""),
            d.match.article.title[:50],
            (d.last_error or "")[:80],
        )
        for d in deliveries
    ]
    return table(
        rows, ("ID", "CHANNEL", "STATUS", "ATTEMPTS", "NEXT ATTEMPT", "RULE", "ARTICLE", "LAST ERROR")
    )


def format_explanation(e: Explanation) -> str:
    mark = "✓" if e.matched else "✗"
    head = f"  {mark} {e.rule_id}"
    if e.matched:
        head += f" (score {e.score:g})"
    elif e.reason:
        head += f" — {e.reason}"
    elif e.nearest_miss:
        head += f" — nearest miss: {e.nearest_miss}"
    lines = [head]
    for child in e.tree.get("children", ()):
        _tree_lines(child, 2, lines)
    return "\n".join(lines)


def _tree_lines(node: dict[str, Any], depth: int, out: list[str]) -> None:
    mark = "✓" if node["held"] else "✗"
    text = f"{'  ' * depth}{mark} {node['label']}"
    if node.get("found") and node["found"] != [node["label"]]:
        text += f": {'، '.join(node['found'][:8])}"
    elif node["kind"] == "mentions_date" and node.get("mentioned"):
        text += f" (mentioned: {'، '.join(node['mentioned'][:6])})"
    if node.get("scope"):
        text += f" — {node['scope']}"
    out.append(text)
    for child in node.get("children", ()):
        _tree_lines(child, depth + 1, out)
