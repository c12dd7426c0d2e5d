"""Storage: SQLModel tables and the queries the pipeline, the deliverer and the CLI need.

The tables never leave this module: callers get frozen dataclasses. SQLite is the embedded default
(WAL, ``synchronous=FULL``, a busy timeout, write transactions opened with ``BEGIN IMMEDIATE`` so two
writers never deadlock on a lock upgrade); a ``postgresql://`` URL runs the same code.

Invariants the rest of Rasad relies on:
- an article key is stored once; a stored key is never fetched again;
- a match is unique per (article, rule) and a delivery per (match, channel);
- a match and its pending deliveries are written in one transaction;
- a delivery is claimed (attempts + 1, leased) before it is sent and marked sent after, so a crash
  can cause at most a resend of the same message, never a loss.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import os
import secrets
import threading
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Column,
    DateTime,
    Text,
    TypeDecorator,
    UniqueConstraint,
    event,
    func,
    insert,
    inspect,
    text,
)
from sqlalchemy.engine import Dialect, Engine, make_url
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError, SQLAlchemyError
from sqlmodel import Field, Session, SQLModel, col, create_engine, select

from monitor.dburl import mask
from monitor.errors import StoreError, StoreLost
from monitor.logs import event as log_event
from monitor.model import Article, FeedReport, Match, MentionedDate, TermHit
from monitor.published import restored, stored

log = logging.getLogger("rasad.store")


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


# ---------------------------------------------------------------- what callers get


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


# ---------------------------------------------------------------- the store


class Store:
    """All database access. Thread-safe; one instance per process."""

    def __init__(self, url: str) -> None:
        self.url = url
        try:
            parsed = make_url(url)
        except Exception as exc:  # SQLAlchemy's URL parser raises several kinds
            raise StoreError(f"invalid database URL {mask(url)}: {type(exc).__name__}") from None
        self.dialect = parsed.get_backend_name()
        if self.dialect == "postgresql" and parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        # the database file, whose identity is checked before each write (a deleted or replaced file)
        self._file: Path | None = None
        self._identity: tuple[int, int] | None = None
        if self.dialect == "sqlite" and parsed.database not in (None, "", ":memory:"):
            self._file = Path(parsed.database)
            self._file.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.engine: Engine = create_engine(parsed, pool_pre_ping=self.dialect != "sqlite")
        except ImportError as exc:
            raise StoreError(
                f"no driver for {self.dialect}: {exc}", hint="pip install 'rasad[postgres]'"
            ) from None
        # feed name → row id: a feed's row is never deleted nor renumbered (read again after a failed write)
        self._feed_ids: dict[str, int] = {}
        if self.dialect == "sqlite":
            _sqlite_pragmas(self.engine)
        self._writer = self.engine.execution_options(rasad_write=True)
        # ingest (articles, poll records): committed without waiting for the disk; see _write
        self._ingest = self.engine.execution_options(rasad_write=True, rasad_lazy=True)
        self._installation: str | None = None
        self._down: str | None = None  # why the database is unavailable, while it is
        self._down_lock = threading.Lock()

    def create(self) -> None:
        """Create missing tables and add missing columns (idempotent).

        Rasad's schema only grows: a new version adds tables and nullable or defaulted columns, never
        renames or drops. So upgrading a database means adding what is missing, which is done here at
        start-up; anything else would be refused by the database with a clear error.
        """
        with self._errors("create tables"):
            SQLModel.metadata.create_all(self.engine)
            self._add_missing_columns()
        if self._file is not None:
            st = self._file.stat()
            self._identity = (st.st_dev, st.st_ino)
        self.installation_id()

    def installation_id(self) -> str:
        """A random id made when the database was created: alert keys carry it, so a new or restored
        database never reuses the keys (email Message-IDs) of another one's alerts."""
        if self._installation is not None:
            return self._installation
        with self._errors("read the installation id"):
            for _ in range(2):  # two processes creating the same database: the second reads the first's
                with Session(self.engine) as s:
                    row = s.get(MetaRow, "installation")
                    if row is not None:
                        self._installation = row.value
                        return row.value
                try:
                    with Session(self._writer) as s:
                        s.add(MetaRow(key="installation", value=secrets.token_hex(6)))
                        s.commit()
                except IntegrityError:
                    continue
        raise StoreError("cannot record the installation id")

    def _add_missing_columns(self) -> None:
        inspector = inspect(self.engine)
        with self.engine.begin() as conn:
            for table in SQLModel.metadata.sorted_tables:
                present = {c["name"] for c in inspector.get_columns(table.name)}
                for column in table.columns:
                    if column.name in present:
                        continue
                    kind = column.type.compile(dialect=self.engine.dialect)
                    scalar = column.default is not None and column.default.is_scalar
                    default = getattr(column.default, "arg", None) if scalar else None
                    clause = f" DEFAULT {_literal(default)}" if default is not None else ""
                    if not column.nullable and default is None:
                        raise StoreError(
                            f"cannot upgrade table {table.name}: new column {column.name} needs a value"
                        )
                    conn.exec_driver_sql(
                        f'ALTER TABLE {table.name} ADD COLUMN "{column.name}" {kind}{clause}'
                    )
                    log_event(log, "store.upgraded", table=table.name, column=column.name)

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def _errors(self, doing: str) -> Iterator[None]:
        try:
            yield
        except IntegrityError:
            raise  # a constraint doing its job: the caller decides what it means
        except (OperationalError, DBAPIError) as exc:
            raise self._failed(doing, exc) from None
        if self._down is not None:
            self._available()

    def _failed(self, doing: str, exc: SQLAlchemyError) -> StoreError:
        """Translate a database error; a connection that may be stuck in a bad state is dropped."""
        message = f"cannot {doing}: {_first_line(exc)}"
        kind = _kind(exc)
        if kind == "lost":
            return StoreLost(
                f"{message}: its tables are gone",
                hint="the database was deleted or replaced while Rasad ran; Rasad stops rather than write "
                "into a new empty one unnoticed: restore it, or start Rasad again to begin a new one",
            )
        if kind in ("unavailable", "readonly"):
            # a connection opened while the file was read-only stays read-only; one to a restarted
            # server is dead: new connections next time
            self.engine.dispose()
            with self._down_lock:
                first = self._down is None
                self._down = kind
            if first and self._installation is not None:  # before it was ever opened: the caller says it
                log_event(log, "store.unavailable", logging.ERROR, error=_first_line(exc), hint=_hint(exc))
            return StoreError(message, hint=_hint(exc), temporary=True)
        return StoreError(message, hint=_hint(exc), temporary=kind == "full")

    def _available(self) -> None:
        with self._down_lock:
            was, self._down = self._down, None
        if was is not None:
            log_event(log, "store.available", was=was)

    @property
    def unavailable(self) -> bool:
        """Whether the last attempt found the database unreachable (or unwritable)."""
        return self._down is not None

    def _check_identity(self) -> None:
        """The SQLite file is still the one opened: a deleted file would take every write with it."""
        if self._file is None or self._identity is None:
            return
        try:
            st = self._file.stat()
        except FileNotFoundError:
            st = None
        if st is None or (st.st_dev, st.st_ino) != self._identity:
            what = "deleted" if st is None else "replaced"
            raise StoreLost(
                f"the database file {self._file} was {what} while Rasad ran",
                hint="Rasad stops rather than write into a deleted file: restore it from a backup, or start "
                "Rasad again to begin a new database",
            )

    def _writable_again(self) -> None:
        """After a read-only spell: SQLite gives its -wal and -shm files the database file's mode
        when it makes them, so a pair made while the file was read-only stays read-only after the
        file's permissions come back, and every new connection is read-only. Give them the file's
        mode again (they are Rasad's own files), and start over with new connections."""
        if self._file is None or not os.access(self._file, os.W_OK):
            return
        mode = self._file.stat().st_mode & 0o777
        for suffix in ("-wal", "-shm"):
            side = self._file.with_name(self._file.name + suffix)
            with contextlib.suppress(OSError):
                if side.exists() and not os.access(side, os.W_OK):
                    side.chmod(mode)
        self.engine.dispose()

    @contextmanager
    def _write(self, doing: str, *, durable: bool = True) -> Iterator[Session]:
        """A write transaction. ``durable=False`` (ingest: articles with their matches and
        deliveries, poll records) commits without waiting for the disk: SQLite WAL with
        ``synchronous=NORMAL``, PostgreSQL with ``synchronous_commit=off``. A crash of Rasad loses
        nothing either way; a power loss or OS crash may lose the last ingest commits, and only those
        made after the last durable commit, which carries every earlier one to disk. Every change of
        a delivery's state is durable, so an alert that went out was stored, with its article, on
        disk first; a lost article is fetched, matched and stored again at the next poll, and its
        alert, never sent, is sent then."""
        self._check_identity()
        if self._down == "readonly":
            self._writable_again()
        engine = self._writer if durable else self._ingest
        with self._errors(doing), Session(engine, expire_on_commit=False) as session:
            if not durable and self.dialect == "postgresql":
                session.exec(text("SET LOCAL synchronous_commit TO OFF"))  # type: ignore[call-overload]
            yield session
            session.commit()

    @contextmanager
    def _read(self, doing: str) -> Iterator[Session]:
        with self._errors(doing), Session(self.engine, expire_on_commit=False) as session:
            yield session

    # -- feeds

    def sync_feeds(self, feeds: Iterable[tuple[str, str]]) -> None:
        """Make sure a row exists for every configured (name, url); a changed URL resets validators."""
        with self._write("sync feeds") as s:
            rows = {r.name: r for r in s.exec(select(FeedRow))}
            for name, url in feeds:
                row = rows.get(name)
                if row is None:
                    s.add(FeedRow(name=name, url=url))
                elif row.url != url:
                    row.url, row.etag, row.last_modified = url, None, None
                    s.add(row)

    def feed_state(self, name: str) -> FeedState:
        with self._read("read feed state") as s:
            row = s.exec(select(FeedRow).where(FeedRow.name == name)).first()
            if row is None:
                return FeedState(None, None)
            return FeedState(
                row.etag,
                row.last_modified,
                row.next_poll_at,
                row.last_full_fetch_at,
                row.error_count,
                None if row.cadence is None else timedelta(seconds=row.cadence),
            )

    def record_poll(
        self,
        report: FeedReport,
        now: datetime,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        next_poll_at: datetime | None = None,
    ) -> None:
        """Store a poll's outcome on the feed: validators on success, the error and its count on failure."""
        self.record_polls([PollRecord(report, now, etag, last_modified, next_poll_at)])

    def record_polls(self, polls: Sequence[PollRecord]) -> list[None]:
        """Several feeds' poll outcomes in one transaction (a cycle of unchanged feeds: one commit)."""
        with self._write("record poll", durable=False) as s:
            names = [p.report.feed for p in polls]
            rows = {r.name: r for r in s.exec(select(FeedRow).where(col(FeedRow.name).in_(names)))}
            for poll in polls:
                report, now = poll.report, poll.now
                row = rows.get(report.feed)
                if row is None:
                    continue  # dropped from feeds.yaml while it was polled: nothing to record
                row.last_polled_at = now
                row.last_status = report.status
                row.next_poll_at = poll.next_poll_at
                if poll.cadence is not None:
                    row.cadence = poll.cadence.total_seconds()
                if report.status == "error":
                    row.error_count += 1
                    row.last_error = report.error
                else:
                    row.error_count = 0
                    row.last_error = None
                    row.last_success_at = now
                    if report.status == "ok":
                        row.etag, row.last_modified = poll.etag, poll.last_modified
                        row.last_full_fetch_at = now
                s.add(row)
        return [None] * len(polls)

    def feeds(self) -> list[FeedStatus]:
        with self._read("list feeds") as s:
            items = dict(
                s.exec(select(ArticleRow.feed_id, func.count()).group_by(col(ArticleRow.feed_id))).all()
            )
            matched = dict(
                s.exec(
                    select(ArticleRow.feed_id, func.count(col(MatchRow.id)))
                    .join(MatchRow, col(MatchRow.article_id) == col(ArticleRow.id))
                    .group_by(col(ArticleRow.feed_id))
                ).all()
            )
            return [
                FeedStatus(
                    r.name,
                    r.url,
                    r.last_polled_at,
                    r.last_success_at,
                    r.last_status,
                    r.error_count,
                    r.last_error,
                    items.get(r.id or 0, 0),
                    matched.get(r.id or 0, 0),
                    r.next_poll_at,
                    None if r.cadence is None else timedelta(seconds=r.cadence),
                )
                for r in s.exec(select(FeedRow).order_by(col(FeedRow.name)))
            ]

    # -- articles and matches

    def known_keys(self, keys: Sequence[str]) -> set[str]:
        """Which of ``keys`` are stored already (and must not be fetched again)."""
        found: set[str] = set()
        with self._read("look up articles") as s:
            for i in range(0, len(keys), 500):
                chunk = list(keys[i : i + 500])
                found.update(s.exec(select(ArticleRow.key).where(col(ArticleRow.key).in_(chunk))).all())
        return found

    def save_article(
        self,
        feed: str,
        article: Article,
        matches: Sequence[tuple[Match, Sequence[RouteSpec]]],
        now: datetime,
        story: StoryLink | None = None,
    ) -> list[int]:
        """Store an article, its matches and one pending delivery per (match, channel), atomically.

        Returns the new match ids; an article already stored is left as it is and returns [].
        """
        return self.save_articles([(feed, article, matches, now, story)])[0]

    def save_articles(self, items: Sequence[NewArticle]) -> list[list[int]]:
        """Store several articles in one transaction (one commit, one sync to disk), each one whole:
        an article already stored is left as it is and gets []. Returns each one's new match ids."""
        try:
            with self._write("store articles", durable=False) as s:
                keys = [article.key for _, article, *_ in items]
                stored_keys: set[str] = set()
                for i in range(0, len(keys), 500):
                    chunk = keys[i : i + 500]
                    stored_keys.update(
                        s.exec(select(ArticleRow.key).where(col(ArticleRow.key).in_(chunk))).all()
                    )
                out: list[list[int]] = []
                feed_ids = self._feed_ids
                plain: list[dict[str, Any]] = []  # articles without matches, inserted together
                for feed, article, matches, now, story in items:
                    if article.key in stored_keys:
                        out.append([])
                        continue
                    stored_keys.add(article.key)
                    values = _article_values(s, feed, article, now, story, feed_ids)
                    if not matches:
                        plain.append(values)
                        out.append([])
                        continue
                    _insert(s, plain)  # the articles before it first: ids in the order they came
                    out.append(self._add_article(s, values, matches, now, story))
                _insert(s, plain)
                return out
        except IntegrityError:
            # another process stored one of them meanwhile (PostgreSQL, several daemons): one by one
            self._feed_ids.clear()
            if len(items) == 1:
                return [[]]
            return [self.save_articles([item])[0] for item in items]

    def _add_article(
        self,
        s: Session,
        values: dict[str, Any],
        matches: Sequence[tuple[Match, Sequence[RouteSpec]]],
        now: datetime,
        story: StoryLink | None,
    ) -> list[int]:
        """Add one article (its column ``values``) with its matches and deliveries to ``s``: flushed
        at once, for the ids its matches and story need."""
        row = ArticleRow(**values)
        s.add(row)
        s.flush()
        assert row.id is not None
        if story is not None and story.joined is None:
            row.story_id = row.id  # it starts a story
            s.add(row)
        ids = []
        for m, channels in matches:
            mrow = MatchRow(
                article_id=row.id,
                rule_id=m.rule_id,
                score=m.score,
                explanation=_explanation_json(m),
                created_at=now,
            )
            s.add(mrow)
            s.flush()
            assert mrow.id is not None
            ids.append(mrow.id)
            seen: set[str] = set()
            for route in channels:  # a channel name, or (channel, mode, due[, kind])
                channel, mode, due, *kind = (route, "immediate", now) if isinstance(route, str) else route
                if channel in seen:
                    continue
                seen.add(channel)
                s.add(
                    DeliveryRow(
                        match_id=mrow.id,
                        channel=channel,
                        mode=mode,
                        next_attempt_at=due,
                        created_at=now,
                        kind=kind[0] if kind else "alert",
                    )
                )
        s.flush()
        return ids

    def matches(self, *, since: datetime | None = None, rule: str | None = None) -> list[StoredMatch]:
        with self._read("list matches") as s:
            q = (
                select(MatchRow, ArticleRow, FeedRow)
                .join(ArticleRow, col(ArticleRow.id) == col(MatchRow.article_id))
                .join(FeedRow, col(FeedRow.id) == col(ArticleRow.feed_id))
            )
            if since is not None:
                q = q.where(col(MatchRow.created_at) >= since)
            if rule is not None:
                q = q.where(MatchRow.rule_id == rule)
            rows = s.exec(q.order_by(col(MatchRow.created_at), col(MatchRow.id))).all()
            deliveries: dict[int, list[tuple[str, str]]] = {}
            ids = [m.id for m, _, _ in rows]
            for i in range(0, len(ids), 500):
                for d in s.exec(select(DeliveryRow).where(col(DeliveryRow.match_id).in_(ids[i : i + 500]))):
                    deliveries.setdefault(d.match_id, []).append((d.channel, d.status))
            stories = sorted({a.story_id for _, a, _ in rows if a.story_id is not None})
            outlets: dict[int, list[str]] = {}
            for i in range(0, len(stories), 500):
                members = s.exec(
                    select(ArticleRow.story_id, ArticleRow.source)
                    .where(col(ArticleRow.story_id).in_(stories[i : i + 500]))
                    .order_by(col(ArticleRow.id))
                )
                for story_id, source in members:
                    names = outlets.setdefault(story_id or 0, [])
                    if source not in names:
                        names.append(source)
            out = []
            for m, a, f in rows:
                stored = _stored(m, a, f, deliveries.get(m.id or 0, []))
                if a.story_id is not None:
                    note = StoryNote(
                        tuple(outlets.get(a.story_id, [])),
                        a.story_score if a.story_id != a.id else None,
                        tuple(json.loads(a.story_shared or "[]")),
                        tuple(json.loads(a.story_passages or "[]")),
                    )
                    stored = replace(stored, story=note)
                out.append(stored)
            return out

    def articles(self, since: datetime | None = None, batch: int = 200) -> Iterator[tuple[Article, set[str]]]:
        """Stored articles (first seen since ``since``) with the ids of the rules they matched."""
        last_id = 0
        while True:
            with self._read("read articles") as s:
                q = select(ArticleRow).where(col(ArticleRow.id) > last_id)
                if since is not None:
                    q = q.where(col(ArticleRow.fetched_at) >= since)
                rows = s.exec(q.order_by(col(ArticleRow.id)).limit(batch)).all()
                if not rows:
                    return
                ids = [r.id for r in rows]
                matched: dict[int, set[str]] = {}
                for article_id, rule_id in s.exec(
                    select(MatchRow.article_id, MatchRow.rule_id).where(col(MatchRow.article_id).in_(ids))
                ):
                    matched.setdefault(article_id, set()).add(rule_id)
            for r in rows:
                yield _article(r), matched.get(r.id or 0, set())
            last_id = rows[-1].id or 0

    def count_articles(self, since: datetime | None = None) -> int:
        with self._read("count articles") as s:
            q = select(func.count()).select_from(ArticleRow)
            if since is not None:
                q = q.where(col(ArticleRow.fetched_at) >= since)
            return int(s.exec(q).one())

    # -- deliveries

    def claim_due(self, now: datetime, lease: timedelta, limit: int = 100) -> list[Delivery]:
        """Pending deliveries due at ``now``, claimed: attempts + 1 and leased until ``now + lease``.

        A claim is written before the send, so a crash mid-send makes the delivery due again when its
        lease runs out (resent with the same idempotency key), never lost.
        """
        with self._write("claim deliveries") as s:
            rows = s.exec(
                select(DeliveryRow)
                .where(col(DeliveryRow.status).in_(("pending", "sending")))
                .where(col(DeliveryRow.next_attempt_at) <= now)
                .order_by(col(DeliveryRow.next_attempt_at), col(DeliveryRow.id))
                .limit(limit)
                .with_for_update(skip_locked=True)
            ).all()
            for row in rows:
                row.status = "sending"
                row.attempts += 1
                row.next_attempt_at = now + lease
                s.add(row)
            s.flush()
            return [self._delivery(s, row) for row in rows]

    def _delivery(self, s: Session, row: DeliveryRow) -> Delivery:
        m = s.get(MatchRow, row.match_id)
        assert m is not None
        a = s.get(ArticleRow, m.article_id)
        assert a is not None
        f = s.get(FeedRow, a.feed_id)
        assert f is not None and row.id is not None
        return Delivery(
            row.id,
            row.channel,
            row.mode,
            row.status,
            row.attempts,
            row.next_attempt_at,
            row.last_error,
            _stored(m, a, f, []),
            row.kind,
            row.created_at,
            row.message_key,
            frozenset(json.loads(row.listed)) if row.listed is not None else None,
        )

    def record_listed(self, delivery_ids: Sequence[int], listed: Sequence[int]) -> None:
        """Fix the other articles an alert names before it is sent: a resend after a crash names the
        same ones (mail clients keep one message per Message-ID), and a later outlet not among them
        gets a follow-up of its own."""
        named = json.dumps(sorted(set(listed)))
        with self._write("record an alert's other outlets") as s:
            for row in s.exec(select(DeliveryRow).where(col(DeliveryRow.id).in_(list(delivery_ids)))):
                if row.listed is None:
                    row.listed = named
                    s.add(row)

    def mark_sent(
        self,
        delivery_ids: int | Sequence[int],
        now: datetime,
        message_key: str | None = None,
        message_ref: str | None = None,
        listed: Iterable[int] | None = None,
    ) -> None:
        """Sent, in the message ``message_key`` (several deliveries share one in a batch); the channel
        calls it ``message_ref``; the message named the story's articles ``listed`` as other outlets."""
        ids = [delivery_ids] if isinstance(delivery_ids, int) else list(delivery_ids)
        named = json.dumps(sorted(set(listed))) if listed is not None else None
        with self._write("record delivery") as s:
            for row in s.exec(select(DeliveryRow).where(col(DeliveryRow.id).in_(ids))):
                row.status, row.sent_at, row.last_error, row.message_key = "sent", now, None, message_key
                row.message_ref = message_ref
                if listed is not None:
                    row.listed, row.listed_at = named, now
                s.add(row)

    def story_origin(self, story_id: int, rule_id: str, channel: str) -> Origin | None:
        """The first alert that ``channel`` got (or is to get) for ``rule_id`` in this story, if any.

        Per rule: an alert names its rules, so a story alerted for one rule has not told anyone
        about another rule that a later article of the story matches."""
        with self._read("read a story's alert") as s:
            found = s.exec(
                select(DeliveryRow, MatchRow, ArticleRow, FeedRow)
                .join(MatchRow, col(MatchRow.id) == col(DeliveryRow.match_id))
                .join(ArticleRow, col(ArticleRow.id) == col(MatchRow.article_id))
                .join(FeedRow, col(FeedRow.id) == col(ArticleRow.feed_id))
                .where(ArticleRow.story_id == story_id, MatchRow.rule_id == rule_id)
                .where(DeliveryRow.channel == channel, DeliveryRow.kind == "alert")
                .order_by(col(ArticleRow.id), col(DeliveryRow.id))
            ).first()
            if found is None:
                return None
            d, m, a, f = found
            listed = frozenset(json.loads(d.listed)) if d.listed else frozenset()
            return Origin(
                d.status, d.message_key, d.message_ref, listed, _stored(m, a, f, []), d.next_attempt_at
            )

    def story_rules(self, story_id: int) -> set[str]:
        """The rules that the story's articles matched so far."""
        with self._read("read a story's rules") as s:
            return set(
                s.exec(
                    select(MatchRow.rule_id)
                    .join(ArticleRow, col(ArticleRow.id) == col(MatchRow.article_id))
                    .where(ArticleRow.story_id == story_id)
                ).all()
            )

    def sent_messages(self, channel: str, since: datetime) -> int:
        """Messages (not deliveries: a batch is one) a channel was sent since ``since``."""
        with self._read("count sent messages") as s:
            return int(
                s.exec(
                    select(func.count(func.distinct(DeliveryRow.message_key)))
                    .where(DeliveryRow.channel == channel, DeliveryRow.status == "sent")
                    .where(col(DeliveryRow.sent_at) >= since)
                ).one()
            )

    def unclaim(self, ids: Sequence[int], until: datetime, mode: str | None = None) -> None:
        """Claimed deliveries never attempted (quiet hours, a rate limit, a shutdown came first): pending
        again and due at ``until``, their attempt not counted; ``mode`` may fold them into one message."""
        if not ids:
            return
        with self._write("release deliveries") as s:
            for row in s.exec(select(DeliveryRow).where(col(DeliveryRow.id).in_(list(ids)))):
                if row.status != "sending":
                    continue
                row.status, row.next_attempt_at = "pending", until
                row.attempts = max(0, row.attempts - 1)
                if mode is not None:
                    row.mode = mode
                s.add(row)

    def mark_failed(self, delivery_id: int, error: str, retry_at: datetime | None) -> None:
        """A failed attempt: due again at ``retry_at``, or dead-lettered when that is None."""
        with self._write("record delivery failure") as s:
            row = s.get(DeliveryRow, delivery_id)
            if row is not None:
                row.last_error = error
                if retry_at is None:
                    row.status = "dead"
                else:
                    row.status, row.next_attempt_at = "pending", retry_at
                s.add(row)

    # -- stories

    def story_candidates(self, since: datetime, after: int = 0) -> list[StoryMember]:
        """Articles that belong to a story and were first seen since ``since``, with an id above
        ``after`` (a caller that keeps the earlier ones reads only what is new); plain columns."""
        with self._read("read stories") as s:
            rows = s.exec(
                select(  # type: ignore[call-overload]
                    ArticleRow.id,
                    ArticleRow.story_id,
                    ArticleRow.published_at,
                    ArticleRow.fetched_at,
                    ArticleRow.source,
                    ArticleRow.title,
                    ArticleRow.url,
                    ArticleRow.lead,
                )
                .where(col(ArticleRow.story_id).is_not(None))
                .where(col(ArticleRow.fetched_at) >= since)
                .where(col(ArticleRow.id) > after)
                .order_by(col(ArticleRow.id))
            ).all()
            return [
                StoryMember(i, story, published or fetched, source, title, url, _lead(lead), fetched)
                for i, story, published, fetched, source, title, url, lead in rows
            ]

    def recent_words(self, since: datetime, limit: int = 5000) -> list[frozenset[str]]:
        """Content words of recent articles: the corpus that says which words are rare."""
        with self._read("read recent words") as s:
            rows = s.exec(
                select(ArticleRow.words)
                .where(col(ArticleRow.words).is_not(None))
                .where(col(ArticleRow.fetched_at) >= since)
                .order_by(col(ArticleRow.id).desc())
                .limit(limit)
            ).all()
            return [frozenset((w or "").split()) for w in rows]

    def escalate(
        self, story_id: int, rule_id: str, channel: str, outlets: int, within: timedelta, now: datetime
    ) -> bool:
        """If ``outlets`` distinct outlets reported the story within ``within`` of its start, queue its
        alert for ``channel`` — once: a delivery is unique per match and channel. True when queued now."""
        with self._write("escalate a story") as s:
            rows = s.exec(
                select(ArticleRow).where(ArticleRow.story_id == story_id).order_by(col(ArticleRow.id))
            ).all()
            if not rows:
                return False
            start = rows[0].published_at or rows[0].fetched_at
            sources = {r.source for r in rows if abs((r.published_at or r.fetched_at) - start) <= within}
            if len(sources) < outlets:
                return False
            head = s.exec(
                select(MatchRow).where(MatchRow.article_id == rows[0].id, MatchRow.rule_id == rule_id)
            ).first()
            if head is None or head.id is None:
                return False
            exists = s.exec(
                select(DeliveryRow).where(DeliveryRow.match_id == head.id, DeliveryRow.channel == channel)
            ).first()
            if exists is not None:
                return False
            s.add(DeliveryRow(match_id=head.id, channel=channel, next_attempt_at=now, created_at=now))
            return True

    def article_text(self, article_id: int) -> tuple[str, str]:
        """An article's title and body."""
        with self._read("read an article") as s:
            row = s.get(ArticleRow, article_id)
            return (row.title, row.body) if row is not None else ("", "")

    def story_members(self, story_id: int) -> list[StoryMember]:
        with self._read("read a story") as s:
            rows = s.exec(
                select(ArticleRow).where(ArticleRow.story_id == story_id).order_by(col(ArticleRow.id))
            )
            return [_member(r) for r in rows]

    # -- source health

    def first_seen(self, feed: str, limit: int = 20) -> list[datetime]:
        """When the feed's most recent articles were first seen (newest ``limit``)."""
        with self._read("read feed history") as s:
            return list(
                s.exec(
                    select(ArticleRow.fetched_at)
                    .join(FeedRow, col(FeedRow.id) == col(ArticleRow.feed_id))
                    .where(FeedRow.name == feed)
                    .order_by(col(ArticleRow.fetched_at).desc())
                    .limit(limit)
                ).all()
            )

    def set_health(self, feed: str, problem: str | None, channel: str, now: datetime) -> str | None:
        """Record the feed's health; on a change, queue one notice. Returns the notice kind, if any."""
        with self._write("record feed health") as s:
            row = s.exec(select(FeedRow).where(FeedRow.name == feed)).one()
            if (row.health_problem is None) == (problem is None):
                if problem is not None:
                    row.health_problem = problem  # still unhealthy: keep the latest reason, no new notice
                    s.add(row)
                return None
            kind = "feed.unhealthy" if problem is not None else "feed.recovered"
            text = problem if problem is not None else f"works again (was: {row.health_problem})"
            row.health_problem = problem
            s.add(row)
            s.add(
                NoticeRow(
                    kind=kind, feed=feed, channel=channel, text=text, next_attempt_at=now, created_at=now
                )
            )
            return kind

    def claim_notices(self, now: datetime, lease: timedelta, limit: int = 50) -> list[Notice]:
        with self._write("claim notices") as s:
            rows = s.exec(
                select(NoticeRow)
                .where(col(NoticeRow.status).in_(("pending", "sending")))
                .where(col(NoticeRow.next_attempt_at) <= now)
                .order_by(col(NoticeRow.id))
                .limit(limit)
            ).all()
            out = []
            for row in rows:
                row.status, row.attempts, row.next_attempt_at = "sending", row.attempts + 1, now + lease
                s.add(row)
                assert row.id is not None
                out.append(
                    Notice(row.id, row.kind, row.feed, row.channel, row.text, row.attempts, row.created_at)
                )
            return out

    def mark_notice(
        self, notice_id: int, now: datetime, error: str | None = None, retry_at: datetime | None = None
    ) -> None:
        """Sent (no error), due again at ``retry_at``, or dead (an error and no retry time)."""
        with self._write("record notice") as s:
            row = s.get(NoticeRow, notice_id)
            if row is None:
                return
            if error is None:
                row.status, row.last_error = "sent", None
            else:
                row.last_error = error
                row.status = "dead" if retry_at is None else "pending"
                if retry_at is not None:
                    row.next_attempt_at = retry_at
            s.add(row)

    def release_claims(self, now: datetime) -> int:
        """At start-up: deliveries a previous process claimed but never finished are due now."""
        with self._write("release claims") as s:
            rows = s.exec(select(DeliveryRow).where(DeliveryRow.status == "sending")).all()
            for row in rows:
                row.status, row.next_attempt_at = "pending", now
                s.add(row)
            for notice in s.exec(select(NoticeRow).where(NoticeRow.status == "sending")).all():
                notice.status, notice.next_attempt_at = "pending", now
                s.add(notice)
            return len(rows)

    def deliveries(self, statuses: Sequence[str] = ("pending", "sending", "dead")) -> list[Delivery]:
        with self._read("list deliveries") as s:
            rows = s.exec(
                select(DeliveryRow).where(col(DeliveryRow.status).in_(statuses)).order_by(col(DeliveryRow.id))
            ).all()
            return [self._delivery(s, r) for r in rows]

    def delivery_statuses(self, ids: Sequence[int]) -> dict[int, str]:
        """The status of each of these deliveries that exists."""
        with self._read("look up deliveries") as s:
            rows = s.exec(
                select(DeliveryRow.id, DeliveryRow.status).where(col(DeliveryRow.id).in_(list(ids)))
            ).all()
            return {i: status for i, status in rows if i is not None}

    def retry(self, now: datetime, ids: Sequence[int] = (), all_dead: bool = False) -> int:
        """Re-queue deliveries (dead or pending) to be sent now. Returns how many were re-queued."""
        with self._write("re-queue deliveries") as s:
            q = select(DeliveryRow).where(col(DeliveryRow.status).in_(("dead", "pending")))
            if not all_dead:
                q = q.where(col(DeliveryRow.id).in_(list(ids)))
            else:
                q = q.where(DeliveryRow.status == "dead")
            rows = s.exec(q).all()
            for row in rows:
                row.status, row.next_attempt_at, row.attempts = "pending", now, 0
                s.add(row)
            return len(rows)

    def counts(self) -> dict[str, int]:
        """Row counts per table and deliveries per status (for `rasad status` and tests)."""
        with self._read("count rows") as s:
            out = {
                "feeds": s.exec(select(func.count()).select_from(FeedRow)).one(),
                "articles": s.exec(select(func.count()).select_from(ArticleRow)).one(),
                "matches": s.exec(select(func.count()).select_from(MatchRow)).one(),
            }
            for status, n in s.exec(
                select(DeliveryRow.status, func.count()).group_by(col(DeliveryRow.status))
            ):
                out[f"deliveries_{status}"] = n
            for status, n in s.exec(select(NoticeRow.status, func.count()).group_by(col(NoticeRow.status))):
                out[f"notices_{status}"] = n
            return out


