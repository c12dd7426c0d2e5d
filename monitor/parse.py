"""Feed bytes → :class:`FeedItem` list (pure).

feedparser is only ever given bytes wrapped in ``io.BytesIO`` (a string may be read as a path or
fetched as a URL), with the HTTP headers so the declared charset (windows-1256 exists) is honoured.
DOCTYPE and ENTITY declarations are removed first so no entity expansion can happen. An HTML page
with no entries is an error, not an empty feed.

An item's key is its GUID (qualified by the host when it is not a URL or URN), else its canonical
URL, else — an item with neither, which feeds do publish — a hash of its title and content, as
Miniflux does: the item is kept and matched on its summary, never dropped. A publication date keeps
the offset the feed wrote (the instant is feedparser's); the outlet's name leaves item titles
(«… - اليوم السابع»); each item carries the oldest date its feed gives.

feedparser joins the base address with each element's own ``xml:base`` at every start tag (the
base with itself, in a feed that gives none): some 160 ``urljoin`` calls a feed of 20 items, a
third of its parsing. A join is a pure function of its two strings, so the answers are kept
(:func:`_memoised_joins`, 4,096 pairs): 5.4 → 3.8 ms a farm feed, the same items.
"""

from __future__ import annotations

import calendar
import functools
import hashlib
import html
import io
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import feedparser

from monitor.errors import ParseError
from monitor.model import FeedItem
from monitor.titles import clean_title, host_names
from monitor.urls import canonical_url

# An internal DTD subset can declare entities; drop the whole DOCTYPE (and any stray ENTITY).
_DOCTYPE = re.compile(rb"<!DOCTYPE(?:[^\[>]|\[(?:[^\]]|\](?!\s*>))*\])*?>", re.IGNORECASE | re.DOTALL)
_ENTITY = re.compile(rb"<!ENTITY[^>]*>", re.IGNORECASE)
_HTML_START = re.compile(
    rb"^\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html)\b", re.I | re.S
)
_TAG = re.compile(r"<[^>]+>")
# what feedparser's HTML sanitiser (off: a third of a feed's parsing time) did for Rasad, which
# keeps text only: comments and the content of script, style and applet elements are dropped, and
# the end of a CDATA section written into the HTML (its start goes as a tag; its text stays)
_HIDDEN = re.compile(r"<!--.*?(?:-->|$)|<(script|style|applet)\b[^>]*>.*?(?:</\1\s*>|$)|\]\]>", re.I | re.S)
_SPACE = re.compile(r"\s+")


def strip_declarations(content: bytes) -> bytes:
    """Remove DOCTYPE (with its internal subset) and ENTITY declarations."""
    return _ENTITY.sub(b"", _DOCTYPE.sub(b"", content))


def looks_like_html(content: bytes, content_type: str = "") -> bool:
    return content_type.startswith("text/html") or bool(_HTML_START.match(content[:4096]))


TITLE_MAX = 1_000  # characters kept of an item's title; a feed can put megabytes there
SUMMARY_MAX = 20_000
LINK_MAX = 4_096


_JOINS: list[bool] = []  # set once feedparser's joins are memoised in this process


def _memoised_joins() -> None:
    """Keep feedparser's URL joins (``feedparser.urls._urljoin``, also imported by its parser
    mixin), once per process; left as it is in a feedparser without them."""
    if _JOINS:
        return
    _JOINS.append(True)
    from feedparser import mixin, urls

    join = getattr(urls, "_urljoin", None)
    same = getattr(mixin, "_urljoin", None) is join
    if join is None or not same:
        return
    kept: Callable[[str, str], str] = functools.lru_cache(maxsize=4096)(join)
    urls._urljoin = mixin._urljoin = kept


