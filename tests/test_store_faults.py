"""A service that outlives its database's bad moments: read-only for a while, deleted, a PostgreSQL
server that is not up yet, that restarts, that goes away and comes back; a full disk, said with its
hint. Real SQLite files, the real PostgreSQL on 127.0.0.1:5432 (through a relay that can drop it),
`rasad run` as systemd runs it."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from monitor.errors import StoreError, StoreLost
from monitor.model import Article, FeedReport, Match
from monitor.site import send
from monitor.store import Store
from tests.conftest import ROOT, NotifySocket, Relay, read, wait_until, write_config

NOW = datetime(2026, 11, 22, tzinfo=UTC)

CHILD = """
import os, sys
from datetime import UTC, datetime
from monitor.model import FeedReport
from monitor.store import Store
store = Store(sys.argv[1])
if os.getuid() == 0:  # root writes read-only files: act as an unprivileged service user
    os.setgid(65534)
    os.setuid(65534)
store.create()
store.sync_feeds([("f", "http://x.test/f")])
for line in sys.stdin:
    if line.startswith("reconnect"):  # the pool opens a new connection (as it does under load)
        store.engine.dispose()
    try:
        store.record_poll(FeedReport("f", "ok"), datetime.now(UTC))
        print("ok", flush=True)
    except Exception as exc:
        print("failed", str(exc), flush=True)
"""


def test_a_database_read_only_for_a_while_is_written_again_without_a_restart(tmp_path):
    """A connection opened while the file could not be written stays read-only after the permissions
    come back, unless it is dropped: Rasad drops its connections on such an error."""
    import shutil
    import tempfile

    home = Path(tempfile.mkdtemp(prefix="rasad-ro-"))  # reachable by the unprivileged user
    if os.getuid() == 0:
        os.chown(home, 65534, 65534)
    db = home / "rasad.db"
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, f"sqlite:///{db}"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )

    def write(command: str = "write") -> str:
        assert child.stdin is not None and child.stdout is not None
        child.stdin.write(command + "\n")
        child.stdin.flush()
        return child.stdout.readline().strip()

    try:
        assert write() == "ok"
        db.chmod(0o444)
        failed = write("reconnect")
        assert failed.startswith("failed") and "readonly database" in failed
        db.chmod(0o644)
        assert write() == "ok"  # no restart needed
        assert write() == "ok"
    finally:
        assert child.stdin is not None
        child.stdin.close()
        child.wait(timeout=60)
        assert child.stdout is not None
        child.stdout.close()
        shutil.rmtree(home, ignore_errors=True)


def _article(key: str = "k") -> Article:
    return Article(key, f"https://x.example/{key}", "كتابات", "التحالف الدولي", "", "نص", NOW)


def test_a_deleted_database_file_is_noticed_before_anything_is_written_into_it(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'x.db'}")
    store.create()
    store.sync_feeds([("كتابات", "http://x.test/f")])
    (tmp_path / "x.db").unlink()
    with pytest.raises(StoreLost) as exc:
        store.save_article("كتابات", _article(), [(Match("r", 1.0, ()), ["email"])], NOW)
    assert "was deleted while Rasad ran" in str(exc.value)
    store.close()

    replaced = Store(f"sqlite:///{tmp_path / 'y.db'}")
    replaced.create()
    (tmp_path / "y.db").rename(tmp_path / "old.db")
    other = Store(f"sqlite:///{tmp_path / 'y.db'}")
    other.create()  # someone puts another database in its place
    with pytest.raises(StoreLost, match="was replaced"):
        replaced.record_poll(FeedReport("كتابات", "ok"), NOW)
    replaced.close()
    other.close()


def test_tables_that_vanish_are_a_lost_database_not_a_feed_error(postgres_url):
    import psycopg

    store = Store(postgres_url)
    store.create()
    store.sync_feeds([("كتابات", "http://x.test/f")])
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute("DROP TABLE deliveries, matches, articles, feeds CASCADE")
    with pytest.raises(StoreLost, match="its tables are gone"):
        store.record_poll(FeedReport("كتابات", "ok"), NOW)
    store.close()


def test_a_daemon_whose_database_file_is_deleted_stops_with_a_clear_error(tmp_path, site, smtp):
    cfg = write_config(
        tmp_path / "config",
        feeds=[("موقع الاختبار", site.url("/feed.xml"))],
        smtp_port=smtp.port,
        extra_settings="poll:\n  interval: 1s\n  jitter: 0s\n",
    )
    log = (tmp_path / "daemon.log").open("w+")
    proc = subprocess.Popen(
        [sys.executable, "-m", "monitor", "run", "--config", str(cfg)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "RASAD_TEST_SLACK_WEBHOOK": "http://127.0.0.1:9/x"},
        cwd=ROOT,
    )
    try:
        wait_until(lambda: "feed.polled" in read(log) or proc.poll() is not None)
        assert proc.poll() is None, read(log)
        (cfg / "rasad.db").unlink()
        assert proc.wait(timeout=300) == 4
    finally:
        if proc.poll() is None:
            proc.kill()
    text = read(log)
    log.close()
    assert "store.lost" in text and "was deleted while Rasad ran" in text
    assert "Traceback" not in text
    assert not (cfg / "rasad.db").exists()  # it wrote nothing into a new, empty file either


def test_postgres_connections_ended_by_the_server_are_replaced(postgres_url, caplog):
    """A PostgreSQL restart (here: the server ends every connection of the database) costs at most
    the operation that was using one; the next one works, and the outage is said once, then its end."""
    import psycopg

    caplog.set_level(logging.INFO, logger="rasad.store")
    store = Store(postgres_url)
    store.create()
    store.sync_feeds([("كتابات", "http://x.test/f")])
    for _ in range(3):
        with psycopg.connect(postgres_url, autocommit=True) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        outcomes = []
        for _ in range(2):
            try:
                store.record_poll(FeedReport("كتابات", "ok"), NOW)
                outcomes.append("ok")
            except StoreError as exc:
                assert exc.temporary, str(exc)
                outcomes.append("failed")
        assert outcomes[-1] == "ok"
    assert [f.status for f in store.feeds()] == ["ok"]
    said = [r.getMessage().split()[0] for r in caplog.records]
    assert said.count("store.unavailable") == said.count("store.available") <= 3
    store.close()


OUTAGE_RULES = """rules:
  - id: coalition
    name: نهاية مهمة التحالف
    any: [التحالف الدولي]
    channels: [email]
