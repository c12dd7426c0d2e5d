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

from alerts.base import Channel
from alerts.render import ALSO_MAX, render, render_batch, render_notice, render_update
from alerts.retry import RetryPolicy
from alerts.templates import Templates
from monitor.errors import AlertError
from monitor.logs import event
from monitor.pacing import Quiet, quiet_until
from monitor.store import Delivery, Origin, Store, StoredMatch

log = logging.getLogger("rasad.outbox")
LEASE = timedelta(minutes=5)  # a claimed delivery not marked within this is due again
FOLD_WAIT = timedelta(minutes=10)  # over a rate limit: try again this much later, folded into one message
UPDATE_WAIT = timedelta(seconds=30)  # a follow-up whose story alert is still queued looks again after this


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
        group_rules: Mapping[str, bool] | None = None,
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
        self.group_rules = dict(group_rules or {})  # channel → one message per article (default) or per rule
        self.paused: dict[str, datetime] = {}  # channel → nothing is sent to it before (a Retry-After)
        # when stopping: no send starts after this time.monotonic(); one that has started finishes
        self.deadline: float | None = None

    def key(self, local: str) -> str:
        """A message key unique across databases: the installation id, then the store's own id."""
        return f"{self.store.installation_id()}.{local}"

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
            paused = self.paused.get(notice.channel)
            try:
                if channel is None:
                    raise AlertError(f"channel '{notice.channel}' is not configured", temporary=False)
                if paused is not None and paused > self.clock():
                    await asyncio.to_thread(
                        self.store.mark_notice, notice.id, self.clock(), "channel paused", paused
                    )
                    continue
                await channel.send(render_notice(notice, self.key(f"n{notice.id}")))
            except AlertError as exc:
                self._pause(notice.channel, exc)
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

    def _pause(self, channel: str, exc: AlertError) -> None:
        """The server asked to wait (429 + Retry-After): nothing more goes to it before then."""
        if exc.retry_after is not None:
            until = self.clock() + timedelta(seconds=exc.retry_after)
            self.paused[channel] = max(until, self.paused.get(channel, until))
            event(log, "channel.paused", logging.WARNING, channel=channel, until=until.isoformat())

    def _messages(self, deliveries: list[Delivery]) -> list[_Message]:
        """What to send: one message per article (naming every rule it matched, unless the channel
        wants one per rule), follow-ups per article, and everything collected (batch, digest) as one."""
        messages: dict[tuple[str, int], _Message] = {}
        collected: list[Delivery] = []
        group = self.group_rules.get(deliveries[0].channel, True)
        for d in deliveries:
            if d.mode != "immediate":
                collected.append(d)
                continue
            kind = "update" if d.kind == "update" else "alert"
            key = (kind, d.match.article_id if group else -d.id)
            messages.setdefault(key, _Message(kind, [])).deliveries.append(d)
        out = list(messages.values())
        if collected:
            out.append(_collected(collected))  # a batch or digest window: one message
        return out

    async def _send_all(self, deliveries: list[Delivery], stats: Stats) -> None:
        """One channel's due deliveries: a pause, quiet hours, rate limit, then one message at a time."""
        name = deliveries[0].channel
        now = self.clock()
        paused = self.paused.get(name)
        if paused is not None and paused > now:
            await asyncio.to_thread(self.store.unclaim, [d.id for d in deliveries], paused)
            return
        quiet, limit = self.pacing.get(name, (None, None))
        until = quiet_until(quiet, now, self.tz)
        if until is not None:
            await asyncio.to_thread(self.store.unclaim, [d.id for d in deliveries], until)
            return
        messages = self._messages(deliveries)
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
                folded = [d for m in messages[allowance - 1 :] for d in m.deliveries]
                messages = [*messages[: allowance - 1], _collected(folded)]
        for i, message in enumerate(messages):
            rest = [d.id for later in messages[i:] for d in later.deliveries]
            if self.deadline is not None and time.monotonic() > self.deadline:
                # out of time: what was claimed but not started goes back to pending, untouched
                await asyncio.to_thread(self.store.unclaim, rest, self.clock())
                return
            paused = self.paused.get(name)
            if paused is not None and paused > self.clock():  # a 429 earlier in this round
                await asyncio.to_thread(self.store.unclaim, rest, paused)
                return
            if message.kind == "collected":
                await self._send_batch(message.deliveries, stats)
            elif message.kind == "update":
                await self._send_updates(message.deliveries, stats)
            else:
                await self._send_alert(message.deliveries, stats)

    def also_reported_by(self, stored: StoredMatch) -> tuple[list[dict[str, str]], list[int]]:
        """The other outlets of the article's story known at the time of sending, and their article ids."""
        if stored.story_id is None:
            return [], []
        members = [
            m
            for m in self.store.story_members(stored.story_id)
            if m.article_id != stored.article_id and m.url != stored.article.url
        ]
        return [{"source": m.source, "url": m.url, "title": m.title} for m in members], [
            m.article_id for m in members
        ]

    async def _follows(self, ds: list[Delivery]) -> tuple[list[Delivery], dict[int, str]]:
        """Follow-ups in a batch or digest: those the story's alert already named are done; the
        others are marked with the story they follow."""
        keep: list[Delivery] = []
        follows: dict[int, str] = {}
        for d in ds:
            origin = await self._origin(d)
            if d.kind != "update" or origin is None:
                keep.append(d)
                continue
            if origin.status == "sent":
                if d.match.article_id in origin.listed:
                    await asyncio.to_thread(self.store.mark_sent, d.id, self.clock(), origin.message_key)
                    event(log, "update.included", channel=d.channel, delivery=d.id, alert=origin.message_key)
                    continue
                follows[d.match.match_id] = origin.match.article.title or origin.match.article.url
            keep.append(d)
        return keep, follows

    async def _origin(self, d: Delivery) -> Origin | None:
        """For a later outlet's follow-up: the story's first alert for the same rule on this channel."""
        story = d.match.story_id
        if d.kind != "update" or story is None:
            return None
        return await asyncio.to_thread(self.store.story_origin, story, d.match.rule_id, d.channel)

    async def _failed(self, ds: list[Delivery], exc: AlertError, stats: Stats) -> None:
        """A message that could not be sent: each of its deliveries is retried later or dead-lettered."""
        self._pause(ds[0].channel, exc)
        for d in ds:
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

    def _channel(self, name: str) -> Channel:
        channel = self.channels.get(name)
        if channel is None:
            raise AlertError(
                f"channel '{name}' is not configured",
                temporary=False,
                hint="add it to rasad.yaml, then `rasad deliveries retry --all-dead`",
            )
        return channel

    async def _send_batch(self, ds: list[Delivery], stats: Stats) -> None:
        ds, follows = await self._follows(ds)
        if not ds:
            return
        alert = None
        try:
            channel = self._channel(ds[0].channel)
            key = self.key(f"b{ds[0].match.match_id}x{len(ds)}")
            alert = render_batch([d.match for d in ds], self.rule_name, self.templates, follows, key)
            ref = await channel.send(alert)
        except AlertError as exc:
            await self._failed(ds, exc, stats)
            return
        await asyncio.to_thread(self.store.mark_sent, [d.id for d in ds], self.clock(), alert.key, ref)
        stats.sent += len(ds)
        event(log, "alert.sent", channel=ds[0].channel, deliveries=len(ds), key=alert.key)

    async def _send_alert(self, ds: list[Delivery], stats: Stats) -> None:
        """One article's alert on one channel, naming every rule of ``ds`` (the same article)."""
        ds = sorted(ds, key=lambda d: d.match.match_id)
        first = ds[0].match
        try:
            channel = self._channel(ds[0].channel)
            also, listed = await self._named(ds)
            alert = render(
                [d.match for d in ds], self.rule_name, self.templates, also, self.key(f"m{first.match_id}")
            )
            ref = await channel.send(alert)
        except AlertError as exc:
            await self._failed(ds, exc, stats)
            return
        await asyncio.to_thread(
            self.store.mark_sent, [d.id for d in ds], self.clock(), alert.key, ref, listed
        )
        stats.sent += len(ds)
        event(
            log,
            "alert.sent",
            channel=ds[0].channel,
            delivery=",".join(str(d.id) for d in ds),
            rule=",".join(d.match.rule_id for d in ds),
            key=alert.key,
        )

    async def _named(self, ds: list[Delivery]) -> tuple[list[dict[str, str]], list[int]]:
        """The story's other outlets an alert names, fixed in the store before its first send: a
        resend names exactly the same ones, even if more outlets joined meanwhile."""
        also, ids = await asyncio.to_thread(self.also_reported_by, ds[0].match)
        fixed = next((d.listed for d in ds if d.listed is not None), None)
        if fixed is None:
            also, ids = (
                also[:ALSO_MAX],
                ids[:ALSO_MAX],
            )  # the alert names this many; later ones get a follow-up
            await asyncio.to_thread(self.store.record_listed, [d.id for d in ds], ids)
            return also, ids
        kept = [(o, i) for o, i in zip(also, ids, strict=True) if i in fixed]
        return [o for o, _ in kept], [i for _, i in kept]

    async def _send_updates(self, ds: list[Delivery], stats: Stats) -> None:
        """Later outlets of stories (one article): each rule's follow-up goes in the thread of that
        rule's alert; several rules alerted in one message get one follow-up.

        - the channel never got the rule's alert in this story (it went elsewhere, or died): a full
          alert, since for this channel it is news;
        - the alert has not gone out yet: wait for it — it names this outlet when it does;
        - it went out and named this article ("also reported by"): nothing more to say;
        - it went out before this article was known: a short follow-up in its thread.
        """
        now = self.clock()
        news: list[Delivery] = []
        threads: dict[str | None, tuple[Origin, list[Delivery]]] = {}
        for d in ds:
            origin = await self._origin(d)
            if origin is None or origin.status == "dead":
                news.append(d)
            elif origin.status != "sent":
                # pending: it is due at origin.due; being sent (its due is then a lease): look again soon
                due = now + UPDATE_WAIT if origin.status == "sending" else max(origin.due, now + UPDATE_WAIT)
                await asyncio.to_thread(self.store.unclaim, [d.id], due)
            elif d.match.article_id in origin.listed:
                await asyncio.to_thread(self.store.mark_sent, d.id, now, origin.message_key)
                event(log, "update.included", channel=d.channel, delivery=d.id, alert=origin.message_key)
            else:
                threads.setdefault(origin.message_key, (origin, []))[1].append(d)
        if news:
            await self._send_alert(news, stats)
        for origin, group in threads.values():
            group.sort(key=lambda d: d.match.match_id)
            try:
                channel = self._channel(group[0].channel)
                names = "، ".join(dict.fromkeys(self.rule_name(d.match.rule_id) for d in group))
                alert = render_update(
                    group[0].match,
                    origin.match,
                    names,
                    reply_to=origin.message_key,
                    thread=origin.message_ref,
                    templates=self.templates,
                    key=self.key(f"u{group[0].match.match_id}"),
                )
                ref = await channel.send(alert)
            except AlertError as exc:
                await self._failed(group, exc, stats)
                continue
            await asyncio.to_thread(self.store.mark_sent, [d.id for d in group], self.clock(), alert.key, ref)
            stats.sent += len(group)
            event(log, "update.sent", channel=group[0].channel, deliveries=len(group), key=alert.key)


@dataclass
class _Message:
    kind: str  # alert | update | collected
    deliveries: list[Delivery]


def _collected(ds: list[Delivery]) -> _Message:
    """Deliveries that go out together: a digest, unless they are one article's alerts (then the
    message is that article's alert, with its other outlets named)."""
    if len({d.match.article_id for d in ds}) == 1 and all(d.kind == "alert" for d in ds):
        return _Message("alert", ds)
    return _Message("collected", ds)
