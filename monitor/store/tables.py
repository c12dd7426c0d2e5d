"""The SQLModel tables: they never leave :mod:`monitor.store` (callers get :mod:`monitor.store.records`)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Column, DateTime, Table, Text, TypeDecorator, UniqueConstraint
from sqlalchemy.engine import Dialect
from sqlmodel import Field, SQLModel


class _UTC(TypeDecorator[datetime]):
    """Timezone-aware UTC in Python; naive UTC in SQLite, timestamptz in PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _ts(nullable: bool = True) -> Any:
    return Field(default=None, sa_column=Column(_UTC(), nullable=nullable))


class FeedRow(SQLModel, table=True):
    __tablename__ = "feeds"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True)
    url: str
    etag: str | None = None
    last_modified: str | None = None
    last_polled_at: datetime | None = _ts()
    last_success_at: datetime | None = _ts()
    last_status: str | None = None
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    error_count: int = 0
    next_poll_at: datetime | None = _ts()  # not before: backoff, Retry-After, max-age
    health_problem: str | None = Field(default=None, sa_column=Column(Text))  # set while a notice stands
    last_full_fetch_at: datetime | None = _ts()  # last 200: validators are trusted for a while only
    cadence: float | None = None  # seconds between its items, learned from their dates (adaptive polling)


class ArticleRow(SQLModel, table=True):
    __tablename__ = "articles"
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True)
    feed_id: int = Field(foreign_key="feeds.id", index=True)
    source: str  # the outlet: the feed's name, or the entry's own <source>
    url: str
    title: str = Field(sa_column=Column(Text, nullable=False))
    summary: str = Field(sa_column=Column(Text, nullable=False))
    body: str = Field(sa_column=Column(Text, nullable=False))
    published_at: datetime | None = _ts()
    published_as: str | None = None  # as the source wrote it (offset, no time): monitor.published
    fetched_at: datetime = _ts(nullable=False)
    extraction: str
    words: str | None = Field(default=None, sa_column=Column(Text))  # content words, for story grouping
    story_id: int | None = Field(default=None, index=True)  # the story's first article
    story_score: float | None = None  # similarity to the article it joined
    story_shared: str | None = Field(default=None, sa_column=Column(Text))  # JSON: the rarest shared words
    lead: str | None = Field(default=None, sa_column=Column(Text))  # lead terms, repeated by weight
    story_passages: str | None = Field(default=None, sa_column=Column(Text))  # JSON: longest shared runs


class MatchRow(SQLModel, table=True):
    __tablename__ = "matches"
    __table_args__ = (UniqueConstraint("article_id", "rule_id"),)
    id: int | None = Field(default=None, primary_key=True)
    article_id: int = Field(foreign_key="articles.id", index=True)
    rule_id: str = Field(index=True)
    score: float
    explanation: str = Field(sa_column=Column(Text, nullable=False))  # JSON list of term hits
    created_at: datetime = _ts(nullable=False)


class DeliveryRow(SQLModel, table=True):
    __tablename__ = "deliveries"
    __table_args__ = (UniqueConstraint("match_id", "channel"),)
    id: int | None = Field(default=None, primary_key=True)
    match_id: int = Field(foreign_key="matches.id", index=True)
    channel: str
    mode: str = "immediate"  # immediate | batch … | digest … | folded (held back by a rate limit)
    status: str = Field(default="pending", index=True)  # pending | sending | sent | dead
    attempts: int = 0
    next_attempt_at: datetime = _ts(nullable=False)
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    sent_at: datetime | None = _ts()
    message_key: str | None = None  # the message it went out in (several share one in a batch)
    created_at: datetime = _ts(nullable=False)
    kind: str = "alert"  # alert | update (another outlet of a story the channel was alerted about)
    message_ref: str | None = None  # the channel's id of the message sent (a Slack ts: replies thread on it)
    listed_at: datetime | None = _ts()  # when its "also reported by" list was read, just before sending
    # JSON list of the ids of the story's other articles that the sent message named ("also reported
    # by"): a later outlet's follow-up is already told only if its article is in this list
    listed: str | None = Field(default=None, sa_column=Column(Text))


class MetaRow(SQLModel, table=True):
    """Facts about this database itself: its installation id (alert keys are unique across databases)."""

    __tablename__ = "meta"
    key: str = Field(primary_key=True)
    value: str = Field(sa_column=Column(Text, nullable=False))


class NoticeRow(SQLModel, table=True):
    """A message about Rasad itself (a source broke, recovered), delivered like an alert."""

    __tablename__ = "notices"
    id: int | None = Field(default=None, primary_key=True)
    kind: str  # feed.unhealthy | feed.recovered
    feed: str
    channel: str
    text: str = Field(sa_column=Column(Text, nullable=False))
    status: str = Field(default="pending", index=True)  # pending | sending | sent | dead
    attempts: int = 0
    next_attempt_at: datetime = _ts(nullable=False)
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    created_at: datetime = _ts(nullable=False)


# the tables themselves, for Core statements made once where an ORM query per call cost too much
ARTICLES: Table = ArticleRow.__table__  # type: ignore[attr-defined]
MATCHES: Table = MatchRow.__table__  # type: ignore[attr-defined]
DELIVERIES: Table = DeliveryRow.__table__  # type: ignore[attr-defined]