"""


def test_postgres_down_at_start_then_away_and_back_loses_nothing(tmp_path, site, smtp, postgres_url):
    """The server is not up when Rasad starts: Rasad waits for it (telling systemd it is still
    starting) instead of exiting. Later the server goes away while articles arrive, then comes back:
    one line per feed poll, one "unavailable" and one "available" line, no traceback, nothing lost."""
    relay = Relay(("127.0.0.1", 5432), started=False)
    articles = {"ready": False}

    def feed(h):
        items = ""
        if articles["ready"]:
            items = "".join(
                f"<item><title>التحالف الدولي ينهي مهمته {n}</title><guid>urn:{h.path}:{n}</guid>"
                f"<description>بغداد تعلن انتهاء مهمة التحالف الدولي في العراق {n}</description></item>"
                for n in range(3)
            )
        send(
            h,
            200,
            f'<rss version="2.0"><channel><title>t</title>{items}</channel></rss>'.encode(),
            "application/rss+xml",
        )

    site.routes["/outage.xml"] = feed
    cfg = write_config(
        tmp_path / "config",
        feeds=[("أ", site.url("/outage.xml")), ("ب", site.url("/outage.xml?b"))],
        smtp_port=smtp.port,
        database=relay.url(postgres_url),
        rules=OUTAGE_RULES,
        extra_settings="poll:\n  interval: 1s\n  jitter: 0s\n",
    )
    notify = NotifySocket(tmp_path / "notify.sock")
    log = (tmp_path / "daemon.log").open("w+")
    env = {
        **os.environ,
        "NOTIFY_SOCKET": str(notify.path),
        "RASAD_TEST_SLACK_WEBHOOK": "http://127.0.0.1:9/x",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "monitor", "run", "--config", str(cfg)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
        cwd=ROOT,
    )
    try:
        wait_until(lambda: read(log).count("store.waiting") >= 2 or proc.poll() is not None)
        assert proc.poll() is None, read(log)  # waiting, not exited
        notify.wait_for("EXTEND_TIMEOUT_USEC=")
        assert not any("READY=1" in m for m in notify.received)
        relay.up()
        notify.wait_for("READY=1")
        wait_until(lambda: read(log).count("feed.polled") >= 2)

        relay.down()  # the server goes away while news arrives
        articles["ready"] = True
        wait_until(lambda: read(log).count("status=error") >= 4)
        relay.up()
        wait_until(lambda: len(smtp.messages) == 6)  # 3 articles × 2 feeds, each once
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=120) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        relay.down()
        notify.close()
    text = read(log)
    log.close()
    assert "Traceback" not in text
    assert text.count("store.unavailable") == 1 and text.count("store.available") == 1
    errors = [line for line in text.splitlines() if "status=error" in line]
    assert all(line.startswith("WARNING rasad.pipeline feed.polled") for line in errors)
    assert all("hint=" in line for line in errors)
    assert len({m["Message-ID"] for m in smtp.messages}) == 6


def test_a_full_disk_is_logged_with_its_hint(tmp_path, site, caplog):
    from sqlalchemy import event

    from monitor.config import FeedConfig
    from monitor.fetch import Fetcher, Limits
    from monitor.netguard import AddressPolicy
    from monitor.pipeline import Pipeline
    from monitor.rules import compile_rules

    store = Store(f"sqlite:///{tmp_path / 'x.db'}")
    store.create()
    store.sync_feeds([("موقع", site.url("/feed.xml"))])
    pages = store.engine.connect().exec_driver_sql("PRAGMA page_count").scalar()

    @event.listens_for(store.engine, "connect")
    def _full(dbapi_conn, _):
        dbapi_conn.execute(f"PRAGMA max_page_count = {pages}")

    store.engine.dispose()

    async def no_page(page: bytes, url: str, metadata: bool = True, summary: str = ""):
        return None

    async def go():
        fetcher = Fetcher(Limits(timeout=30), policy=AddressPolicy(["127.0.0.0/8"]))
        pipeline = Pipeline(store, fetcher, no_page, 5_000_000, 5_000_000, lambda: NOW)
        try:
            return await pipeline.poll(
                FeedConfig(name="موقع", url=site.url("/feed.xml")), compile_rules([], {})
            )
        finally:
            await fetcher.aclose()

    caplog.set_level(logging.INFO)
    report = asyncio.run(go())
    assert report.status == "error" and "database or disk is full" in (report.error or "")
    (line,) = [r.getMessage() for r in caplog.records if r.getMessage().startswith("feed.polled")]
    assert "database or disk is full" in line and 'hint="free disk space' in line
    store.close()


def test_the_unit_starts_after_a_local_postgresql():
    unit = (Path(ROOT) / "systemd" / "rasad.service").read_text()
    after = [line for line in unit.splitlines() if line.startswith("After=")]
    assert any("postgresql.service" in line for line in after)
