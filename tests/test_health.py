"""Source health: one notice when a feed breaks or falls silent, one when it recovers."""

import asyncio
import random
from datetime import UTC, datetime, timedelta

import pytest

from alerts.email import EmailChannel
from alerts.outbox import Outbox
from monitor.config import FeedConfig, HealthSettings, load_config
from monitor.fetch import Fetcher, Limits
from monitor.health import HealthRules, cadence, problem
from monitor.netguard import AddressPolicy
from monitor.pipeline import Pipeline
from monitor.site import send
from monitor.store import Store
from tests.conftest import ROOT, Clock, local_email

NOW = datetime(2026, 11, 22, 12, tzinfo=UTC)
HOUR = timedelta(hours=1)


def test_problem_and_cadence():
    rules = HealthRules(failures=3, silence_factor=6, min_silence=timedelta(hours=2))
    hourly = [NOW - i * HOUR for i in range(1, 8)]
    assert cadence(hourly) == HOUR and cadence(hourly[:3]) is None
    assert problem(NOW, rules, error_count=2, last_error="x", first_seen=hourly) is None
    assert problem(NOW, rules, error_count=3, last_error="fetch: HTTP 500", first_seen=hourly) == (
        "failed 3 times in a row: fetch: HTTP 500"
    )
    quiet = [t - 6 * HOUR for t in hourly]  # the newest article is 7 h old, usual gap 1 h
    assert problem(NOW, rules, error_count=0, last_error=None, first_seen=quiet) == (
        "no new article for 7 h; it usually publishes every 60 min"
    )
    assert (
        problem(NOW, rules, error_count=0, last_error=None, first_seen=quiet[:3]) is None
    )  # too little history


@pytest.fixture
def world(site, smtp, tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'x.db'}")
    store.create()
    clock = Clock(NOW)
    health = HealthSettings(channel="admin", failures=3, silence_factor=6, min_silence=timedelta(hours=2))
    cfg = local_email(smtp.port, to="admin@example.org")
    ruleset = load_config(ROOT / "config").ruleset

    def poll(path):
        feed = FeedConfig(name="مصدر", url=site.url(path))
        store.sync_feeds([(feed.name, feed.url)])

        async def go():
            async with Fetcher(Limits(timeout=5), policy=AddressPolicy(["127.0.0.0/8"])) as fetcher:

                async def extract(page, url, metadata=True, summary=""):
                    return None

                pipeline = Pipeline(
                    store,
                    fetcher,
                    extract,
                    10**6,
                    10**6,
                    clock,
                    timedelta(minutes=15),
                    random.Random(1),
                    health=health,
                )
                report = await pipeline.poll(feed, ruleset)
                outbox = Outbox(
                    store,
                    {"admin": EmailChannel("admin", cfg, secret_dir=tmp_path, environ={})},
                    lambda r: r,
                    clock,
                )
                await outbox.deliver_notices()
                return report

        return asyncio.run(go())

    yield poll, clock, store
    store.close()


def test_a_failing_feed_gives_one_notice_then_one_recovery(world, site, smtp):
    poll, clock, _ = world
    for _ in range(6):
        poll("/broken/500.xml")
        clock.now += HOUR
    assert [m["Subject"] for m in smtp.messages] == ["[Rasad] ⚠ مصدر متوقف: مصدر"]
    assert "failed 3 times in a row: fetch:" in smtp.messages[0].get_body(("plain",)).get_content()
    poll("/feed.xml")
    assert [m["Subject"] for m in smtp.messages][1:] == ["[Rasad] ✓ عاد المصدر للعمل: مصدر"]
    poll("/feed.xml")
    assert len(smtp.messages) == 2


def test_a_silent_feed_gives_one_notice_then_one_recovery(world, site, smtp):
    poll, clock, _ = world
    published = {"n": 0}

    def growing(h):
        items = "".join(
            f"<item><title>خبر {i}</title><link>{site.base}/g/{i}</link></item>"
            for i in range(published["n"])
        )
        send(
            h,
            200,
            f'<rss version="2.0"><channel><title>t</title>{items}</channel></rss>'.encode(),
            "application/rss+xml",
        )

    site.routes["/growing.xml"] = growing
    for _ in range(6):  # one new article an hour
        published["n"] += 1
        poll("/growing.xml")
        clock.now += HOUR
    assert smtp.messages == []
    for _ in range(8):  # then nothing for 8 hours, polled every hour
        poll("/growing.xml")
        clock.now += HOUR
    assert [m["Subject"] for m in smtp.messages] == ["[Rasad] ⚠ مصدر متوقف: مصدر"]
    assert "usually publishes every 60 min" in smtp.messages[0].get_body(("plain",)).get_content()
    published["n"] += 1
    poll("/growing.xml")
    assert len(smtp.messages) == 2 and "عاد المصدر للعمل" in smtp.messages[1]["Subject"]


def test_health_channel_must_exist(tmp_path):
    from monitor.config import Settings

    with pytest.raises(ValueError, match=r"health\.channel: unknown channel .admin."):
        Settings.model_validate({"health": {"channel": "admin"}})
