"""Deliver what the store says is pending; retry temporary failures with backoff; never send twice.

Each due delivery is claimed in the store (attempts + 1, leased) before it is sent and marked sent
after. A temporary failure is due again after an exponential, jittered backoff (or the server's
``Retry-After``); a permanent failure, or too many attempts, is dead-lettered for ``rasad deliveries``.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo

from alerts.base import Alert, Channel
from alerts.render import render, render_batch, render_notice, render_update
from alerts.templates import Templates
from monitor.errors import AlertError
from monitor.logs import event
from monitor.pacing import Quiet, quiet_until
from monitor.store import Delivery, Origin, Store, StoredMatch

log = logging.getLogger("rasad.outbox")
LEASE = timedelta(minutes=5)  # a claimed delivery not marked within this is due again
FOLD_WAIT = timedelta(minutes=10)  # over a rate limit: try again this much later, folded into one message
UPDATE_WAIT = timedelta(seconds=30)  # a follow-up whose story alert is still queued looks again after this


@dataclass(frozen=True)
class RetryPolicy:
    base: timedelta = timedelta(seconds=30)
    cap: timedelta = timedelta(hours=1)
    max_attempts: int = 12

    def next_attempt(
        self, attempts: int, now: datetime, error: AlertError, rng: random.Random
    ) -> datetime | None:
        """When to try again after failed attempt number ``attempts``; None means dead-letter."""
        if not error.temporary or attempts >= self.max_attempts:
            return None
        delay = min(self.cap.total_seconds(), self.base.total_seconds() * 2 ** (attempts - 1))
        delay *= rng.uniform(0.8, 1.2)  # jitter: many failed alerts do not all retry at the same second
        if error.retry_after is not None:
            delay = max(delay, error.retry_after)
        return now + timedelta(seconds=delay)


@dataclass
class Stats:
    sent: int = 0
    retrying: int = 0
    dead: int = 0


class Outbox:
    def __init__(
        self,
        store: Store,
        channels: Mapping[str, Channel],
        rule_name: Callable[[str], str],
        clock: Callable[[], datetime],
        policy: RetryPolicy | None = None,
        rng: random.Random | None = None,
        templates: Templates | None = None,
        pacing: Mapping[str, tuple[Quiet | None, int | None]] | None = None,
        tz: tzinfo = UTC,
    ) -> None:
        self.store = store
        self.channels = channels
        self.rule_name = rule_name
        self.clock = clock
        self.policy = policy or RetryPolicy()
        self.rng = rng or random.Random()
        self.templates = templates or Templates()
        self.pacing = dict(pacing or {})  # channel → (quiet hours, max messages an hour)
        self.tz = tz
        # when stopping: no send starts after this time.monotonic(); one that has started finishes
        self.deadline: float | None = None

    async def deliver_due(self) -> Stats:
        """Send every delivery due now. Channels work concurrently, each one in order."""
        stats = Stats()
        while self.deadline is None or time.monotonic() <= self.deadline:
            due = await asyncio.to_thread(self.store.claim_due, self.clock(), LEASE)
            if not due:
                return stats
            by_channel: dict[str, list[Delivery]] = {}
            for d in due:
                by_channel.setdefault(d.channel, []).append(d)
            await asyncio.gather(*(self._send_all(ds, stats) for ds in by_channel.values()))
        return stats

    async def deliver_notices(self) -> Stats:
        """Source-health notices: the same channels, retries and dead letters as alerts."""
        stats = Stats()
        for notice in await asyncio.to_thread(self.store.claim_notices, self.clock(), LEASE):
            channel = self.channels.get(notice.channel)
            try:
                if channel is None:
                    raise AlertError(f"channel '{notice.channel}' is not configured", temporary=False)
                await channel.send(render_notice(notice))
            except AlertError as exc:
                retry_at = self.policy.next_attempt(notice.attempts, self.clock(), exc, self.rng)
                await asyncio.to_thread(self.store.mark_notice, notice.id, self.clock(), str(exc), retry_at)
                stats.dead += retry_at is None
                stats.retrying += retry_at is not None
                event(
                    log,
                    "notice.failed",
                    logging.WARNING,
                    channel=notice.channel,
                    feed=notice.feed,
                    error=str(exc),
                )
                continue
            await asyncio.to_thread(self.store.mark_notice, notice.id, self.clock())
            stats.sent += 1
            event(log, "notice.sent", channel=notice.channel, feed=notice.feed, kind=notice.kind)
        return stats

    async def _send_all(self, deliveries: list[Delivery], stats: Stats) -> None:
        """One channel's due deliveries: quiet hours, rate limit, batches, then one message at a time."""
        name = deliveries[0].channel
        now = self.clock()
        quiet, limit = self.pacing.get(name, (None, None))
        until = quiet_until(quiet, now, self.tz)
        if until is not None:
            await asyncio.to_thread(self.store.unclaim, [d.id for d in deliveries], until)
            return
        messages = [[d] for d in deliveries if d.mode == "immediate"]
        collected = [d for d in deliveries if d.mode != "immediate"]
        if collected:
            messages.append(collected)  # a batch or digest window: one message
        if limit is not None:
            allowance = limit - await asyncio.to_thread(
                self.store.sent_messages, name, now - timedelta(hours=1)
            )
            if allowance <= 0:  # over the limit: everything waits, to go out together
                await asyncio.to_thread(
                    self.store.unclaim, [d.id for d in deliveries], now + FOLD_WAIT, "folded"
                )
                return
            if len(messages) > allowance:  # the excess is folded into one message, never dropped
                messages = [*messages[: allowance - 1], [d for m in messages[allowance - 1 :] for d in m]]
        for i, message in enumerate(messages):
            if self.deadline is not None and time.monotonic() > self.deadline:
                # out of time: what was claimed but not started goes back to pending, untouched
                rest = [d.id for m in messages[i:] for d in m]
                await asyncio.to_thread(self.store.unclaim, rest, self.clock())
                return
            if len(message) == 1:
                await self._send(message[0], stats)
            else:
                await self._send_batch(message, stats)

    def also_reported_by(self, stored: StoredMatch) -> list[dict[str, str]]:
        """The other outlets of the article's story, known at the time of sending."""
        if stored.story_id is None:
            return []
        members = self.store.story_members(stored.story_id)
        return [
            {"source": m.source, "url": m.url, "title": m.title}
            for m in members
            if m.url != stored.article.url
        ]

    async def _follows(self, ds: list[Delivery]) -> tuple[list[Delivery], dict[int, str]]:
        """Follow-ups in a batch or digest: those the story's alert already listed are done; the
        others are marked with the story they follow."""
        keep: list[Delivery] = []
        follows: dict[int, str] = {}
        for d in ds:
            story = d.match.story_id
            if d.kind != "update" or story is None:
                keep.append(d)
                continue
            origin = await asyncio.to_thread(self.store.story_origin, story, d.channel)
            if origin is not None and origin.status == "sent":
                if _listed(origin, d):
                    await asyncio.to_thread(self.store.mark_sent, d.id, self.clock(), origin.message_key)
                    continue
                follows[d.match.match_id] = origin.match.article.title or origin.match.article.url
            keep.append(d)
        return keep, follows

    async def _send_batch(self, ds: list[Delivery], stats: Stats) -> None:
        channel = self.channels.get(ds[0].channel)
        ds, follows = await self._follows(ds)
        if not ds:
            return
        try:
            if channel is None:
                raise AlertError(f"channel '{ds[0].channel}' is not configured", temporary=False)
            alert = render_batch([d.match for d in ds], self.rule_name, self.templates, follows)
            ref = await channel.send(alert)
        except AlertError as exc:
            for d in ds:
                retry_at = self.policy.next_attempt(d.attempts, self.clock(), exc, self.rng)
                await asyncio.to_thread(self.store.mark_failed, d.id, str(exc), retry_at)
            stats.retrying += len(ds)
            event(
                log,
                "alert.failed",
                logging.WARNING,
                channel=ds[0].channel,
                deliveries=len(ds),
                error=str(exc),
            )
            return
        await asyncio.to_thread(self.store.mark_sent, [d.id for d in ds], self.clock(), alert.key, ref)
        stats.sent += len(ds)
        event(log, "alert.sent", channel=ds[0].channel, deliveries=len(ds), key=alert.key)

    async def _send(self, d: Delivery, stats: Stats) -> None:
        channel = self.channels.get(d.channel)
        listed_at = self.clock()
        try:
            if channel is None:
                raise AlertError(
                    f"channel '{d.channel}' is not configured",
                    temporary=False,
                    hint="add it to rasad.yaml, then `rasad deliveries retry --all-dead`",
                )
            alert = await self._update(d) if d.kind == "update" else None
            if alert is None and d.kind == "update":
                return  # nothing to send now (see _update)
            if alert is None:
                also = await asyncio.to_thread(self.also_reported_by, d.match)
                alert = render(d.match, self.rule_name(d.match.rule_id), self.templates, also)
            ref = await channel.send(alert)
        except AlertError as exc:
            retry_at = self.policy.next_attempt(d.attempts, self.clock(), exc, self.rng)
            await asyncio.to_thread(self.store.mark_failed, d.id, str(exc), retry_at)
            if retry_at is None:
                stats.dead += 1
                event(
                    log,
                    "alert.dead",
                    logging.ERROR,
                    channel=d.channel,
                    delivery=d.id,
                    attempts=d.attempts,
                    error=str(exc),
                )
            else:
                stats.retrying += 1
                event(
                    log,
                    "alert.failed",
                    logging.WARNING,
                    channel=d.channel,
                    delivery=d.id,
                    attempts=d.attempts,
                    retry_at=retry_at.isoformat(timespec="seconds"),
                    error=str(exc),
                )
            return
        await asyncio.to_thread(self.store.mark_sent, d.id, self.clock(), alert.key, ref, listed_at)
        stats.sent += 1
        event(log, "alert.sent", channel=d.channel, delivery=d.id, rule=d.match.rule_id, key=alert.key)

    async def _update(self, d: Delivery) -> Alert | None:
        """A later outlet of a story: the follow-up to send, or None when there is none to send now.

        - the channel never got the story's alert (it went elsewhere, or died): a full alert, since
          for this channel the story is news;
        - the story's alert has not gone out yet: wait for it — it lists this outlet when it does;
        - it went out after this outlet was known, so it listed it: nothing more to say;
        - it went out before: a short follow-up in its thread.
        """
        story = d.match.story_id
        origin = await asyncio.to_thread(self.store.story_origin, story, d.channel) if story else None
        now = self.clock()
        if origin is None or origin.status == "dead":
            also = await asyncio.to_thread(self.also_reported_by, d.match)
            return render(d.match, self.rule_name(d.match.rule_id), self.templates, also)
        if origin.status != "sent":
            await asyncio.to_thread(self.store.unclaim, [d.id], max(origin.due, now + UPDATE_WAIT))
            return None
        if _listed(origin, d):
            await asyncio.to_thread(self.store.mark_sent, d.id, now, origin.message_key)
            event(log, "update.included", channel=d.channel, delivery=d.id, alert=origin.message_key)
            return None
        return render_update(
            d.match,
            origin.match,
            self.rule_name(d.match.rule_id),
            reply_to=origin.message_key,
            thread=origin.message_ref,
            templates=self.templates,
        )


def _listed(origin: Origin, d: Delivery) -> bool:
    """Whether the story's alert was written after this outlet joined, so it named it already."""
    return origin.listed_at is not None and d.created_at is not None and d.created_at <= origin.listed_at
