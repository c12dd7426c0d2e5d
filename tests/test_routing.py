"""Routing and pacing: batches, digests, quiet hours and rate limits, through a real SMTP server."""

import asyncio
import random
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from alerts.email import EmailChannel
from alerts.outbox import Outbox
from monitor.model import Article, Match, TermHit
from monitor.pacing import first_due, parse_mode, parse_quiet
from monitor.store import Store
from tests.conftest import Clock, local_email

NOW = datetime(2026, 11, 22, 12, 7, tzinfo=UTC)  # 15:07 in Baghdad
BAGHDAD = ZoneInfo("Asia/Baghdad")


@pytest.fixture
def world(tmp_path, smtp):
    store = Store(f"sqlite:///{tmp_path / 'x.db'}")
    store.create()
    store.sync_feeds([("كتابات", "http://x.test/feed")])
    clock = Clock(NOW)
    cfg = local_email(smtp.port)

    def add(n: int, mode: str = "immediate"):
        for i in range(n):
            key = uuid.uuid4().hex
            art = Article(
                key,
                f"https://news.example/{i}",
                "كتابات",
                f"خبر رقم {i} عن انسحاب التحالف",
                "",
                "العراق",
                None,
            )
            due = first_due(parse_mode(mode), clock.now, BAGHDAD)
            store.save_article(
                "كتابات",
                art,
                [(Match("r", 1.0, (TermHit("العراق", "body", 0, "العراق"),)), [("email", mode, due)])],
                clock.now,
            )

    def deliver(quiet=None, limit=None):
        ch = EmailChannel("email", cfg, secret_dir=tmp_path, environ={})
        ob = Outbox(
            store,
            {"email": ch},
            lambda r: "قاعدة",
            clock,
            rng=random.Random(1),
            pacing={"email": (parse_quiet(quiet) if quiet else None, limit)},
            tz=BAGHDAD,
        )
        return asyncio.run(ob.deliver_due())

    yield add, deliver, clock, store
    store.close()


def test_a_batch_window_sends_one_message(world, smtp):
    add, deliver, clock, _ = world
    add(3, "batch 15m")
    assert deliver().sent == 0 and smtp.messages == []  # the window is still open
    clock.now = datetime(2026, 11, 22, 12, 15, tzinfo=UTC)
    assert deliver().sent == 3
    (msg,) = smtp.messages
    assert msg["Subject"] == "[Rasad] 3 تنبيهات: قاعدة"
    text = msg.get_body(("plain",)).get_content().replace("\u2068", "").replace("\u2069", "")  # bidi isolates
    assert all(f"خبر رقم {i}" in text for i in range(3))


def test_a_daily_digest_goes_out_at_its_local_time(world, smtp):
    add, deliver, clock, _ = world
    add(2, "digest daily 08:00")
    clock.now = datetime(2026, 11, 23, 4, 59, tzinfo=UTC)  # 07:59 in Baghdad
    assert deliver().sent == 0
    clock.now = datetime(2026, 11, 23, 5, 0, tzinfo=UTC)
    assert deliver().sent == 2 and len(smtp.messages) == 1


def test_quiet_hours_hold_alerts_until_they_end(world, smtp):
    add, deliver, clock, store = world
    clock.now = datetime(2026, 11, 22, 20, 0, tzinfo=UTC)  # 23:00 in Baghdad
    add(1)
    assert deliver(quiet="22:00-07:00").sent == 0 and smtp.messages == []
    (d,) = store.deliveries()
    assert d.next_attempt_at == datetime(2026, 11, 23, 4, 0, tzinfo=UTC) and d.attempts == 0
    clock.now = datetime(2026, 11, 23, 4, 0, tzinfo=UTC)  # 07:00: quiet hours are over
    assert deliver(quiet="22:00-07:00").sent == 1


def test_a_rate_limit_folds_the_excess_into_one_message_never_drops_it(world, smtp):
    add, deliver, clock, _ = world
    add(5)
    stats = deliver(limit=2)
    assert stats.sent == 5  # one alert on its own, the other four folded into the second message
    assert len(smtp.messages) == 2
    assert smtp.messages[1]["Subject"] == "[Rasad] 4 تنبيهات: قاعدة"
    add(2)
    assert deliver(limit=2).sent == 0  # the hour's two messages are spent: held back, not lost
    clock.now += timedelta(minutes=61)
    assert deliver(limit=2).sent == 2
    assert len(smtp.messages) == 3 and smtp.messages[2]["Subject"] == "[Rasad] 2 تنبيهات: قاعدة"
