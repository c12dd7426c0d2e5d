"""`rasad run` as systemd runs it: notify socket, watchdog, SIGHUP reload, SIGTERM drain."""

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.conftest import FIXTURE_RULES_YAML, RULES_YAML, NotifySocket, read, wait_until, write_config

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def daemon(tmp_path, site, smtp, slack):
    cfg = write_config(
        tmp_path / "config",
        feeds=[("موقع الاختبار", site.url("/feed.xml"))],
        smtp_port=smtp.port,
        extra_settings="poll:\n  interval: 1s\n  jitter: 0s\n",
    )
    notify = NotifySocket(tmp_path / "notify.sock")
    log = (tmp_path / "daemon.log").open("w+")
    env = {
        **os.environ,
        "NOTIFY_SOCKET": str(notify.path),
        "WATCHDOG_USEC": "500000",
        "RASAD_TEST_SLACK_WEBHOOK": slack.url,
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "monitor", "run", "--config", str(cfg), "--stop-timeout", "20"],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
        cwd=ROOT,
    )
    yield proc, notify, cfg, log
    if proc.poll() is None:
        proc.kill()
        proc.wait()
    notify.close()
    log.close()


def test_ready_watchdog_alerts_reload_and_clean_stop(daemon, smtp, slack, site):
    proc, notify, cfg, log = daemon
    notify.wait_for("READY=1")
    notify.wait_for("WATCHDOG=1")
    wait_until(lambda: len(smtp.messages) == 5 and len(slack.posts) == 5)
    assert 'feed.polled feed="موقع الاختبار" status=ok items=5 new=5 matched=5' in read(log)

    # a broken edit + SIGHUP: the error is logged with file:line, the last good config keeps running
    (cfg / "rules.yaml").write_text(
        FIXTURE_RULES_YAML.replace("published_within: 30d", "published_within: 3 dayz"), encoding="utf-8"
    )
    polls_before = len([r for r in site.requests if r.path == "/feed.xml"])
    proc.send_signal(signal.SIGHUP)
    wait_until(lambda: "config.kept" in read(log))
    assert "rules.yaml:71:5: rules[2].published_within: invalid duration '3 dayz'" in read(log)
    wait_until(lambda: len([r for r in site.requests if r.path == "/feed.xml"]) >= polls_before + 2)
    assert proc.poll() is None  # still running, still polling (1 s interval, answered 304)

    # a good edit is picked up
    (cfg / "rules.yaml").write_text(RULES_YAML, encoding="utf-8")
    proc.send_signal(signal.SIGHUP)
    wait_until(lambda: "config.reloaded feeds=1 rules=2" in read(log))

    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 0
    notify.wait_for("STOPPING=1")
    assert "daemon.stopped unfinished=0" in read(log)
    assert len(smtp.messages) == 5 and len(slack.posts) == 5  # nothing sent twice


def test_truncated_rules_file_is_reported_loudly(daemon):
    proc, notify, cfg, log = daemon
    notify.wait_for("READY=1")
    (cfg / "rules.yaml").write_text(FIXTURE_RULES_YAML, encoding="utf-8")  # three rules
    proc.send_signal(signal.SIGHUP)
    wait_until(lambda: "config.reloaded feeds=1 rules=3" in read(log))
    one_rule = FIXTURE_RULES_YAML[: FIXTURE_RULES_YAML.index("  - id: hmc-talks")]
    (cfg / "rules.yaml").write_text(one_rule, encoding="utf-8")
    proc.send_signal(signal.SIGHUP)
    wait_until(lambda: "config.rules_dropped" in read(log))
    assert "before=3 after=1" in read(log)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 0