def _article_values(
    s: Session,
    feed: str,
    article: Article,
    now: datetime,
    story: StoryLink | None,
    feed_ids: dict[str, int],
) -> dict[str, Any]:
    """An article's row, as column values. ``feed_ids``: feeds' ids already read (kept by the store)."""
    feed_id = feed_ids.get(feed)
    if feed_id is None:
        found = s.exec(select(FeedRow.id).where(FeedRow.name == feed)).one()
        assert found is not None
        feed_id = feed_ids[feed] = found
    values: dict[str, Any] = {
        "key": article.key,
        "feed_id": feed_id,
        "source": article.source,
        "url": article.url,
        "title": article.title,
        "summary": article.summary,
        "body": article.body,
        "published_at": article.published,
        "published_as": stored(article.published),
        "fetched_at": now,
        "extraction": article.extraction,
        "words": None,
        "lead": None,
        "story_passages": None,
        "story_id": None,
        "story_score": None,
        "story_shared": None,
    }
    if story is not None:
        values["words"] = " ".join(sorted(story.words))
        values["lead"] = " ".join(w for w, n in sorted(story.lead.items()) for _ in range(n)) or None
        if story.passages:
            values["story_passages"] = json.dumps(list(story.passages), ensure_ascii=False)
        values["story_id"], values["story_score"] = story.joined, story.score
        values["story_shared"] = json.dumps(list(story.shared), ensure_ascii=False) if story.shared else None
    return values


