"""Polite, resilient polling: backoff, Retry-After, max-age, and validators that lie."""

import asyncio
import random
from datetime import UTC, datetime, timedelta

import pytest

from monitor.config import FeedConfig, load_config
from monitor.fetch import Fetcher, Limits
from monitor.netguard import AddressPolicy
from monitor.pipeline import Pipeline
from monitor.schedule import MAX_DELAY, max_age, next_poll, trust_validators
from monitor.site import send
from tests.conftest import ROOT, Clock

NOW = datetime(2026, 11, 22, 12, tzinfo=UTC)
HOUR = timedelta(hours=1)


def test_backoff_grows_with_jitter_and_is_capped_at_a_day():
    rng = random.Random(3)
    delays = [
        next_poll(NOW, timedelta(minutes=15), failed=True, error_count=n, rng=rng) - NOW for n in range(1, 12)
    ]
    assert delays[0] <= timedelta(minutes=18) and delays[3] >= timedelta(minutes=90)
    assert all(d <= MAX_DELAY * 1.2 for d in delays) and delays[-1] >= MAX_DELAY * 0.8


def test_retry_after_and_max_age_are_honoured():
    rng = random.Random(0)
    assert next_poll(NOW, HOUR, failed=True, error_count=1, retry_after=7200, rng=rng) == NOW + 2 * HOUR
    assert next_poll(NOW, HOUR, failed=False, cache_max_age=3 * 3600, rng=rng) == NOW + 3 * HOUR
    assert next_poll(NOW, HOUR, failed=False, cache_max_age=60, rng=rng) == NOW + HOUR  # never sooner
    assert next_poll(NOW, HOUR, failed=False, cache_max_age=10**7, rng=rng) <= NOW + MAX_DELAY * 1.2


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("max-age=600", 600),
        ("public, s-maxage=60, max-age=300", 300),
        ("no-cache, max-age=600", None),
        (None, None),
    ],
)
def test_max_age(header, expected):
    assert max_age(header) == expected


def test_validators_are_trusted_for_a_few_hours_only():
    assert trust_validators(NOW - HOUR, NOW)
    assert not trust_validators(NOW - 7 * HOUR, NOW)
    assert not trust_validators(None, NOW)


def poll_once(store, site_url, clock, path):
    feed = FeedConfig(name="f", url=site_url + path)
    store.sync_feeds([(feed.name, feed.url)])

    async def go():
        async with Fetcher(Limits(timeout=5), policy=AddressPolicy(["127.0.0.0/8"])) as fetcher:

            async def extract(page, url, metadata=True, summary=""):
                return None  # pages fall back to the feed's text: not what these tests are about

            pipeline = Pipeline(
                store, fetcher, extract, 10**6, 10**6, clock, timedelta(minutes=15), random.Random(1)
            )
            return await pipeline.poll(feed, load_config(ROOT / "config").ruleset)

    return asyncio.run(go())


def test_429_retry_after_is_stored_as_the_next_attempt_and_shown(site, store):
    clock = Clock(NOW)
    report = poll_once(store, site.base, clock, "/broken/429.xml")
    assert report.status == "error" and report.next_poll >= NOW + timedelta(seconds=120)
    (f,) = store.feeds()
    assert f.next_poll_at == report.next_poll and f.error_count == 1


def test_failing_feed_backs_off_further_each_time(site, store):
    clock = Clock(NOW)
    gaps = []
    for _ in range(4):
        report = poll_once(store, site.base, clock, "/broken/500.xml")
        gaps.append(report.next_poll - clock.now)
        clock.now = report.next_poll
    assert gaps == sorted(gaps) and gaps[-1] > 4 * gaps[0]
    assert store.feeds()[0].error_count == 4


def test_a_feed_that_answers_304_forever_is_caught_by_a_forced_full_fetch(site, store):
    versions = {"n": 1}

    def lying(h):
        items = "".join(
            f"<item><title>خبر {i}</title><link>{site.base}/lying/{i}</link><description>انسحاب قوات التحالف الدولي "
            f"من العراق</description></item>"
            for i in range(versions["n"])
        )
        body = f'<rss version="2.0"><channel><title>t</title>{items}</channel></rss>'.encode()
        if h.headers.get("If-None-Match") == '"always-the-same"':
            h.send_response(304)
            h.send_header("ETag", '"always-the-same"')
            h.send_header("Content-Length", "0")
            h.end_headers()
            return
        send(h, 200, body, "application/rss+xml", {"ETag": '"always-the-same"'})

    site.routes["/lying.xml"] = lying
    clock = Clock(NOW)
    assert poll_once(store, site.base, clock, "/lying.xml").new == 1
    versions["n"] = 2  # the content changes, the ETag does not
    clock.now += HOUR
    assert poll_once(store, site.base, clock, "/lying.xml").status == "not_modified"
    clock.now += 6 * HOUR
    caught = poll_once(store, site.base, clock, "/lying.xml")
    assert (caught.status, caught.new) == ("ok", 1)
    conditional = ["if-none-match" in r.headers for r in site.requests if r.path == "/lying.xml"]
    assert conditional == [False, True, False]


def test_cache_control_max_age_pushes_the_next_poll(site, store):
    feed = (ROOT / "seeds" / "site" / "feed.xml").read_bytes()
    site.routes["/cached.xml"] = lambda h: send(
        h, 200, feed, "application/rss+xml", {"Cache-Control": "max-age=7200"}
    )
    report = poll_once(store, site.base, Clock(NOW), "/cached.xml")
    assert report.status == "ok" and report.next_poll == NOW + 2 * HOUR
