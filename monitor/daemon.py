"""``rasad run``: APScheduler wiring, signals and systemd notification; no business logic.

One APScheduler 3 job per feed at its interval with jitter (``coalesce=True``, ``max_instances=1``),
and a delivery loop woken after every poll that found matches (and every few seconds anyway).
SIGHUP reloads the config; a broken config keeps the last good one running and logs where the
error is. SIGTERM/SIGINT stop scheduling, let in-flight work finish within ``stop_timeout`` and
return 0. Under systemd (``NOTIFY_SOCKET``) it sends READY=1, WATCHDOG=1 pings from the event loop
(so a blocked loop is noticed) and STOPPING=1.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from monitor.config import Config, FeedConfig, load_config
from monitor.errors import ConfigError, RasadError, StoreError, StoreLost
from monitor.logs import event
from monitor.runtime import Runtime, open_runtime, open_store
from monitor.sdnotify import Notifier
from monitor.skipped import SkippedRuns
from monitor.store import Store
from monitor.units import format_duration

log = logging.getLogger("rasad.daemon")
EXIT_STORE_LOST = 4  # the database vanished while running: systemd starts Rasad again
STORE_WAIT_MAX = 60.0  # seconds between attempts to reach a database that is down at start
STORE_WAIT_MARGIN = 30.0
BEHIND_REPORT = 60.0  # seconds between "poll.behind" summaries
SCHEDULER_LOGGERS = ("apscheduler.scheduler", "apscheduler.executors.default")
DELIVERY_PERIOD = 10.0  # seconds between delivery rounds when nothing wakes the loop earlier
TRUNCATION_WARNING = 0.5  # a reload that loses more than half the rules is reported loudly
CADENCE_NOISE = 0.1  # a learned interval that changed less than this is left as it is
SEND_MARGIN = 35.0  # seconds kept after the last send starts: more than an SMTP call's timeout


class Daemon:
    def __init__(
        self,
        config: Config,
        *,
        stop_timeout: float = 60.0,
        notifier: Notifier | None = None,
        reload: Callable[[], Config] | None = None,
        behind_report: float = BEHIND_REPORT,
    ) -> None:
        self.config = config
        self.stop_timeout = stop_timeout
        self.notifier = notifier or Notifier()
        self._reload = reload or (lambda: load_config(config.directory))
        self._stop = asyncio.Event()
        self._wake = asyncio.Event()
        self._inflight: set[asyncio.Task[object]] = set()
        self._reloading: asyncio.Task[None] | None = None
        self._reload_again = False
        self.rt: Runtime | None = None
        self.scheduler: AsyncIOScheduler | None = None
        self.exit_code = 0
        self.behind_report = behind_report  # seconds between "poll.behind" summaries
        self._learned: dict[str, timedelta] = {}  # feed → publishing cadence (adaptive polling)

    # -- lifecycle

    async def run(self) -> int:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.stop)
        loop.add_signal_handler(signal.SIGHUP, self._hangup)
        try:
            store = await self._open_store()
        except asyncio.CancelledError:
            store = None
        if store is None:  # stopped while waiting for the database
            for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
                loop.remove_signal_handler(sig)
            return 0
        skipped = SkippedRuns()
        for name in SCHEDULER_LOGGERS:
            logging.getLogger(name).addFilter(skipped)
        async with open_runtime(self.config, store=store) as rt:
            self.rt = rt
            await rt.sync_feeds()
            released = await asyncio.to_thread(rt.store.release_claims, datetime.now(UTC))
            self.scheduler = AsyncIOScheduler(timezone=UTC)
            self._schedule(self.config.feeds)
            self.scheduler.start()
            delivery = asyncio.create_task(self._delivery_loop(), name="rasad-delivery")
            watchdog = asyncio.create_task(self._watchdog(skipped), name="rasad-watchdog")
            event(
                log,
                "daemon.started",
                feeds=len(self.config.feeds),
                rules=len(self.config.ruleset),
                channels=",".join(rt.channels),
                resumed_deliveries=released,
                database=_safe_url(rt.store.url),
            )
            self.notifier.notify("READY=1", f"STATUS=watching {len(self.config.feeds)} feeds")
            await self._stop.wait()
            self.notifier.notify("STOPPING=1")
            event(log, "daemon.stopping", inflight=len(self._inflight))
            # pause, not shutdown: APScheduler's shutdown cancels running coroutine jobs
            self.scheduler.pause()
            self._wake.set()
            deadline = loop.time() + self.stop_timeout
            # sends already started finish and are recorded; none starts this close to the deadline
            rt.outbox.deadline = time.monotonic() + max(0.0, self.stop_timeout - SEND_MARGIN)
            pending = [*self._inflight, delivery]
            _, not_done = await asyncio.wait(pending, timeout=self.stop_timeout)
            if not not_done:
                # what the last polls stored is sent now rather than at the next start
                final = asyncio.create_task(self._deliver_once())
                _, not_done = await asyncio.wait([final], timeout=max(0.0, deadline - loop.time()))
            for task in not_done:
                task.cancel()
            watchdog.cancel()
            await asyncio.gather(*not_done, watchdog, return_exceptions=True)
            self.scheduler.shutdown(wait=False)
            event(log, "daemon.stopped", unfinished=len(not_done), exit=self.exit_code or None)
        for name in SCHEDULER_LOGGERS:
            logging.getLogger(name).removeFilter(skipped)
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            loop.remove_signal_handler(sig)
        return self.exit_code

    def stop(self) -> None:
        self._stop.set()

    def _lost(self, exc: StoreLost) -> None:
        """The database is gone: stop, and exit non-zero so that systemd starts Rasad again."""
        if self.exit_code == 0:
            event(log, "store.lost", logging.CRITICAL, error=str(exc), hint=exc.hint)
            self.notifier.notify(f"STATUS=stopping: {exc}")
        self.exit_code = EXIT_STORE_LOST
        self.stop()

    async def _open_store(self) -> Store | None:
        """Open the database, waiting for it while it is unreachable (a server starting after Rasad,
        a restart); a broken database is an error at once. None when stopped while waiting."""
        delay = 1.0
        while not self._stop.is_set():
            try:
                return await asyncio.to_thread(open_store, self.config)
            except StoreError as exc:
                if not exc.temporary:
                    raise
                event(
                    log,
                    "store.waiting",
                    logging.ERROR,
                    error=str(exc),
                    hint=exc.hint,
                    retry_in=f"{delay:g}s",
                )
                # systemd: still starting, give us longer than the next wait
                self.notifier.notify(
                    f"EXTEND_TIMEOUT_USEC={int((delay + STORE_WAIT_MARGIN) * 1e6)}",
                    "STATUS=waiting for the database",
                )
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), delay)
                delay = min(delay * 2, STORE_WAIT_MAX)
        return None

    # -- scheduling

    def _schedule(self, feeds: tuple[FeedConfig, ...]) -> None:
        assert self.scheduler is not None
        poll = self.config.settings.poll
        wanted = {f"feed:{f.name}": f for f in feeds if f.enabled}
        for job in self.scheduler.get_jobs():
            if job.id not in wanted:
                job.remove()
        now = datetime.now(UTC)
        for i, (job_id, feed) in enumerate(wanted.items()):
            interval = self._interval(feed).total_seconds()
            kwargs = dict(
                trigger="interval",
                seconds=interval,
                jitter=poll.jitter.total_seconds() or None,
                id=job_id,
                name=feed.name,
                args=[feed.name],
                coalesce=True,
                max_instances=1,
                misfire_grace_time=int(interval),
                replace_existing=True,
            )
            existing = self.scheduler.get_job(job_id)
            if existing is None:
                # first polls are staggered a little so a big feed list does not start in one burst
                first = now + timedelta(seconds=min(i * 0.2, poll.jitter.total_seconds()))
                self.scheduler.add_job(self._poll_job, next_run_time=first, **kwargs)
            else:
                existing.reschedule("interval", seconds=interval, jitter=poll.jitter.total_seconds() or None)

    def _interval(self, feed: FeedConfig) -> timedelta:
        """The feed's polling interval: fixed, priority, or its cadence as last learned."""
        return self.config.settings.poll.interval_for(
            feed.interval, feed.priority, self._learned.get(feed.name)
        )

    def _follow_cadence(self, feed: FeedConfig, report_interval: timedelta | None) -> None:
        """Adaptive polling: the feed's job follows its learned cadence (changes under 10% are noise)."""
        if report_interval is None or self.scheduler is None:
            return
        job = self.scheduler.get_job(f"feed:{feed.name}")
        current = getattr(getattr(job, "trigger", None), "interval", None)
        if job is None or not isinstance(current, timedelta):
            return
        if abs(report_interval - current) > current * CADENCE_NOISE:
            jitter = self.config.settings.poll.jitter.total_seconds() or None
            job.reschedule("interval", seconds=report_interval.total_seconds(), jitter=jitter)
            event(log, "feed.cadence", feed=feed.name, interval=format_duration(report_interval))

    async def _poll_job(self, name: str) -> None:
        feed = self.config.feed(name)
        if feed is None or self.rt is None or self._stop.is_set():
            return
        task = asyncio.current_task()
        assert task is not None
        self._inflight.add(task)
        try:
            try:
                state = await asyncio.to_thread(self.rt.store.feed_state, feed.name)
            except StoreLost:
                raise
            except StoreError:
                state = None  # the poll below finds the database down too, and says so in its line
            if state is not None and state.cadence is not None:
                self._learned.setdefault(feed.name, state.cadence)  # learned before a restart
            interval = self._interval(feed)
            # the job's own interval paces healthy feeds; next_poll_at holds it back only when it is
            # clearly later: backoff after failures, Retry-After, Cache-Control max-age
            later = state.next_poll_at if state is not None else None
            if later is not None and later - datetime.now(UTC) > interval / 2:
                return
            report = await self.rt.pipeline.poll(feed, self.config.ruleset, state)
            if report.cadence is not None:
                self._learned[feed.name] = report.cadence
            self._follow_cadence(feed, report.interval)
            if report.matches:
                self._wake.set()
        except StoreLost as exc:
            self._lost(exc)
        finally:
            self._inflight.discard(task)

    async def _deliver_once(self) -> None:
        assert self.rt is not None
        try:
            await self.rt.deliver()
            await self.rt.close_retired()
        except StoreLost as exc:
            self._lost(exc)
        except StoreError as exc:  # unavailable for now: the store said so once; carry on
            if not self.rt.store.unavailable:
                event(log, "delivery.failed", logging.ERROR, error=str(exc), hint=exc.hint)
        except Exception as exc:  # a bug: report, carry on
            event(log, "delivery.crashed", logging.ERROR, error=f"{type(exc).__name__}: {exc}")

    async def _delivery_loop(self) -> None:
        while True:
            await self._deliver_once()
            if self._stop.is_set():
                return
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), DELIVERY_PERIOD)
            if self._stop.is_set():
                return

    async def _watchdog(self, skipped: SkippedRuns) -> None:
        """Pings systemd's watchdog from the event loop (a blocked loop misses it), and says once a
        minute how many scheduled polls were skipped because the previous one was still running."""
        interval = self.notifier.watchdog_interval
        tick = min(interval, self.behind_report) if interval is not None else self.behind_report
        last_report = time.monotonic()
        while True:
            if interval is not None:
                self.notifier.notify("WATCHDOG=1")
            if time.monotonic() - last_report >= self.behind_report:
                last_report = time.monotonic()
                count, feeds = skipped.take()
                if count:
                    event(
                        log,
                        "poll.behind",
                        logging.WARNING,
                        skipped=count,
                        feeds=feeds,
                        hint="polls take longer than their interval: each feed is polled as soon as its "
                        "previous poll ends; lengthen poll.interval or add extraction workers",
                    )
            await asyncio.sleep(tick)

    # -- reload

    def _hangup(self) -> None:
        """SIGHUP: reload in the background; signals that come during a reload make one more."""
        if self._reloading is not None and not self._reloading.done():
            self._reload_again = True
            return
        self._reloading = asyncio.create_task(self._reload_async(), name="rasad-reload")

    async def _reload_async(self) -> None:
        while True:
            self._reload_again = False
            try:
                # reading and compiling a large rules file takes a while: never on the event loop,
                # which must keep polling and pinging the watchdog
                new: Config | ConfigError = await asyncio.to_thread(self._load_new)
            except Exception as exc:  # a bug in loading: the running config stays
                event(log, "config.kept", logging.ERROR, reason=f"reload failed: {type(exc).__name__}: {exc}")
                new = ConfigError([])
            if not isinstance(new, ConfigError) or new.problems:
                self.reload(new)
            if not self._reload_again:
                return

    def _load_new(self) -> Config | ConfigError:
        try:
            new = self._reload()
            new.database_url()  # its variable or file may be gone: an error keeps the running config
            return new
        except ConfigError as exc:
            return exc

    def reload(self, loaded: Config | ConfigError | None = None) -> None:
        """Switch to the config loaded again (loaded here when not given); keep the running one if
        the new one is invalid."""
        try:
            if isinstance(loaded, ConfigError):
                raise loaded
            new = loaded if loaded is not None else self._reload()
        except ConfigError as exc:
            for problem in exc.problems:
                event(log, "config.invalid", logging.ERROR, problem=problem)
            event(
                log, "config.kept", logging.ERROR, reason="reload failed; the last good config keeps running"
            )
            return
        old_rules = len(self.config.ruleset)
        if old_rules and len(new.ruleset) < old_rules * TRUNCATION_WARNING:
            event(
                log,
                "config.rules_dropped",
                logging.ERROR,
                before=old_rules,
                after=len(new.ruleset),
                hint="was rules.yaml saved truncated?",
            )
        self.config = new
        if self.rt is not None:
            for setting in self.rt.apply(new):
                event(
                    log,
                    "config.restart_needed",
                    logging.WARNING,
                    setting=setting,
                    reason="the running daemon keeps the old value until it is restarted",
                )
            # new feeds need their rows before their first poll (each poll also makes sure of it)
            try:
                self.rt.store.sync_feeds([(f.name, f.url) for f in new.feeds])
            except StoreLost as exc:
                self._lost(exc)
            except RasadError as exc:
                event(log, "config.feeds_unsynced", logging.ERROR, error=str(exc))
        if self.scheduler is not None:
            self._schedule(new.feeds)
        self.notifier.notify(f"STATUS=watching {len(new.feeds)} feeds")
        event(log, "config.reloaded", feeds=len(new.feeds), rules=len(new.ruleset))


def _safe_url(url: str) -> str:
    """The database URL without its password."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


async def run(config_dir: Path, stop_timeout: float = 60.0) -> int:
    return await Daemon(load_config(config_dir), stop_timeout=stop_timeout).run()
