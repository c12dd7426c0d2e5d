"""An article page's publication date, as the page gives it (pure; runs in worker processes).

``page_published(tree, url, found)`` returns the original publication date, never the last
modification, as a datetime in the forms of ``monitor.published`` (an instant keeps the page's
offset; a time without offset and a date alone are kept as such, so the day never moves).

Where it looks, in order (htmldate's order: metadata, then the page's text, then the URL):

1. ``found``, the date htmldate's own search gave (through trafilatura: markup and metadata, no
   guessing from free text), when it answers. htmldate gives the day; the page's published
   metadata that names that day gives the time and the offset. When two values are the same instant
   (``article:published_time`` in UTC, JSON-LD ``datePublished`` at +02:00), the page's own offset
   wins: it is the day the page shows. When no published value names htmldate's day, htmldate
   fell back on something else (``article:modified_time``, a link) and the published value wins.
2. Published metadata htmldate cannot read: JSON-LD ``datePublished``, ``article:published_time``
   and its kin, ``itemprop="datePublished"``, ``<time pubdate>`` — including values written in Arabic
   ("الأربعاء، 07 أكتوبر 2020 - 12:09 م"), RFC 822 and epoch seconds. Keys that say modified or
   updated are never read.
3. A visible date line: one labelled as publication ("تاريخ النشر:", "تم نشره", "نُشر في"), else the
   first short line with a date after the headline and before the body begins. A line labelled as an
   update ("آخر تحديث") is never the publication date; a clock above the headline is not read.
   Values and lines are read by ``monitor.stamps``.
4. The URL: ``/2013/8/3/``, ``/2013/middle_east/8/3/``, ``/2020-06-03-…``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from urllib.parse import unquote, urlsplit

from lxml.html import HtmlElement

from monitor.arabic import normalize
from monitor.published import DATE_ONLY, day_only, form
from monitor.stamps import dateline, parse_stamp

# meta names/properties/itemprops (lower-case) whose content is the publication date
PUBLISHED_KEYS = frozenset(
    {
        "article:published_time",
        "article:published",
        "og:published_time",
        "og:article:published_time",
        "datepublished",
        "datecreated",
        "pubdate",
        "publishdate",
        "publish-date",
        "publish_date",
        "published_time",
        "published-date",
        "publication_date",
        "publication-date",
        "date",
        "dc.date",
        "dc.date.issued",
        "dc.date.created",
        "dcterms.date",
        "dcterms.issued",
        "dcterms.created",
        "sailthru.date",
        "parsely-pub-date",
        "article.published",
        "article_date_original",
        "original-publish-date",
        "originalpublicationdate",
        "date.created",
        "date.available",
        "cxenseparse:recs:publishtime",
        "published_time_telegram",
    }
)
_ARTICLE_TYPES = re.compile(r"article|posting|report|webpage", re.IGNORECASE)
# labels, matched on normalised lines (ا for أ إ آ, no diacritics: "نُشر" is "نشر")
_PUBLISHED_LABEL = re.compile(r"تاريخ النشر|تم نشره|تم النشر|(?:^|\s)نشر(?:\s|:|$)|بتاريخ|published|posted")
_UPDATED_LABEL = re.compile(r"تحديث|محدث|تعديل|updated|modified")
_URL_DATES = (
    re.compile(r"/((?:19|20)\d\d)/(?:[a-z_\-]+/)?(\d{1,2})/(\d{1,2})(?:/|$|[-_.])", re.IGNORECASE),
    re.compile(r"/((?:19|20)\d\d)-(\d\d)-(\d\d)(?:\D|$)"),
)
_SKIP = {"script", "style", "noscript", "template", "svg", "select", "option", "button", "iframe", "head"}
_BLOCK = {
    "p", "div", "li", "ul", "ol", "section", "article", "header", "footer", "aside", "nav", "main",
    "h1", "h2", "h3", "h4", "h5", "h6", "tr", "td", "th", "table", "br", "figure", "figcaption",
    "blockquote", "form", "dl", "dt", "dd", "hr", "time",
}  # fmt: skip
LINE_MAX = 120  # characters of a date line; a body paragraph with a date in it is longer
_NEAR_HEADLINE = 40  # lines after the headline in which its date line is looked for


def page_published(tree: HtmlElement, url: str, found: str | None) -> datetime | None:
    """The page's original publication date (see the module's docstring), or None."""
    candidates = list(metadata_dates(tree))
    if found:
        day = found[:10]
        agreeing = [
            c for c in candidates if day in (c.date().isoformat(), c.astimezone(UTC).date().isoformat())
        ]
        if agreeing or candidates:
            # htmldate's day, as the page's published metadata writes it; when none names that day,
            # htmldate fell back on something else (a modified date, a related link): the page's
            # own statement of publication wins
            return _best(agreeing or candidates)
        answer = parse_stamp(found)
        if answer is not None and form(answer) == "local" and answer.time() == datetime.min.time():
            return day_only(answer.date())  # htmldate writes a date alone as midnight
        if answer is not None:
            return answer
    if candidates:
        return _best(candidates)
    return visible_date(tree) or url_date(url)


def _best(candidates: list[datetime]) -> datetime:
    """The most the page says, earliest first: a time at the page's own offset (the day it shows;
    the same instant in UTC is a conversion), any instant, a time without offset, a date."""
    rank = {"instant": 1, "local": 2, "date": 3}

    def key(c: datetime) -> tuple[int, datetime]:
        kind = form(c)
        own_offset = kind == "instant" and bool(c.utcoffset())
        return (0 if own_offset else rank[kind], c.astimezone(UTC))

    return min(candidates, key=key)


def metadata_dates(tree: HtmlElement) -> Iterator[datetime]:
    """Every publication date the page's metadata states (JSON-LD, meta, itemprop, <time pubdate>)."""
    for script in tree.iter("script"):
        if (script.get("type") or "").strip().lower() == "application/ld+json" and script.text:
            yield from _json_ld_dates(script.text)
    for el in tree.iter("meta", "time", "span", "div", "abbr"):
        keys = {(el.get(a) or "").strip().lower() for a in ("name", "property", "itemprop", "http-equiv")}
        published = el.tag == "time" and (
            el.get("pubdate") is not None or "publish" in (el.get("class") or "")
        )
        if not (keys & PUBLISHED_KEYS or published):
            continue
        value = el.get("content") or el.get("datetime") or el.get("title") or el.text_content()
        when = parse_stamp(value or "")
        if when is not None:
            yield when


