"""Stored match → :class:`Alert`: subject, plain text, right-to-left HTML, Slack Block Kit (pure)."""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from alerts.base import Alert
from alerts.templates import Templates, slack_escape
from monitor.published import shown
from monitor.rules import article_dates
from monitor.snippet import plain, snippet
from monitor.store import Notice, StoredMatch

_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")


def one_line(text: str) -> str:
    """Every run of whitespace or control characters folded to one space; bidi overrides removed."""
    text = _BIDI_CONTROLS.sub("", text)
    text = "".join(" " if unicodedata.category(c) in ("Cc", "Zl", "Zp") or c.isspace() else c for c in text)
    return " ".join(text.split())


def _date(when: datetime | None) -> str:
    """A publication time as its source gave it, on the source's own day: ``2020-12-25 01:59
    UTC+02:00``, ``2020-12-01 02:00`` (no offset given), ``2020-06-03`` (a date alone). Midnight UTC
    to the second is a date alone too: that is how one was stored before its form was kept."""
    if when is None:
        return "date unknown"
    if not when.utcoffset() and (when.hour, when.minute, when.second, when.microsecond) == (0, 0, 0, 0):
        return when.strftime("%Y-%m-%d")
    return shown(when)


TITLE_MAX = 300  # characters of a title in an alert: a subject line, a Slack header (3,000 a block)
SOURCE_MAX = 80
RULE_MAX = 120
ALSO_MAX = 12  # outlets named in "also reported by"; the rest are counted


def clip(text: str, limit: int) -> str:
    """``text`` on one line, at most ``limit`` characters (an ellipsis marks a cut)."""
    text = one_line(text)
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def link(url: str) -> str:
    """``url`` when it may be a link in an alert (http or https, no spaces or controls), else ""."""
    url = url.strip()
    if not url.lower().startswith(("http://", "https://")) or len(url) > 2000:
        return ""
    if any(c.isspace() or unicodedata.category(c) in ("Cc", "Cf") for c in url):
        return ""
    return url


def _article_context(stored: StoredMatch, rule_name: str) -> dict[str, Any]:
    """The rule and the article, as every template shows them."""
    art = stored.article
    url = link(art.url)
    return {
        "rule_id": stored.rule_id,
        "rule_name": clip(rule_name, RULE_MAX),
        "title": clip(art.title, TITLE_MAX) or url or clip(art.url, TITLE_MAX),
        "url": url,
        "source": clip(art.source, SOURCE_MAX),
        "published": _date(art.published),
    }


def _dates(matches: Sequence[StoredMatch]) -> list[dict[str, str]]:
    """The mentioned dates the rules used (else the article's first few), each shown once."""
    found = [d for m in matches for d in m.dates] or article_dates(matches[0].article, matches[0].created_at)
    shown: dict[tuple[str, str], dict[str, str]] = {}
    for d in found:
        text = clip(d.text, 80)
        shown.setdefault((text, d.iso), {"text": text, "iso": d.iso})
    return list(shown.values())[:6]


def _also(also_reported_by: Sequence[dict[str, str]]) -> list[dict[str, str]]:
    out = [
        {"source": clip(o["source"], SOURCE_MAX), "url": link(o["url"]), "title": clip(o["title"], TITLE_MAX)}
        for o in also_reported_by[:ALSO_MAX]
    ]
    if len(also_reported_by) > ALSO_MAX:
        out.append({"source": f"+{len(also_reported_by) - ALSO_MAX}", "url": "", "title": ""})
    return out


def context(
    stored: StoredMatch | Sequence[StoredMatch],
    rule_name: str | Callable[[str], str],
    also_reported_by: Sequence[dict[str, str]] = (),
    key: str | None = None,
) -> dict[str, Any]:
    """What every template sees. Several matches of one article (one per rule) make one alert that
    names every rule: ``rule_name`` lists them, ``rules`` has each one's name, terms and score."""
    matches = [stored] if isinstance(stored, StoredMatch) else list(stored)
    name = (lambda _: rule_name) if isinstance(rule_name, str) else rule_name
    first = matches[0]
    hits = [h for m in matches for h in m.hits]
    rules: list[dict[str, Any]] = [
        {
            "id": m.rule_id,
            "name": clip(name(m.rule_id), RULE_MAX),
            "terms": list(dict.fromkeys(h.term for h in m.hits)),
            "score": f"{m.score:g}",
        }
        for m in matches
    ]
    return {
        **_article_context(first, "، ".join(r["name"] for r in rules)),
        "rule_id": ",".join(r["id"] for r in rules),
        "rules": rules,
        "key": key or f"m{first.match_id}",
        "snippet": snippet(first.article, hits),
        "terms": list(dict.fromkeys(h.term for h in hits)),
        "dates": _dates(matches),
        "score": f"{max(m.score for m in matches):g}",
        "also_reported_by": _also(also_reported_by),
    }


