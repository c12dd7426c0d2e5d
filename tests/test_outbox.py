"""Delivery through a real SMTP server and a Slack stand-in: retries, dead letters, no secret leaks."""

import asyncio
import itertools
import json
import logging
import random
from datetime import UTC, datetime, timedelta

import pytest

from alerts.email import EmailChannel
from alerts.outbox import Outbox
from alerts.retry import RetryPolicy
from alerts.slack import SlackChannel
from monitor.config import EmailChannel as EmailConfig
from monitor.config import SlackChannel as SlackConfig
from monitor.errors import AlertError
from monitor.logs import quiet_libraries
from monitor.model import Article, Match, TermHit
from monitor.store import Store
from tests.conftest import Clock

NOW = datetime(2026, 11, 22, 12, tzinfo=UTC)
TITLE = "انسحاب التحالف الدولي من العراق بحلول أيلول ٢٠٢٦"


@pytest.fixture
def store(tmp_path):
    s = Store(f"sqlite:///{tmp_path / 'x.db'}")
    s.create()
    s.sync_feeds([("كتابات", "http://x.test/feed")])
    art = Article(
        "k", "https://news.example/a", "كتابات", TITLE, "", "قال العراق إن التحالف الدولي سينسحب", None
    )
    s.save_article(
        "كتابات",
        art,
        [(Match("coalition", 3.0, (TermHit("العراق", "body", 1, "العراق"),)), ["email", "slack"])],
        NOW,
    )
    yield s
    s.close()


def email_channel(smtp, tmp_path, port=None):
    cfg = EmailConfig.model_validate(
        {
            "type": "email",
            "host": "127.0.0.1",
            "port": port or smtp.port,
            "security": "none",
            "from": "Rasad <rasad@example.org>",
            "to": ["analyst@example.org"],
            "timeout": "5s",
        }
    )
    return EmailChannel("email", cfg, secret_dir=tmp_path, environ={})


def slack_channel(slack, tmp_path):
    cfg = SlackConfig.model_validate({"type": "slack", "webhook_url_env": "HOOK", "timeout": "5s"})
    return SlackChannel("slack", cfg, secret_dir=tmp_path, environ={"HOOK": slack.url})


def outbox(store, channels, clock):
    return Outbox(
        store, {c.name: c for c in channels}, lambda r: "نهاية المهمة", clock, RetryPolicy(), random.Random(1)
    )


def run(ob):
    async def go():
        try:
            return await ob.deliver_due()
        finally:
            for c in ob.channels.values():
                await c.aclose()

    return asyncio.run(go())


def test_email_and_slack_arrive_once_with_the_arabic_title(store, smtp, slack, tmp_path):
    clock = Clock(NOW)
    stats = run(outbox(store, [email_channel(smtp, tmp_path), slack_channel(slack, tmp_path)], clock))
    assert (stats.sent, stats.retrying, stats.dead) == (2, 0, 0)
    (msg,) = smtp.messages
    assert msg["Subject"] == f"[Rasad] نهاية المهمة: {TITLE}"
    assert TITLE in msg.get_body(("plain",)).get_content()
    assert 'dir="rtl"' in msg.get_body(("html",)).get_content()
    (post,) = slack.posts
    assert TITLE in str(post["blocks"])
    clock.now += timedelta(days=1)
    assert (
        run(outbox(store, [email_channel(smtp, tmp_path), slack_channel(slack, tmp_path)], clock)).sent == 0
    )
    assert len(smtp.messages) == 1 and len(slack.posts) == 1


def test_smtp_greylisting_is_retried_with_backoff(store, smtp, tmp_path):
    smtp.refuse = [451]
    clock = Clock(NOW)
    ob = outbox(store, [email_channel(smtp, tmp_path)], clock)
    stats = run(ob)
    assert (stats.sent, stats.retrying) == (0, 1)
    (d,) = [d for d in store.deliveries() if d.channel == "email"]
    assert (
        d.status == "pending"
        and d.last_error.startswith("alert: email: SMTP 127.0.0.1:")
        and "451" in d.last_error
    )
    assert NOW + timedelta(seconds=24) <= d.next_attempt_at <= NOW + timedelta(seconds=36)  # 30 s ± jitter
    assert run(outbox(store, [email_channel(smtp, tmp_path)], clock)).sent == 0  # not due yet
    clock.now = d.next_attempt_at
    assert run(outbox(store, [email_channel(smtp, tmp_path)], clock)).sent == 1
    assert len(smtp.messages) == 1


def test_smtp_rejection_is_dead_lettered(store, smtp, tmp_path):
    smtp.refuse = [550]
    run(outbox(store, [email_channel(smtp, tmp_path)], Clock(NOW)))
    (d,) = [d for d in store.deliveries() if d.channel == "email"]
    assert d.status == "dead" and "550" in d.last_error


def test_smtp_unreachable_is_retried(store, tmp_path, smtp):
    stats = run(outbox(store, [email_channel(smtp, tmp_path, port=9)], Clock(NOW)))
    assert stats.retrying == 1