def parse_feed(
    content: bytes,
    *,
    url: str,
    headers: Mapping[str, str] | None = None,
    skipped: list[str] | None = None,
) -> list[FeedItem]:
    """Parse a feed. Raises ParseError when the bytes are not a feed at all.

    One bad item never costs the others: an item that cannot be read (a link with port 99999, a
    link of megabytes) is left out, and why is appended to ``skipped``."""
    _memoised_joins()
    headers = {k.lower(): v for k, v in (headers or {}).items()}
    content_type = headers.get("content-type", "")
    is_html = looks_like_html(content, content_type)
    cleaned = strip_declarations(content)
    response_headers = {"content-location": url}
    if "content-type" in headers:
        response_headers["content-type"] = headers["content-type"]
    parsed: Any = feedparser.parse(
        io.BytesIO(cleaned),
        response_headers=response_headers,
        sanitize_html=False,  # text_of keeps only the text
        resolve_relative_uris=False,  # of links inside summaries, which are dropped (items' are resolved)
    )
    host = (urlsplit(url).hostname or "").lower()
    outlet = [text_of(str(parsed.feed.get("title") or "")), *host_names(url)]
    items = []
    for i, entry in enumerate(parsed.entries):
        try:
            items.append(_item(entry, host, outlet))
        except (ValueError, TypeError) as exc:
            if skipped is not None:
                skipped.append(f"item {i + 1}: {exc}")
    dated = [i.published for i in items if i.published is not None]
    if dated:
        oldest = min(dated)
        items = [replace(i, feed_oldest=oldest) for i in items]
    if not items:
        if is_html:
            raise ParseError(f"{url}: not a feed: the server sent an HTML page", hint="check the feed URL")
        harmless = (feedparser.CharacterEncodingOverride, feedparser.NonXMLContentType)
        if not parsed.version or (parsed.bozo and not isinstance(parsed.bozo_exception, harmless)):
            reason = _reason(parsed.bozo_exception) if parsed.bozo else "no RSS or Atom root element"
            raise ParseError(f"{url}: malformed feed: {reason}")
    return items


def _item(entry: Any, host: str, outlet_names: Sequence[str]) -> FeedItem:
    link = str(entry.get("link") or "").strip()
    guid = str(entry.get("id") or "").strip()
    if len(link) > LINK_MAX or len(guid) > LINK_MAX:
        raise ValueError(f"link or guid longer than {LINK_MAX} characters")
    source = entry.get("source") or {}
    outlet = text_of(source.get("title") or "") if isinstance(source, dict) else ""
    raw_title = _cut(text_of(str(entry.get("title") or "")[: TITLE_MAX * 20]), TITLE_MAX)
    title = clean_title(raw_title, [outlet, *outlet_names])
    summary = _cut(text_of(str(entry.get("summary") or "")[: SUMMARY_MAX * 20]), SUMMARY_MAX)
    if guid:
        # A GUID that is not a URL or URN may be a bare number, unique only within its site.
        key = guid if re.match(r"^[a-z][a-z0-9+.-]*:", guid, re.I) else f"{host}:{guid}"
        if key.startswith(("http://", "https://")):
            key = canonical_url(key)
    elif link:
        key = canonical_url(link)
    elif raw_title or summary:
        # nothing but its words to recognise it by next time (Miniflux hashes them too); the host
        # keeps two sites' identical items apart
        digest = hashlib.sha256(f"{raw_title}\n{summary}".encode()).hexdigest()
        key = f"{host}:sha256:{digest}"
    else:
        raise ValueError("no link, GUID, title or content")
    if link.startswith(("http://", "https://")):
        link = canonical_url(link)
    return FeedItem(
        key=key, url=link or guid, title=title, summary=summary, published=_date(entry), source=outlet or None
    )


def _date(entry: Any) -> datetime | None:
    """The instant feedparser read, in the offset the feed wrote it with (its day is the feed's)."""
    field = "published" if entry.get("published_parsed") else "updated"
    parsed = entry.get(f"{field}_parsed")
    if not parsed:
        return None
    try:
        utc = datetime.fromtimestamp(calendar.timegm(parsed), tz=UTC)
    except (OverflowError, ValueError, TypeError):
        return None
    written = _as_written(str(entry.get(field) or ""))
    return written if written is not None and abs(written - utc) < timedelta(seconds=1) else utc


def _as_written(text: str) -> datetime | None:
    try:
        when = parsedate_to_datetime(text)  # RSS: "Sun, 07 Sep 2025 11:00:00 +0300"
    except (TypeError, ValueError, IndexError):
        try:
            when = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))  # Atom: RFC 3339
        except ValueError:
            return None
    return when if when.tzinfo is not None else None


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def text_of(fragment: str) -> str:
    """Plain text of an HTML fragment from a feed, whitespace folded."""
    return _SPACE.sub(" ", html.unescape(_TAG.sub(" ", _HIDDEN.sub(" ", fragment)))).strip()


def _reason(exc: object) -> str:
    return str(getattr(exc, "getMessage", lambda: exc)()).splitlines()[0] if exc else "unknown error"
