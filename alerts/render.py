"""Stored match → :class:`Alert`: subject, plain text, right-to-left HTML, Slack Block Kit (pure)."""

from __future__ import annotations

import html
import re
import unicodedata
from datetime import datetime
from typing import Any

from alerts.base import Alert
from monitor.snippet import Segment, plain, snippet
from monitor.store import Notice, StoredMatch

_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")


def one_line(text: str) -> str:
    """Every run of whitespace or control characters folded to one space; bidi overrides removed."""
    text = _BIDI_CONTROLS.sub("", text)
    text = "".join(" " if unicodedata.category(c) in ("Cc", "Zl", "Zp") or c.isspace() else c for c in text)
    return " ".join(text.split())


def slack_escape(text: str) -> str:
    """Slack's three control characters; with them escaped no article can ping @channel or @here."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _date(when: datetime | None) -> str:
    return when.strftime("%Y-%m-%d %H:%M UTC") if when else "date unknown"


def render(stored: StoredMatch, rule_name: str) -> Alert:
    art = stored.article
    title = one_line(art.title) or art.url
    terms = tuple(dict.fromkeys(h.term for h in stored.hits))
    segs = snippet(art, stored.hits)
    subject = one_line(f"[Rasad] {rule_name}: {title}")[:250]
    text = "\n".join(
        [
            title,
            f"{art.source} — {_date(art.published)}",
            art.url,
            "",
            plain(segs),
            "",
            f"القاعدة (rule): {rule_name}",
            f"الكلمات المطابقة (matched): {'، '.join(terms)}",
            f"score: {stored.score:g}",
        ]
    )
    return Alert(
        key=f"m{stored.match_id}",
        rule_id=stored.rule_id,
        rule_name=rule_name,
        article=art,
        score=stored.score,
        terms=terms,
        subject=subject,
        text=text + "\n",
        html=_html(stored, rule_name, title, segs, terms),
        slack=_slack(stored, rule_name, title, segs, terms),
        data={
            "id": f"m{stored.match_id}",
            "rule": {"id": stored.rule_id, "name": rule_name},
            "score": stored.score,
            "terms": list(terms),
            "hits": [
                {"term": h.term, "field": h.field, "position": h.position, "text": h.text}
                for h in stored.hits
            ],
            "mentioned_dates": [{"text": d.text, "date": d.iso} for d in stored.dates],
            "snippet": plain(segs, "", ""),
            "matched_at": stored.created_at.isoformat(),
            "article": {
                "title": art.title,
                "url": art.url,
                "source": art.source,
                "summary": art.summary,
                "published": art.published.isoformat() if art.published else None,
            },
        },
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


def _html(
    stored: StoredMatch, rule_name: str, title: str, segs: list[Segment], terms: tuple[str, ...]
) -> str:
    e = html.escape
    art = stored.article
    excerpt = "".join(f"<mark>{e(t)}</mark>" if m else e(t) for t, m in segs)
    chips = "، ".join(f"<bdi>{e(t)}</bdi>" for t in terms)
    return f"""<!DOCTYPE html>
<html lang="ar" dir="rtl">
<head><meta charset="utf-8"><title>{e(title)}</title></head>
<body dir="rtl" style="font-family: Tahoma, Arial, sans-serif; text-align: right; line-height: 1.6">
<p style="color: #666; margin: 0">{e(rule_name)}</p>
<h2 style="margin: 0.3em 0"><a href="{e(art.url, quote=True)}">{e(title)}</a></h2>
<p style="color: #666; margin: 0"><bdi>{e(art.source)}</bdi> ·
<bdi dir="ltr">{e(_date(art.published))}</bdi></p>
<p dir="rtl" lang="ar">{excerpt}</p>
<p style="color: #666">الكلمات المطابقة: {chips} · <span dir="ltr">score {stored.score:g}</span></p>
<p style="color: #999; font-size: small"><bdi dir="ltr">{e(art.url)}</bdi></p>
</body>
</html>
"""


def _slack(
    stored: StoredMatch, rule_name: str, title: str, segs: list[Segment], terms: tuple[str, ...]
) -> dict[str, Any]:
    art = stored.article
    esc = slack_escape
    excerpt = "".join(f"*{esc(t)}*" if m else esc(t) for t, m in segs)
    link = f"<{esc(art.url)}|{esc(title).replace('|', '¦')}>" if art.url.startswith("http") else esc(title)
    return {
        "text": esc(f"{rule_name}: {title}"),
        "blocks": [
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": f"*{link}*\n{esc(art.source)} · {_date(art.published)}"},
            },
            {"type": "section", "text": {"type": "mrkdwn", "text": excerpt[:2900] or " "}},
            {
                "type": "context",
                "elements": [
                    {
                        "type": "mrkdwn",
                        "text": esc(f"{rule_name} · {'، '.join(terms)} · score {stored.score:g}")
                        + f" · rasad:m{stored.match_id}",
                    }
                ],
            },
        ],
    }