def test_slack_429_honours_retry_after(store, slack, tmp_path):
    slack.statuses = [(429, {"Retry-After": "600"})]
    stats = run(outbox(store, [slack_channel(slack, tmp_path)], Clock(NOW)))
    assert stats.retrying == 1
    (d,) = [d for d in store.deliveries() if d.channel == "slack"]
    assert d.next_attempt_at >= NOW + timedelta(seconds=600)


def test_slack_5xx_retried_4xx_dead_lettered(store, slack, tmp_path):
    slack.statuses = [(503, {})]
    assert run(outbox(store, [slack_channel(slack, tmp_path)], Clock(NOW))).retrying == 1
    store.retry(NOW, [d.id for d in store.deliveries() if d.channel == "slack"])
    slack.statuses = [(400, {})]
    assert run(outbox(store, [slack_channel(slack, tmp_path)], Clock(NOW))).dead == 1


def test_webhook_url_never_appears_in_logs_or_errors(store, slack, tmp_path, caplog):
    quiet_libraries()  # what `rasad run` does at start
    caplog.set_level(logging.DEBUG)
    slack.statuses = [(500, {})]
    run(outbox(store, [slack_channel(slack, tmp_path)], Clock(NOW)))
    slack.port = 9  # now unreachable
    store.retry(NOW, [d.id for d in store.deliveries() if d.channel == "slack"])
    run(outbox(store, [slack_channel(slack, tmp_path)], Clock(NOW)))
    errors = " ".join(d.last_error or "" for d in store.deliveries())
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert "Slack" in errors
    assert slack.path not in logged and slack.path not in errors
    assert "T000/B000" not in logged


def test_unconfigured_channel_is_dead_lettered_with_a_hint(store):
    stats = run(outbox(store, [], Clock(NOW)))
    assert stats.dead == 2
    assert all("is not configured" in d.last_error for d in store.deliveries())


def test_retry_policy_backoff_caps_and_gives_up():
    policy = RetryPolicy(timedelta(seconds=30), timedelta(hours=1), max_attempts=5)
    rng = random.Random(0)
    temp = AlertError("x", temporary=True)
    delays = [(policy.next_attempt(n, NOW, temp, rng) - NOW).total_seconds() for n in range(1, 5)]
    assert all(a < b for a, b in itertools.pairwise(delays))
    assert policy.next_attempt(5, NOW, temp, rng) is None
    assert policy.next_attempt(1, NOW, AlertError("x", temporary=False), rng) is None
    big = policy.next_attempt(30 - 26, NOW, AlertError("x", temporary=True, retry_after=7200), rng)
    assert big == NOW + timedelta(seconds=7200)


class Silent:
    """A TCP server that accepts connections and never says a word."""

    def __init__(self):
        import socket

        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]

    def close(self):
        self.sock.close()


def test_a_server_that_never_answers_is_cut_by_the_timeout(store, tmp_path):
    import time

    silent = Silent()
    try:
        cfg = EmailConfig.model_validate(
            {
                "type": "email",
                "host": "127.0.0.1",
                "port": silent.port,
                "security": "none",
                "from": "rasad@example.org",
                "to": ["a@example.org"],
                "timeout": "1s",
            }
        )
        slack_cfg = SlackConfig.model_validate({"type": "slack", "webhook_url_env": "HOOK", "timeout": "1s"})
        channels = [
            EmailChannel("email", cfg, secret_dir=tmp_path, environ={}),
            SlackChannel(
                "slack",
                slack_cfg,
                secret_dir=tmp_path,
                environ={"HOOK": f"http://127.0.0.1:{silent.port}/hook"},
            ),
        ]
        start = time.monotonic()
        stats = run(outbox(store, channels, Clock(NOW)))
        assert time.monotonic() - start < 5  # both cut at about a second, concurrently
        assert stats.retrying == 2
        errors = {d.channel: d.last_error for d in store.deliveries()}
        assert "timed out" in errors["email"]
        assert errors["slack"] == "alert: slack: Slack did not answer in time"
    finally:
        silent.close()


def test_hostile_titles_are_neutralised_and_still_delivered(tmp_path, smtp, slack):
    s = Store(f"sqlite:///{tmp_path / 'h.db'}")
    s.create()
    s.sync_feeds([("كتابات", "http://x.test/feed")])
    title = "عاجل\r\nBcc: victim@example.org\u202e <!channel> <@U1> & انسحاب"
    art = Article("h", "https://news.example/h", "كتابات", title, "", "التحالف في العراق", None)
    s.save_article(
        "كتابات",
        art,
        [(Match("coalition", 1.0, (TermHit("العراق", "body", 2, "العراق"),)), ["email", "slack"])],
        NOW,
    )
    stats = run(outbox(s, [email_channel(smtp, tmp_path), slack_channel(slack, tmp_path)], Clock(NOW)))
    assert stats.sent == 2
    (msg,) = smtp.messages
    assert msg["Subject"] == "[Rasad] نهاية المهمة: عاجل Bcc: victim@example.org <!channel> <@U1> & انسحاب"
    assert msg["Bcc"] is None and msg.get_all("To") == ["analyst@example.org"]
    (post,) = slack.posts
    text = json.dumps(post, ensure_ascii=False)
    assert "<!channel>" not in text and "<@U1>" not in text and "\u202e" not in text
    assert "&lt;!channel&gt;" in text
    s.close()
