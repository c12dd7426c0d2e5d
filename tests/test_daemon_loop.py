"""The daemon's event loop stays free: a slow reload (a large rules file being compiled) does not
stop polling, and polls that fall behind their interval are summarised, not logged one by one.
In-process: the real Daemon, the local site, a SQLite store."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import threading
import time

from monitor.config import load_config
from monitor.daemon import Daemon
from monitor.site import send
from tests.conftest import write_config

EMPTY = b"<rss version='2.0'><channel><title>t</title></channel></rss>"


async def until(predicate, limit: float = 120) -> None:
    """Until ``predicate()`` holds; the limit only guards against a hang."""
    deadline = time.monotonic() + limit
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached"
        await asyncio.sleep(0.05)


def _config(tmp_path, feeds):
    cfg = write_config(
        tmp_path / "config", feeds=feeds, extra_settings="poll:\n  interval: 1s\n  jitter: 0s\n", rules=RULES
    )
    return cfg, load_config(cfg)


RULES = "rules:\n  - id: r\n    any: [التحالف الدولي]\n"


def test_a_slow_reload_does_not_stop_polling(tmp_path, site, caplog):
    caplog.set_level(logging.INFO)
    site.routes["/quiet.xml"] = lambda h: send(h, 200, EMPTY, "application/rss+xml")
    cfg, config = _config(tmp_path, [("هادئ", site.url("/quiet.xml"))])
    entered, release = threading.Event(), threading.Event()

    def slow_reload():
        entered.set()
        release.wait(120)  # compiling a very large rules file
        return load_config(cfg)

    daemon = Daemon(config, reload=slow_reload)
    polls = lambda: sum(r.path == "/quiet.xml" for r in site.requests)  # noqa: E731

    async def go() -> int:
        task = asyncio.create_task(daemon.run())
        await until(lambda: polls() >= 1)
        os.kill(os.getpid(), signal.SIGHUP)
        await until(entered.is_set)
        before = polls()
        await until(lambda: polls() >= before + 2)  # the loop polls on while the reload works
        release.set()
        await until(lambda: "config.reloaded" in caplog.text)
        daemon.stop()
        return await task

    assert asyncio.run(go()) == 0


def test_polls_that_fall_behind_are_summarised_not_logged_one_by_one(tmp_path, site, caplog):
    caplog.set_level(logging.INFO)
    gate = threading.Event()

    def stuck(h):
        gate.wait(120)  # a feed that takes far longer than its 1 s interval
        send(h, 200, EMPTY, "application/rss+xml")

    site.routes["/stuck.xml"] = stuck
    _, config = _config(tmp_path, [("عالق", site.url("/stuck.xml"))])
    daemon = Daemon(config, behind_report=0.5)

    async def go() -> int:
        task = asyncio.create_task(daemon.run())
        await until(lambda: "poll.behind" in caplog.text)
        gate.set()
        daemon.stop()
        return await task

    assert asyncio.run(go()) == 0
    assert "maximum number of running instances" not in caplog.text
    (line,) = [r.getMessage() for r in caplog.records if r.getMessage().startswith("poll.behind")][:1]
    assert "skipped=" in line and "feeds=1" in line


def test_a_reload_whose_database_variable_is_gone_keeps_the_running_config(
    tmp_path, site, caplog, monkeypatch
):
    caplog.set_level(logging.INFO)
    site.routes["/quiet.xml"] = lambda h: send(h, 200, EMPTY, "application/rss+xml")
    cfg = write_config(
        tmp_path / "config",
        feeds=[("هادئ", site.url("/quiet.xml"))],
        extra_settings="poll:\n  interval: 1s\n  jitter: 0s\n",
        rules=RULES,
    )
    text = (cfg / "rasad.yaml").read_text(encoding="utf-8")
    (cfg / "rasad.yaml").write_text(
        text.replace(f"database: sqlite:///{cfg / 'rasad.db'}", "database_url_env: RASAD_TEST_DB"),
        encoding="utf-8",
    )
    monkeypatch.setenv("RASAD_TEST_DB", f"sqlite:///{cfg / 'rasad.db'}")
    daemon = Daemon(load_config(cfg))
    polls = lambda: sum(r.path == "/quiet.xml" for r in site.requests)  # noqa: E731

    async def go() -> int:
        task = asyncio.create_task(daemon.run())
        await until(lambda: polls() >= 1)
        monkeypatch.delenv("RASAD_TEST_DB")
        os.kill(os.getpid(), signal.SIGHUP)
        await until(lambda: "config.kept" in caplog.text)
        before = polls()
        await until(lambda: polls() >= before + 1)  # still polling with the running config
        daemon.stop()
        return await task

    assert asyncio.run(go()) == 0
    assert "RASAD_TEST_DB is not set" in caplog.text and "config.reloaded" not in caplog.text


def test_adaptive_polling_moves_each_feed_to_its_cadence(tmp_path, site, caplog):
    """A feed that publishes every ten minutes is polled every ten minutes, one that is quiet at the
    ceiling, a priority feed at the floor (the scheduler's own jobs, not a computed figure)."""
    from datetime import UTC, datetime, timedelta
    from email.utils import format_datetime

    caplog.set_level(logging.INFO)
    now = datetime.now(UTC)
    busy = "".join(
        f"<item><title>خبر {i}</title><link>{site.base}/none/{i}</link>"
        f"<pubDate>{format_datetime(now - timedelta(minutes=10 * i + 10))}</pubDate></item>"
        for i in range(6)
    )
    site.routes["/busy.xml"] = lambda h: send(
        h,
        200,
        f"<rss version='2.0'><channel><title>t</title>{busy}</channel></rss>".encode(),
        "application/rss+xml",
    )
    old = (
        f"<item><title>قديم</title><link>{site.base}/none/old</link>"
        f"<pubDate>{format_datetime(now - timedelta(days=9))}</pubDate></item>"
    )
    site.routes["/quiet.xml"] = lambda h: send(
        h,
        200,
        f"<rss version='2.0'><channel><title>t</title>{old}</channel></rss>".encode(),
        "application/rss+xml",
    )
    cfg = write_config(
        tmp_path / "config",
        feeds=[("نشط", site.url("/busy.xml")), ("هادئ", site.url("/quiet.xml"))],
        extra_settings="poll:\n  jitter: 0s\n  adaptive: true\n  min_interval: 2m\n  max_interval: 1h\n",
        rules=RULES,
    )
    (cfg / "feeds.yaml").write_text(
        (cfg / "feeds.yaml").read_text(encoding="utf-8")
        + f"  - name: عاجل\n    url: {site.url('/quiet.xml?urgent')}\n    priority: true\n",
        encoding="utf-8",
    )
    daemon = Daemon(load_config(cfg))

    def every(name: str) -> timedelta | None:
        job = daemon.scheduler.get_job(f"feed:{name}") if daemon.scheduler else None
        return None if job is None else job.trigger.interval

    async def go() -> int:
        task = asyncio.create_task(daemon.run())
        await until(lambda: caplog.text.count("feed.cadence") >= 2)  # the busy one and the quiet one
        intervals = {name: every(name) for name in ("نشط", "هادئ", "عاجل")}
        daemon.stop()
        assert await task == 0
        return intervals

    intervals = asyncio.run(go())
    assert timedelta(minutes=10) <= intervals.pop("نشط") <= timedelta(minutes=10, seconds=30)  # 6 an hour
    assert intervals == {
        "هادئ": timedelta(hours=1),
        "عاجل": timedelta(minutes=2),
    }
