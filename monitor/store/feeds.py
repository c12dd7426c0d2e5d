"""Feeds: their rows, each poll's record (validators, cadence, errors), and source health."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from sqlalchemy import func
from sqlmodel import col, select

from monitor.model import FeedReport
from monitor.store.base import StoreBase, in_chunks
from monitor.store.records import FeedState, FeedStatus, PollRecord
from monitor.store.tables import ArticleRow, FeedRow, MatchRow, NoticeRow


class FeedStore(StoreBase):
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
        return self.feed_states([name])[name]

    def feed_states(self, names: Sequence[str]) -> dict[str, FeedState]:
        """Several feeds' stored states in one query (a cycle of 200 feeds: one read, not 200);
        a feed not stored yet has an empty state."""
        found: dict[str, FeedState] = {}
        with self._read("read feed state") as s:
            for chunk in in_chunks(names):
                for row in s.exec(select(FeedRow).where(col(FeedRow.name).in_(chunk))):
                    found[row.name] = _state(row)
        return {name: found.get(name, FeedState(None, None)) for name in names}

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


def _state(row: FeedRow) -> FeedState:
    return FeedState(
        row.etag,
        row.last_modified,
        row.next_poll_at,
        row.last_full_fetch_at,
        row.error_count,
        None if row.cadence is None else timedelta(seconds=row.cadence),
    )