def _json_ld_dates(text: str) -> Iterator[datetime]:
    try:
        data = json.loads(text, strict=False)
    except ValueError:
        return
    objects = list(_walk(data))
    articles = [o for o in objects if _ARTICLE_TYPES.search(str(o.get("@type", "")))]
    for obj in articles or objects:
        for key in ("datePublished", "dateCreated", "uploadDate"):
            value = obj.get(key)
            when = parse_stamp(value) if isinstance(value, str) else None
            if when is not None:
                yield when
                break


def _walk(data: object) -> Iterator[dict[str, object]]:
    if isinstance(data, list):
        for item in data:
            yield from _walk(item)
    elif isinstance(data, dict):
        yield data
        for key in ("@graph", "mainEntity", "mainEntityOfPage"):
            if key in data:
                yield from _walk(data[key])


def visible_date(tree: HtmlElement) -> datetime | None:
    """The publication date line a reader sees near the headline (see the module's docstring)."""
    body = tree.find("body")
    lines = text_lines(body if body is not None else tree)
    headline = _headline(lines, tree)
    first_unlabelled = None
    for i, (_, raw) in enumerate(lines):
        if len(raw) > LINE_MAX or not any(c.isdigit() for c in raw):
            continue
        line = normalize(raw)
        updated = _UPDATED_LABEL.search(line)
        published = _PUBLISHED_LABEL.search(line)
        if updated and not (published and published.start() < updated.start()):
            continue
        text = line[published.end() : updated.start() if updated else None] if published else line
        when = dateline(text)
        if when is None:
            continue
        if published:
            return when
        if (
            first_unlabelled is None
            and headline is not None
            and headline < i <= headline + _NEAR_HEADLINE
            and not _body_started(lines[headline + 1 : i])
        ):
            first_unlabelled = when
    return first_unlabelled


def _headline(lines: list[tuple[str, str]], tree: HtmlElement) -> int | None:
    """The line of the article's <h1>: the one the page's title names, when a logo is an <h1> too."""
    h1s = [i for i, (tag, _) in enumerate(lines) if tag == "h1"]
    title = normalize(" ".join(tree.xpath("string(//head/title)").split()))
    named = [i for i in h1s if title and normalize(lines[i][1]) in title]
    return (named or h1s)[0] if h1s else None


def _body_started(between: list[tuple[str, str]]) -> bool:
    return any(len(line) > 2 * LINE_MAX for _, line in between)


def text_lines(root: HtmlElement) -> list[tuple[str, str]]:
    """The visible text as a reader sees it: one line per block, with the tag that opened it.
    (A walk with an explicit stack: a page may nest deeper than Python recurses.)"""
    lines: list[tuple[str, str]] = []
    parts: list[str] = []
    tag = ""

    def flush(next_tag: str) -> None:
        nonlocal tag
        line = " ".join(" ".join(parts).split())
        if line:
            lines.append((tag, line))
        parts.clear()
        tag = next_tag

    stack: list[tuple[HtmlElement, bool]] = [(root, False)]
    while stack:
        el, closing = stack.pop()
        name = el.tag if isinstance(el.tag, str) else ""
        if closing:
            if name in _BLOCK:
                flush("")
            if el.tail and el is not root:
                parts.append(el.tail)
            continue
        if name in _SKIP or not name:
            if el.tail and el is not root:
                parts.append(el.tail)
            continue
        if name in _BLOCK:
            flush(name)
        if el.text:
            parts.append(el.text)
        stack.append((el, True))
        stack.extend((child, False) for child in reversed(el))
    flush("")
    return lines


def url_date(url: str) -> datetime | None:
    """A day in the URL's path: ``/2013/8/3/``, ``/2013/middle_east/8/3/``, ``/2020-06-03-…``."""
    path = unquote(urlsplit(url).path)
    for pattern in _URL_DATES:
        m = pattern.search(path)
        if m:
            try:
                return datetime(int(m[1]), int(m[2]), int(m[3]), tzinfo=DATE_ONLY)
            except ValueError:
                continue
    return None
