"""Deliveries and notices: claimed (leased) before sending, marked sent after, retried or
dead; a crash can cause at most a resend, never a loss."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from sqlalchemy import bindparam, func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from monitor.store.articles import _stored
from monitor.store.base import StoreBase
from monitor.store.records import Delivery, Notice, Origin
from monitor.store.tables import ARTICLES, MATCHES, ArticleRow, DeliveryRow, FeedRow, MatchRow, NoticeRow

# read for every article that joins a story: a Core statement made once (see _CANDIDATES)
_STORY_RULES = (
    sa_select(MATCHES.c.rule_id)
    .join(ARTICLES, ARTICLES.c.id == MATCHES.c.article_id)
    .where(ARTICLES.c.story_id == bindparam("story"))
)


class DeliveryStore(StoreBase):
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
            return set(s.connection().execute(_STORY_RULES, {"story": story_id}).scalars())

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
