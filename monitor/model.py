"""Frozen value types shared by every pipeline step.

They carry data only: no I/O, no behaviour beyond trivial derived properties. Datetimes are always
timezone-aware, in UTC except publication times: ``published`` keeps what its source gave (the
source's own offset, a time without offset, or a date alone; see ``monitor.published``), so the day
it names is the source's day.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Literal

FieldName = Literal["title", "summary", "body", "url", "source"]


@dataclass(frozen=True, slots=True)
class FeedItem:
    """One entry of a feed, normalised from whatever RSS/Atom dialect the feed speaks."""

    key: str  # stable identity: the GUID, else the canonical URL
    url: str
    title: str
    summary: str
    published: datetime | None
    source: str | None = None  # the outlet named by the entry (<source>), for aggregator feeds
    # the oldest date any item of the same feed gives: a page date far before it is a misreading
    feed_oldest: datetime | None = None


@dataclass(frozen=True, slots=True)
class Extracted:
    """What extraction found on an article page."""

    title: str
    body: str
    published: datetime | None  # as the page gives it: see monitor.published


@dataclass(frozen=True, slots=True)
class Article:
    """An article as the matcher sees it."""

    key: str
    url: str
    source: str  # the feed's name: the outlet
    title: str
    summary: str
    body: str
    published: datetime | None
    # "trafilatura", or "fallback: <why>" when the body is the feed's title and summary
    extraction: str = "trafilatura"

    def field_text(self, name: FieldName) -> str:
        return str(getattr(self, name))


@dataclass(frozen=True, slots=True)
class MentionedDate:
    """A date an article mentions: the literal span and the period it names (inclusive)."""

    text: str  # as written
    start: int  # offsets in the text it was found in
    end: int
    first: date
    last: date
    precision: Literal["day", "month", "year"]
    qualifier: Literal["start", "mid", "end"] | None = None

    @property
    def iso(self) -> str:
        if self.precision == "day":
            return self.first.isoformat()
        if self.precision == "month":
            return f"{self.first.year:04d}-{self.first.month:02d}"
        return f"{self.first.year:04d}"

    def overlaps(self, lo: date, hi: date) -> bool:
        return self.first <= hi and self.last >= lo


@dataclass(frozen=True, slots=True)
class TermHit:
    """One occurrence of a rule term in an article field."""

    term: str  # the term as the rule wrote it
    field: FieldName
    position: int  # token index within the field
    text: str  # the original text that matched, as written in the article


@dataclass(frozen=True, slots=True)
class Match:
    """An article that satisfied a rule, with the evidence."""

    rule_id: str
    score: float
    hits: tuple[TermHit, ...]
    dates: tuple[MentionedDate, ...] = ()  # mentioned dates that satisfied a date condition

    @property
    def terms(self) -> list[str]:
        """Distinct matched terms in order of first appearance."""
        return list(dict.fromkeys(h.term for h in self.hits))

    @property
    def fields(self) -> list[str]:
        return list(dict.fromkeys(h.field for h in self.hits))


@dataclass(frozen=True, slots=True)
class FeedReport:
    """The outcome of polling one feed once: one structured log line, one row of state."""

    feed: str
    status: Literal["ok", "not_modified", "error"]
    items: int = 0
    new: int = 0
    matched: int = 0
    fallbacks: int = 0
    error: str | None = None
    hint: str | None = None  # how to fix the error, when there is something to do
    seconds: float = 0.0
    matches: tuple[tuple[str, str], ...] = field(default=())  # (article key, rule id)
    next_poll: datetime | None = None  # not before: interval, backoff, Retry-After or max-age
    interval: timedelta | None = None  # how often the feed is polled now (its cadence, when adaptive)
    cadence: timedelta | None = None  # its publishing cadence as this poll's items told it