def _insert(s: Session, rows: list[dict[str, Any]]) -> None:
    """Insert articles without matches in one statement (no ORM object each: most of a backlog's
    articles match nothing), and empty ``rows``."""
    if rows:
        s.connection().execute(insert(ArticleRow.__table__), rows)  # type: ignore[attr-defined]
        rows.clear()


def _stored(m: MatchRow, a: ArticleRow, f: FeedRow, deliveries: list[tuple[str, str]]) -> StoredMatch:
    assert m.id is not None
    hits, dates = _explanation(m.explanation)
    assert a.id is not None
    return StoredMatch(
        m.id,
        m.rule_id,
        m.score,
        hits,
        m.created_at,
        _article(a),
        tuple(deliveries),
        dates,
        a.story_id,
        article_id=a.id,
    )


@functools.lru_cache(maxsize=4096)
def _lead_terms(lead: str) -> Counter[str]:
    return Counter(lead.split())


def _lead(lead: str | None) -> Counter[str]:
    """A stored lead's term counts, parsed once per distinct lead (it is read again for every
    decision) and shared: read it, never change it."""
    return _lead_terms(lead or "")


def _member(a: ArticleRow) -> StoryMember:
    assert a.id is not None and a.story_id is not None
    return StoryMember(
        a.id,
        a.story_id,
        a.published_at or a.fetched_at,
        a.source,
        a.title,
        a.url,
        Counter((a.lead or "").split()),
    )


