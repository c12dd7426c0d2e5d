"""What the store's callers get: frozen dataclasses, never a table's row; and a match's
explanation as stored (JSON)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from monitor.model import Article, FeedReport, Match, MentionedDate, TermHit


@dataclass(frozen=True)
class StoryLink:
    """An article's place in a story, decided before it is stored."""

    words: frozenset[str]
    joined: int | None = None  # the story it joined (its first article's id); None: it may start one
    score: float | None = None
    shared: tuple[str, ...] = ()
    lead: Counter[str] = field(default_factory=Counter)
    passages: tuple[str, ...] = ()  # the longest passages it shares with the article it matched


@dataclass(frozen=True)
class StoryMember:
    article_id: int
    story_id: int
    published: datetime
    source: str
    title: str
    url: str
    lead: Counter[str] = field(default_factory=Counter)
    fetched: datetime | None = None  # when Rasad stored it


@dataclass(frozen=True)
class FeedState:
    etag: str | None
    last_modified: str | None
    next_poll_at: datetime | None = None
    last_full_fetch_at: datetime | None = None
    error_count: int = 0
    cadence: timedelta | None = None  # learned from its items' dates


@dataclass(frozen=True)
class FeedStatus:
    name: str
    url: str
    last_polled_at: datetime | None
    last_success_at: datetime | None
    status: str | None
    error_count: int
    last_error: str | None
    items: int
    matches: int
    next_poll_at: datetime | None = None
    cadence: timedelta | None = None


@dataclass(frozen=True)
class StoredMatch:
    match_id: int
    rule_id: str
    score: float
    hits: tuple[TermHit, ...]
    created_at: datetime
    article: Article
    deliveries: tuple[tuple[str, str], ...]  # (channel, status)
    dates: tuple[MentionedDate, ...] = ()  # mentioned dates that satisfied the rule's date condition
    story_id: int | None = None
    story: StoryNote | None = None  # how the article came into its story (``matches`` fills it)
    article_id: int = 0


@dataclass(frozen=True)
class StoryNote:
    """A story as ``rasad matches`` shows it: its outlets and, for a later article, why it joined."""

    outlets: tuple[str, ...]  # every outlet that reported it, first one first
    score: float | None = None  # similarity to the article it joined (None: it started the story)
    shared: tuple[str, ...] = ()  # the rarest lead terms they share
    passages: tuple[str, ...] = ()  # the longest passages they share


@dataclass(frozen=True)
class Notice:
    id: int
    kind: str
    feed: str
    channel: str
    text: str
    attempts: int
    created_at: datetime


@dataclass(frozen=True)
class Delivery:
    id: int
    channel: str
    mode: str
    status: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    match: StoredMatch
    kind: str = "alert"
    created_at: datetime | None = None
    message_key: str | None = None  # the message it went out in, once sent
    listed: frozenset[int] | None = None  # the other articles its message names (fixed before the send)


# where a match goes: a channel name, or (channel, mode, due) or (channel, mode, due, kind)
RouteSpec = str | tuple[str, str, datetime] | tuple[str, str, datetime, str]


# an article to store: (feed, article, its matches with their routes, now, its place in a story)
@dataclass(frozen=True)
class PollRecord:
    """One poll's outcome, as ``record_polls`` stores it on its feed."""

    report: FeedReport
    now: datetime
    etag: str | None = None
    last_modified: str | None = None
    next_poll_at: datetime | None = None
    cadence: timedelta | None = None  # newly learned (None: keep the one stored)


NewArticle = tuple[str, Article, Sequence[tuple[Match, Sequence[RouteSpec]]], datetime, "StoryLink | None"]


@dataclass(frozen=True)
class Origin:
    """The alert a story's first article sent to a channel: what follow-ups refer to."""

    status: str  # pending | sending | sent | dead
    message_key: str | None
    message_ref: str | None
    listed: frozenset[int]  # the articles its message named as "also reported by"
    match: StoredMatch
    due: datetime  # when it is (next) due, while not sent


def _explanation_json(m: Match) -> str:
    return json.dumps(
        {
            "hits": [
                {"term": h.term, "field": h.field, "position": h.position, "text": h.text} for h in m.hits
            ],
            "dates": [
                {
                    "text": d.text,
                    "start": d.start,
                    "end": d.end,
                    "first": d.first.isoformat(),
                    "last": d.last.isoformat(),
                    "precision": d.precision,
                    "qualifier": d.qualifier,
                }
                for d in m.dates
            ],
        },
        ensure_ascii=False,
    )


def _explanation(text: str) -> tuple[tuple[TermHit, ...], tuple[MentionedDate, ...]]:
    data = json.loads(text)
    if isinstance(data, list):  # written before dates were recorded
        data = {"hits": data, "dates": []}
    hits = tuple(TermHit(h["term"], h["field"], h["position"], h["text"]) for h in data["hits"])
    dates = tuple(
        MentionedDate(
            d["text"],
            d["start"],
            d["end"],
            date.fromisoformat(d["first"]),
            date.fromisoformat(d["last"]),
            d["precision"],
            d["qualifier"],
        )
        for d in data["dates"]
    )
    return hits, dates