def render(
    stored: StoredMatch | Sequence[StoredMatch],
    rule_name: str | Callable[[str], str],
    templates: Templates | None = None,
    also_reported_by: Sequence[dict[str, str]] = (),
    key: str | None = None,
) -> Alert:
    """One article's alert: one match, or the matches of several rules (then one message names them all)."""
    t = templates or Templates()
    matches = [stored] if isinstance(stored, StoredMatch) else list(stored)
    ctx = context(matches, rule_name, also_reported_by, key)
    art = matches[0].article
    first = {"id": ctx["rules"][0]["id"], "name": ctx["rules"][0]["name"]}
    return Alert(
        key=ctx["key"],
        rule_id=ctx["rule_id"],
        rule_name=ctx["rule_name"],
        article=art,
        score=max(m.score for m in matches),
        terms=tuple(ctx["terms"]),
        subject=clip(f"[Rasad] {ctx['rule_name']}: {ctx['title']}", 250),
        text=t.text(ctx),
        html=t.html(ctx),
        slack=t.slack(ctx),
        data={
            "id": ctx["key"],
            "rule": first,
            "rules": [{"id": r["id"], "name": r["name"], "score": r["score"]} for r in ctx["rules"]],
            "score": max(m.score for m in matches),
            "terms": ctx["terms"],
            "hits": [
                {"term": h.term, "field": h.field, "position": h.position, "text": h.text}
                for m in matches
                for h in m.hits
            ],
            "mentioned_dates": [{"text": d["text"], "date": d["iso"]} for d in ctx["dates"]],
            "snippet": plain(ctx["snippet"], "", ""),
            "matched_at": matches[0].created_at.isoformat(),
            "also_reported_by": ctx["also_reported_by"],
            "article": {
                "title": clip(art.title, TITLE_MAX),
                "url": ctx["url"],
                "source": ctx["source"],
                "summary": clip(art.summary, 2000),
                "published": art.published.isoformat() if art.published else None,
            },
        },
    )


def render_update(
    stored: StoredMatch,
    origin: StoredMatch,
    rule_name: str,
    *,
    reply_to: str | None,
    thread: str | None,
    templates: Templates | None = None,
    key: str | None = None,
) -> Alert:
    """Another outlet reported a story the channel was alerted about: a short follow-up, in the
    thread of that alert (a Slack reply; an email with In-Reply-To)."""
    t = templates or Templates()
    art = stored.article
    ctx = {
        **_article_context(stored, rule_name),
        "key": key or f"u{stored.match_id}",
        "story_title": clip(origin.article.title, TITLE_MAX) or link(origin.article.url),
        "story_url": link(origin.article.url),
        "story_source": clip(origin.article.source, SOURCE_MAX),
    }
    text, body, slack = t.update(ctx)
    return Alert(
        key=ctx["key"],
        rule_id=stored.rule_id,
        rule_name=ctx["rule_name"],
        article=art,
        score=stored.score,
        terms=tuple(dict.fromkeys(h.term for h in stored.hits)),
        subject=clip(f"Re: [Rasad] {ctx['rule_name']}: {ctx['story_title']}", 250),
        text=text,
        html=body,
        slack=slack,
        data={
            "id": ctx["key"],
            "type": "story.update",
            "follows": reply_to,
            "rule": {"id": stored.rule_id, "name": ctx["rule_name"]},
            "story": {"title": ctx["story_title"], "url": ctx["story_url"], "source": ctx["story_source"]},
            "article": {
                "title": ctx["title"],
                "url": ctx["url"],
                "source": ctx["source"],
                "published": art.published.isoformat() if art.published else None,
            },
        },
        reply_to=reply_to,
        thread=thread,
    )


def render_batch(
    matches: Sequence[StoredMatch],
    rule_name: Callable[[str], str],
    templates: Templates,
    follows: Mapping[int, str] | None = None,
    key: str | None = None,
) -> Alert:
    """Several matches in one message; its key names the first match, so a resend is recognisable.
    ``follows`` marks the items that are later outlets of a story alerted before (match id → its title)."""
    items = [context(m, rule_name(m.rule_id)) for m in matches]
    for item, m in zip(items, matches, strict=True):
        item["follows"] = clip((follows or {}).get(m.match_id, ""), TITLE_MAX)
    rules = list(dict.fromkeys(i["rule_name"] for i in items))
    key = key or f"b{matches[0].match_id}x{len(matches)}"
    text, body, slack = templates.digest({"count": len(items), "items": items, "rules": rules, "key": key})
    return Alert(
        key=key,
        rule_id="batch",
        rule_name="، ".join(rules),
        article=None,
        score=max(m.score for m in matches),
        terms=tuple(dict.fromkeys(t for i in items for t in i["terms"])),
        subject=clip(f"[Rasad] {len(items)} تنبيهات: {'، '.join(rules)}", 250),
        text=text,
        html=body,
        slack=slack,
        data={"id": key, "alerts": [render(m, rule_name(m.rule_id), templates).data for m in matches]},
    )


def render_notice(notice: Notice, key: str | None = None) -> Alert:
    """A source-health notice: the same channels, a short message."""
    broken = notice.kind == "feed.unhealthy"
    head = "⚠ مصدر متوقف" if broken else "✓ عاد المصدر للعمل"
    english = "source needs attention" if broken else "source recovered"
    feed, said = clip(notice.feed, SOURCE_MAX), clip(notice.text, 600)
    line = f"{feed}: {said}"
    key = key or f"n{notice.id}"
    e = html.escape
    return Alert(
        key=key,
        rule_id="source-health",
        rule_name=f"{head} ({english})",
        article=None,
        score=0.0,
        terms=(),
        subject=clip(f"[Rasad] {head}: {feed}", 250),
        text=f"{head} ({english})\n{line}\n{_date(notice.created_at)}\n",
        html=(
            f'<!DOCTYPE html>\n<html lang="ar" dir="rtl"><head><meta charset="utf-8"></head>'
            f'<body dir="rtl"><p><strong>{e(head)}</strong> ({e(english)})</p>'
            f"<p><bdi>{e(feed)}</bdi>: <bdi>{e(said)}</bdi></p></body></html>\n"
        ),
        slack={
            "text": slack_escape(f"{head}: {line}"),
            "blocks": [
                {
                    "type": "section",
                    "text": {"type": "mrkdwn", "text": slack_escape(f"*{head}* ({english})\n{line}")},
                }
            ],
        },
        data={
            "id": key,
            "kind": notice.kind,
            "feed": feed,
            "text": said,
            "at": notice.created_at.isoformat(),
        },
    )
