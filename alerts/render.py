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
    """A publication time; a page that gave only a date (midnight UTC to the second) shows the date."""
    if when is None:
        return "date unknown"
    if (when.hour, when.minute, when.second, when.microsecond) == (0, 0, 0, 0):
        return when.strftime("%Y-%m-%d")
    return when.strftime("%Y-%m-%d %H:%M UTC")


def _article_context(stored: StoredMatch, rule_name: str) -> dict[str, Any]:
    """The rule and the article, as every template shows them."""
    art = stored.article
    return {
        "rule_id": stored.rule_id,
        "rule_name": rule_name,
        "title": one_line(art.title) or art.url,
        "url": art.url,
        "source": one_line(art.source),
        "published": _date(art.published),
    }


def context(
    stored: StoredMatch, rule_name: str, also_reported_by: Sequence[dict[str, str]] = ()
) -> dict[str, Any]:
    """What every template sees."""
    art = stored.article
    mentioned = list(stored.dates) or article_dates(art, stored.created_at)[:6]
    return {
        **_article_context(stored, rule_name),
        "key": f"m{stored.match_id}",
        "snippet": snippet(art, stored.hits),
        "terms": list(dict.fromkeys(h.term for h in stored.hits)),
        "dates": [{"text": one_line(d.text), "iso": d.iso} for d in mentioned],
        "score": f"{stored.score:g}",
        "also_reported_by": list(also_reported_by),
    }


def render(
    stored: StoredMatch,
    rule_name: str,
    templates: Templates | None = None,
    also_reported_by: Sequence[dict[str, str]] = (),
) -> Alert:
    t = templates or Templates()
    ctx = context(stored, rule_name, also_reported_by)
    art = stored.article
    return Alert(
        key=ctx["key"],
        rule_id=stored.rule_id,
        rule_name=rule_name,
        article=art,
        score=stored.score,
        terms=tuple(ctx["terms"]),
        subject=one_line(f"[Rasad] {rule_name}: {ctx['title']}")[:250],
        text=t.text(ctx),
        html=t.html(ctx),
        slack=t.slack(ctx),
        data={
            "id": ctx["key"],
            "rule": {"id": stored.rule_id, "name": rule_name},
            "score": stored.score,
            "terms": ctx["terms"],
            "hits": [
                {"term": h.term, "field": h.field, "position": h.position, "text": h.text}
                for h in stored.hits
            ],
            "mentioned_dates": [{"text": d.text, "date": d.iso} for d in stored.dates],
            "snippet": plain(ctx["snippet"], "", ""),
            "matched_at": stored.created_at.isoformat(),
            "also_reported_by": list(also_reported_by),
            "article": {
                "title": art.title,
                "url": art.url,
                "source": art.source,
                "summary": art.summary,
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
) -> Alert:
    """Another outlet reported a story the channel was alerted about: a short follow-up, in the
    thread of that alert (a Slack reply; an email with In-Reply-To)."""
    t = templates or Templates()
    art = stored.article
    ctx = {
        **_article_context(stored, rule_name),
        "key": f"u{stored.match_id}",
        "story_title": one_line(origin.article.title) or origin.article.url,
        "story_url": origin.article.url,
        "story_source": one_line(origin.article.source),
    }
    text, body, slack = t.update(ctx)
    return Alert(
        key=ctx["key"],
        rule_id=stored.rule_id,
        rule_name=rule_name,
        article=art,
        score=stored.score,
        terms=tuple(dict.fromkeys(h.term for h in stored.hits)),
        subject=one_line(f"Re: [Rasad] {rule_name}: {ctx['story_title']}")[:250],
        text=text,
        html=body,
        slack=slack,
        data={
            "id": ctx["key"],
            "type": "story.update",
            "follows": reply_to,
            "rule": {"id": stored.rule_id, "name": rule_name},
            "story": {
                "title": origin.article.title,
                "url": origin.article.url,
                "source": origin.article.source,
            },
            "article": {
                "title": art.title,
                "url": art.url,
                "source": art.source,
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
) -> Alert:
    """Several matches in one message; its key names the first match, so a resend is recognisable.
    ``follows`` marks the items that are later outlets of a story alerted before (match id → its title)."""
    items = [context(m, rule_name(m.rule_id)) for m in matches]
    for item, m in zip(items, matches, strict=True):
        item["follows"] = one_line((follows or {}).get(m.match_id, ""))
    rules = list(dict.fromkeys(i["rule_name"] for i in items))
    key = "b" + "-".join(f"{m.match_id}" for m in matches[:1]) + f"x{len(matches)}"
    text, body, slack = templates.digest({"count": len(items), "items": items, "rules": rules, "key": key})
    return Alert(
        key=key,
        rule_id="batch",
        rule_name="، ".join(rules),
        article=None,
        score=max(m.score for m in matches),
        terms=tuple(dict.fromkeys(t for i in items for t in i["terms"])),
        subject=one_line(f"[Rasad] {len(items)} تنبيهات: {'، '.join(rules)}")[:250],
        text=text,
        html=body,
        slack=slack,
        data={"id": key, "alerts": [render(m, rule_name(m.rule_id), templates).data for m in matches]},
    )


def render_notice(notice: Notice) -> Alert:
    """A source-health notice: the same channels, a short message."""
    broken = notice.kind == "feed.unhealthy"
    head = "⚠ مصدر متوقف" if broken else "✓ عاد المصدر للعمل"
    english = "source needs attention" if broken else "source recovered"
    line = one_line(f"{notice.feed}: {notice.text}")
    e = html.escape
    return Alert(
        key=f"n{notice.id}",
        rule_id="source-health",
        rule_name=f"{head} ({english})",
        article=None,
        score=0.0,
        terms=(),
        subject=one_line(f"[Rasad] {head}: {notice.feed}")[:250],
        text=f"{head} ({english})\n{line}\n{_date(notice.created_at)}\n",
        html=(
            f'<!DOCTYPE html>\n<html lang="ar" dir="rtl"><head><meta charset="utf-8"></head>'
            f'<body dir="rtl"><p><strong>{e(head)}</strong> ({e(english)})</p>'
            f"<p><bdi>{e(notice.feed)}</bdi>: <bdi>{e(notice.text)}</bdi></p></body></html>\n"
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
            "id": f"n{notice.id}",
            "kind": notice.kind,
            "feed": notice.feed,
            "text": notice.text,
            "at": notice.created_at.isoformat(),
        },
    )