def _article(a: ArticleRow) -> Article:
    return Article(
        key=a.key,
        url=a.url,
        source=a.source,
        title=a.title,
        summary=a.summary,
        body=a.body,
        published=restored(a.published_as, a.published_at),
        extraction=a.extraction,
    )


def _sqlite_pragmas(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves (pysqlite's own is broken)
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA busy_timeout = 10000")
        cur.execute("PRAGMA journal_mode = WAL")
        cur.execute("PRAGMA synchronous = FULL")
        cur.execute("PRAGMA foreign_keys = ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        options = conn.get_execution_options()
        if options.get("rasad_write"):
            lazy = options.get("rasad_lazy")
            conn.exec_driver_sql(f"PRAGMA synchronous = {'NORMAL' if lazy else 'FULL'}")
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN")


def _literal(value: object) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int | float):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


def _first_line(exc: SQLAlchemyError) -> str:
    orig = getattr(exc, "orig", None)
    return str(orig or exc).strip().splitlines()[0]


_UNAVAILABLE = (
    "could not connect",
    "connection refused",
    "server closed the connection",
    "terminating connection",
    "connection is closed",
    "connection already closed",
    "the database system is",
    "no connection to the server",
    "connection timed out",
    "timeout expired",
    "connection to server",
    "ssl syscall error",
    "consuming input failed",
    "unable to open database file",
    "disk i/o error",
)


def _kind(exc: SQLAlchemyError) -> str | None:
    """What a database error means for Rasad: unavailable (try again), readonly, full, lost, or None."""
    text = _first_line(exc).lower()
    if getattr(exc, "connection_invalidated", False) or any(s in text for s in _UNAVAILABLE):
        return "unavailable"
    if "readonly" in text or "read-only" in text:
        return "readonly"
    if "disk" in text and "full" in text:
        return "full"
    if "no such table" in text or ("relation" in text and "does not exist" in text):
        return "lost"
    return None


def _hint(exc: SQLAlchemyError) -> str | None:
    text = _first_line(exc).lower()
    if "locked" in text or "busy" in text:
        return "another process holds the database; it is retried"
    if "unable to open" in text or "readonly" in text or "read-only" in text:
        return "check that the state directory exists and is writable by the rasad user"
    if "disk" in text and "full" in text:
        return "free disk space; Rasad carries on when it can write again"
    if "not a database" in text or "malformed" in text or "corrupt" in text:
        return "the database file is damaged: restore it from a backup, or move it away to start a new one"
    if "connection" in text or "could not connect" in text:
        return "check the database URL and that the server is running"
    return None
