"""Adaptive polling: each feed's publishing cadence learned from its items' dates, polled at it
within a floor and a ceiling; priority feeds at the floor; `rasad feeds` shows both."""

import asyncio
import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from monitor.config import FeedConfig, load_config
from monitor.fetch import Fetcher, Limits
from monitor.netguard import AddressPolicy
from monitor.pipeline import Pipeline
from monitor.schedule import cadence, poll_interval
from monitor.settings import PollSettings
from monitor.site import send
from monitor.store import Store
from tests.conftest import ROOT, Clock

NOW = datetime(2026, 11, 22, 12, tzinfo=UTC)
MIN = timedelta(minutes=1)


@pytest.mark.parametrize(
    ("ages_minutes", "expected"),
    [
        ([5, 15, 25, 35], timedelta(minutes=8, seconds=45)),  # four items in 35 minutes
        ([60 * 24 * 3], timedelta(days=3)),  # one item three days ago
        ([60 * 24 * 8, 60 * 24 * 30], timedelta(days=7)),  # nothing in the last week: quiet
        ([], None),
        ([-30, 10, 20], timedelta(minutes=10)),  # a date in the future is not counted
    ],
)
def test_cadence_is_a_weeks_items_over_the_time_they_span(ages_minutes, expected):
    assert cadence([NOW - a * MIN for a in ages_minutes], NOW) == expected


BOUNDS = dict(default=15 * MIN, floor=2 * MIN, ceiling=60 * MIN)


@pytest.mark.parametrize(
    ("fixed", "priority", "learned", "adaptive", "expected"),
    [
        (None, False, 9 * MIN, True, 9 * MIN),  # its own cadence
        (None, False, 20 * 1e-3 * MIN, True, 2 * MIN),  # a flood: the floor
        (None, False, 600 * MIN, True, 60 * MIN),  # slow: the ceiling
        (None, False, timedelta(days=7), True, 60 * MIN),  # quiet for a week: the ceiling
        (None, False, None, True, 15 * MIN),  # not polled yet: the default, within the bounds
        (None, True, 30 * MIN, True, 2 * MIN),  # priority: the floor
        (None, True, None, False, 2 * MIN),  # priority works without adaptive too
        (5 * MIN, True, 30 * MIN, True, 5 * MIN),  # the feed's own interval wins over everything
        (None, False, 9 * MIN, False, 15 * MIN),  # not adaptive: the default
    ],
)
def test_which_interval_a_feed_is_polled_at(fixed, priority, learned, adaptive, expected):
    got = poll_interval(fixed=fixed, priority=priority, learned=learned, adaptive=adaptive, **BOUNDS)
    assert got == expected


def test_bounds_must_be_ordered():
    with pytest.raises(ValueError, match="min_interval"):
        PollSettings(min_interval=timedelta(hours=2), max_interval=timedelta(hours=1))


def feed_every(minutes: int, count: int, base: str, first: int = 1) -> bytes:
    """``count`` items ``minutes`` apart, the newest ``first`` minutes old."""
    items = "".join(
        f"<item><title>خبر {i}</title><link>{base}/a/{i}</link>"
        f"<pubDate>{format_datetime(NOW - timedelta(minutes=minutes * i + first))}</pubDate></item>"
        for i in range(count)
    )
    return f'<rss version="2.0"><channel><title>t</title>{items}</channel></rss>'.encode()


def poll(store, feed, clock, polling):
    store.sync_feeds([(feed.name, feed.url)])

    async def go():
        async with Fetcher(Limits(timeout=5), policy=AddressPolicy(["127.0.0.0/8"])) as fetcher:

            async def extract(page, url, metadata=True, summary=""):
                return None

            pipeline = Pipeline(
                store, fetcher, extract, 10**6, 10**6, clock, 15 * MIN, random.Random(1), polling=polling
            )
            return await pipeline.poll(feed, load_config(ROOT / "config").ruleset)

    return asyncio.run(go())


ADAPTIVE = PollSettings(adaptive=True, min_interval=2 * MIN, max_interval=60 * MIN)


def test_a_busy_feed_is_polled_at_its_cadence_and_a_304_keeps_what_was_learned(site, store):
    site.routes["/busy.xml"] = lambda h: (
        send(h, 304, b"", "application/rss+xml", {"ETag": '"v1"'})
        if h.headers.get("If-None-Match") == '"v1"'
        else send(h, 200, feed_every(6, 10, site.base), "application/rss+xml", {"ETag": '"v1"'})
    )
    feed = FeedConfig(name="busy", url=site.url("/busy.xml"))
    clock = Clock(NOW)
    first = poll(store, feed, clock, ADAPTIVE)
    learned = timedelta(seconds=330)  # ten items, the oldest 55 minutes old
    assert first.status == "ok" and first.cadence == learned and first.interval == learned
    assert first.next_poll == NOW + learned
    clock.now += 10 * MIN
    again = poll(store, feed, clock, ADAPTIVE)
    assert again.status == "not_modified" and again.cadence is None and again.interval == learned
    (shown,) = store.feeds()
    assert shown.cadence == learned


def test_a_quiet_feed_at_the_ceiling_and_a_priority_feed_at_the_floor(site, store):
    nine_days = 60 * 24 * 9
    site.routes["/quiet.xml"] = lambda h: send(
        h, 200, feed_every(60, 3, site.base, first=nine_days), "application/rss+xml"
    )
    quiet = poll(store, FeedConfig(name="quiet", url=site.url("/quiet.xml")), Clock(NOW), ADAPTIVE)
    assert quiet.interval == 60 * MIN
    urgent = FeedConfig(name="urgent", url=site.url("/quiet.xml"), priority=True)
    assert poll(store, urgent, Clock(NOW), ADAPTIVE).interval == 2 * MIN


def test_without_adaptive_the_configured_interval_is_kept(site, store):
    site.routes["/busy.xml"] = lambda h: send(h, 200, feed_every(6, 10, site.base), "application/rss+xml")
    report = poll(store, FeedConfig(name="busy", url=site.url("/busy.xml")), Clock(NOW), PollSettings())
    assert report.interval == 15 * MIN and report.next_poll == NOW + 15 * MIN
    assert report.cadence is not None  # learned all the same, shown by `rasad feeds`


def test_rasad_feeds_shows_each_feeds_interval_and_learned_cadence(site, tmp_path):
    from click.testing import CliRunner

    from monitor.cli import main
    from tests.conftest import write_config

    site.routes["/busy.xml"] = lambda h: send(h, 200, feed_every(6, 10, site.base), "application/rss+xml")
    cfg = write_config(
        tmp_path / "config",
        feeds=[("نشط", site.url("/busy.xml")), ("جديد", site.url("/never.xml"))],
        extra_settings="poll:\n  adaptive: true\n  min_interval: 2m\n  max_interval: 1h\n",
        smtp_port=9,  # the example rules name email and slack; nothing is sent here
    )
    store = Store(f"sqlite:///{cfg / 'rasad.db'}")
    store.create()
    poll(store, FeedConfig(name="نشط", url=site.url("/busy.xml")), Clock(NOW), ADAPTIVE)
    store.close()
    out = CliRunner().invoke(main, ["feeds", "--config", str(cfg)]).output
    header, *lines = out.splitlines()
    assert "EVERY" in header and "CADENCE" in header
    rows = {line.split()[0]: line.split() for line in lines}
    assert "5m" in rows["نشط"]  # learned: one item every 5½ minutes, polled at that
    new = rows["جديد"]
    assert new[new.index("due") :][:3] == ["due", "15m", "-"]  # the default until it has learned