def test_reload_applies_new_channel_settings_and_pending_alerts_follow(tmp_path, site, smtp, slack):
    settings = "poll:\n  interval: 1h\n  jitter: 0s\ndelivery:\n  retry_base: 1s\n  retry_max: 2s\n"
    feeds = [("موقع الاختبار", site.url("/feed.xml"))]
    cfg = write_config(
        tmp_path / "config", feeds=feeds, smtp_port=9, extra_settings=settings
    )  # nothing listens on 9
    log = (tmp_path / "daemon.log").open("w+")
    env = {**os.environ, "RASAD_TEST_SLACK_WEBHOOK": slack.url}
    proc = subprocess.Popen(
        [sys.executable, "-m", "monitor", "run", "--config", str(cfg)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
        cwd=ROOT,
    )
    try:
        wait_until(lambda: "alert.failed channel=email" in read(log))
        assert smtp.messages == []
        write_config(cfg, feeds=feeds, smtp_port=smtp.port, extra_settings=settings)
        proc.send_signal(signal.SIGHUP)
        wait_until(lambda: len(smtp.messages) == 5)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        log.close()
    assert len(smtp.messages) == 5 and len(slack.posts) == 5


def test_sigterm_lets_an_inflight_poll_finish(tmp_path, site, smtp, slack):
    from monitor.site import send

    feed = (
        (ROOT / "seeds" / "site" / "feed.xml")
        .read_bytes()
        .replace(b"http://seeds.rasad.invalid", site.base.encode())
    )

    def slow_feed(h):
        time.sleep(2)
        send(h, 200, feed, "application/rss+xml")

    site.routes["/slow-feed.xml"] = slow_feed
    cfg = write_config(tmp_path / "config", feeds=[("بطيء", site.url("/slow-feed.xml"))], smtp_port=smtp.port)
    log = (tmp_path / "daemon.log").open("w+")
    env = {**os.environ, "RASAD_TEST_SLACK_WEBHOOK": slack.url}
    proc = subprocess.Popen(
        [sys.executable, "-m", "monitor", "run", "--config", str(cfg)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
        cwd=ROOT,
    )
    try:
        wait_until(lambda: any(r.path == "/slow-feed.xml" for r in site.requests))
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        log.close()
    text = (tmp_path / "daemon.log").read_text()
    assert "daemon.stopping inflight=1" in text
    assert "feed.polled feed=بطيء status=ok items=5 new=5 matched=5" in text
    assert "daemon.stopped unfinished=0" in text
    assert len(smtp.messages) == 5  # what it stored before stopping, it also sent


def test_sigterm_during_a_send_lets_it_finish_and_record_it(tmp_path, site, smtp, slack):
    smtp.delay = 2.0  # every message takes the server two seconds to accept
    cfg = write_config(
        tmp_path / "config", feeds=[("موقع الاختبار", site.url("/feed.xml"))], smtp_port=smtp.port
    )
    log = (tmp_path / "daemon.log").open("w+")
    env = {**os.environ, "RASAD_TEST_SLACK_WEBHOOK": slack.url}
    proc = subprocess.Popen(
        [sys.executable, "-m", "monitor", "run", "--config", str(cfg), "--stop-timeout", "40"],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
        cwd=ROOT,
    )
    try:
        wait_until(lambda: smtp.started >= 1)  # the first email is being sent
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0
        assert time.monotonic() - started < 40
    finally:
        if proc.poll() is None:
            proc.kill()
        log.close()
    received = len(smtp.messages)
    assert received >= 1  # the send in flight completed
    assert received == smtp.started  # every send that started was completed, none cut off
    from monitor.store import Store

    store = Store(f"sqlite:///{cfg / 'rasad.db'}")
    epoch = datetime(2000, 1, 1, tzinfo=UTC)
    recorded = (store.sent_messages("email", epoch), store.sent_messages("slack", epoch))
    store.close()
    assert recorded == (received, len(slack.posts))  # … and recorded
    smtp.delay = 0
    again = subprocess.run(
        [sys.executable, "-m", "monitor", "once", "--config", str(cfg)],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
    )
    assert again.returncode == 0, again.stderr
    assert len(smtp.messages) == 5 and len({m["Message-ID"] for m in smtp.messages}) == 5  # no duplicate


def test_a_notify_socket_nobody_reads_never_blocks_the_daemon(tmp_path):
    """systemd reads its socket promptly, but when it does not (busy, hung), a full queue must cost
    a lost notification, not a frozen event loop: found when this suite's own reader stopped reading."""
    from monitor.sdnotify import Notifier

    unread = NotifySocket(tmp_path / "notify", reading=False)
    notifier = Notifier({"NOTIFY_SOCKET": str(tmp_path / "notify")})
    start = time.monotonic()
    for _ in range(500):  # far more than a datagram socket queues
        notifier.notify("WATCHDOG=1")
    assert time.monotonic() - start < 5
    assert unread.sock.recv(4096) == b"WATCHDOG=1"  # the first ones did arrive
    unread.close()
