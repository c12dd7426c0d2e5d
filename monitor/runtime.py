"""Part of the composition root: build the live objects from a :class:`Config` and tie them together.

The store, the one HTTP client, the extraction worker pool, the pipeline, the alert channels and the
outbox are created here, once, and closed here. ``rasad run``, ``rasad once`` and ``rasad demo`` all
go through :func:`open_runtime`.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TextIO

import httpx

from alerts.base import Channel
from alerts.channels import build_channels
from alerts.outbox import Outbox, Stats
from alerts.retry import RetryPolicy
from alerts.templates import Templates
from monitor.config import Config, Settings
from monitor.extract import extract_page, warm_up
from monitor.fetch import Fetcher, Limits
from monitor.model import Extracted, FeedReport
from monitor.netguard import AddressPolicy
from monitor.pacing import Quiet, parse_quiet
from monitor.pipeline import Pipeline
from monitor.store import Store
from monitor.workers import DEPTH, ProcessPool


def pacing(s: Settings) -> dict[str, tuple[Quiet | None, int | None]]:
    """Each channel's quiet hours and rate limit, parsed."""
    return {
        name: (parse_quiet(ch.quiet_hours) if ch.quiet_hours else None, ch.max_per_hour)
        for name, ch in s.channels.items()
    }


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class Runtime:
    config: Config
    store: Store
    fetcher: Fetcher
    pool: ProcessPool
    pipeline: Pipeline
    channels: dict[str, Channel]
    policy: RetryPolicy
    clock: Callable[[], datetime]
    outbox: Outbox = field(init=False)
    retired: list[Channel] = field(default_factory=list)  # replaced by a reload, not yet closed

    def __post_init__(self) -> None:
        # templates are checked here, at start-up: a broken override is a config error, not a failed send
        templates = Templates(self.config.directory / "templates")
        s = self.config.settings
        self.outbox = Outbox(
            self.store,
            self.channels,
            self.rule_name,
            self.clock,
            self.policy,
            templates=templates,
            pacing=pacing(s),
            tz=s.tz,
            group_rules={name: ch.group_rules for name, ch in s.channels.items()},
        )

    async def sync_feeds(self) -> None:
        """Make sure every configured feed has its row (and poll state) in the store."""
        await asyncio.to_thread(self.store.sync_feeds, [(f.name, f.url) for f in self.config.feeds])

    async def cycle(self) -> list[FeedReport]:
        await self.sync_feeds()
        return await self.pipeline.cycle(self.config.feeds, self.config.ruleset)

    async def deliver(self) -> Stats:
        stats = await self.outbox.deliver_due()
        notices = await self.outbox.deliver_notices()
        return Stats(stats.sent + notices.sent, stats.retrying + notices.retrying, stats.dead + notices.dead)

    def apply(self, new: Config, environ: Mapping[str, str] = os.environ) -> list[str]:
        """Switch to a reloaded config. Returns the settings that only a restart can change."""
        old = self.config.settings
        self.config = new
        s = new.settings
        if s.channels != old.channels:
            self.retired.extend(self.channels.values())  # closed after the sends in flight
            self.channels.clear()  # the outbox holds this same dict
            self.channels.update(build_channels(new, environ=environ))
        self.outbox.policy = RetryPolicy(s.delivery.retry_base, s.delivery.retry_max, s.delivery.max_attempts)
        self.outbox.pacing, self.outbox.tz = pacing(s), s.tz
        self.outbox.group_rules = {name: ch.group_rules for name, ch in s.channels.items()}
        self.pipeline.tz = s.tz
        self.pipeline.stories = s.stories if s.stories.enabled else None
        self.pipeline.updates = {name: ch.story_updates for name, ch in s.channels.items()}
        restart = [name for name in ("network", "extraction") if getattr(s, name) != getattr(old, name)]
        if new.database_url(environ) != self.store.url:
            restart.append("database")
        return restart

    async def close_retired(self) -> None:
        while self.retired:
            await self.retired.pop().aclose()

    def rule_name(self, rule_id: str) -> str:
        rule = self.config.ruleset.by_id.get(rule_id)
        return rule.name if rule else rule_id


def open_store(config: Config, environ: Mapping[str, str] = os.environ) -> Store:
    store = Store(config.database_url(environ))
    store.create()
    return store


@asynccontextmanager
async def open_runtime(
    config: Config,
    *,
    environ: Mapping[str, str] = os.environ,
    stdout: TextIO | None = None,
    clock: Callable[[], datetime] = utcnow,
    transport: httpx.AsyncBaseTransport | None = None,
    channels: dict[str, Channel] | None = None,
    store: Store | None = None,
    eager_workers: bool = True,
) -> AsyncIterator[Runtime]:
    """Everything ``rasad run``/``once``/``demo`` need; ``store``: one opened already (the daemon
    opens it itself, waiting while the database is unreachable). ``eager_workers=False`` (``once``)
    starts the extraction workers only when a feed has new items, before their pages are fetched:
    a poll that finds nothing new starts none."""
    s = config.settings
    store = store or open_store(config, environ)
    fetcher = Fetcher(
        Limits(
            timeout=s.network.timeout.total_seconds(),
            connect_timeout=s.network.connect_timeout.total_seconds(),
            max_connections=s.network.max_connections,
            per_host=s.network.per_host,
            user_agent=s.network.user_agent,
        ),
        transport=transport,
        policy=AddressPolicy(s.network.allow),
    )
    pool = ProcessPool(
        None if s.extraction.workers == "auto" else s.extraction.workers,
        deadline=s.extraction.deadline.total_seconds(),
        memory_limit=s.extraction.memory_limit,
        warmup=warm_up,  # each worker is warm before its first page: the deadline counts extraction only
    )

    async def extract(page: bytes, url: str, metadata: bool = True, summary: str = "") -> Extracted | None:
        result: Extracted | None = await pool.run(extract_page, page, url, metadata, summary)
        return result

    pipeline = Pipeline(
        store,
        fetcher,
        extract,
        s.network.max_feed_size,
        s.network.max_page_size,
        clock,
        s.poll.interval,
        polling=s.poll,
        health=s.health,
        tz=s.tz,
        stories=s.stories if s.stories.enabled else None,
        updates={name: ch.story_updates for name, ch in s.channels.items()},
        # the DEPTH pages handed to each worker, and as many fetched pages waiting for one or being
        # matched (a place is taken when a page arrives: pages being fetched hold none)
        in_flight=2 * DEPTH * pool.size,
        on_new_items=None if eager_workers else pool.start,
    )
    chans = channels if channels is not None else build_channels(config, environ=environ, stdout=stdout)
    policy = RetryPolicy(s.delivery.retry_base, s.delivery.retry_max, s.delivery.max_attempts)
    rt = Runtime(config, store, fetcher, pool, pipeline, chans, policy, clock)
    try:
        if eager_workers:
            pool.start()  # the workers warm up while the first feeds are fetched
        yield rt
    finally:
        for ch in chans.values():
            await ch.aclose()
        await fetcher.aclose()
        pool.close()
        store.close()
