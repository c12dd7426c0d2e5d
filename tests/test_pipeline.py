"""One feed end to end through the pipeline (real site, real workers): fallbacks, dates, isolation."""

import asyncio
import time
from datetime import UTC, datetime

import pytest

from monitor.config import FeedConfig, load_config
from monitor.extract import extract_page, warm_up
from monitor.fetch import Fetcher, Limits
from monitor.netguard import AddressPolicy
from monitor.pipeline import Pipeline
from monitor.site import send
from monitor.store import Store
from monitor.workers import ProcessPool
from tests.conftest import ROOT
from tests.helpers import hang

NOW = datetime(2026, 11, 22, tzinfo=UTC)
ARABIC_PAGE = """<html lang="ar"><head><meta property="article:published_time" content="2025-09-07T11:00:00+03:00">
<title>خبر</title></head><body><nav><a href="/">الرئيسية</a></nav><article><h1>انسحاب التحالف الدولي من العراق</h1>
<p>أعلنت الحكومة العراقية اليوم انتهاء مهمة التحالف الدولي في بغداد والأنبار والانتقال إلى علاقات أمنية ثنائية مع
الولايات المتحدة، على أن تستمر المهمة في أربيل حتى أيلول/سبتمبر 2026 وفق جدول زمني متفق عليه بين الجانبين.</p>
<p>وقال مستشار رئيس الوزراء إن الجدول الزمني موثق على موقعي وزارتي الخارجية في البلدين، وإن القوات العراقية باتت
قادرة على حماية الحدود ومواصلة الحرب على تنظيم داعش دون الحاجة إلى وجود قوات أجنبية قتالية على الأرض.</p>
</article><footer>جميع الحقوق محفوظة</footer></body></html>"""


def feed_xml(base: str) -> bytes:
    items = [
        ("صفحة عادية بلا تاريخ في الخلاصة", "/page.html", ""),
        (
            "انسحاب التحالف الدولي من العراق: صفحة معطوبة",
            "/pathological.html",
            "<pubDate>Sun, 07 Sep 2025 08:00:00 GMT</pubDate>",
        ),
        ("ملف PDF عن انسحاب التحالف الدولي من العراق", "/report.pdf", ""),
        ("قائمة روابط عن انسحاب التحالف الدولي من العراق", "/links.html", ""),
    ]
    body = "".join(
        f"<item><title>{t}</title><link>{base}{p}</link>{d}<description>ملخص: انتهاء مهمة التحالف الدولي في العراق"
        f"</description></item>"
        for t, p, d in items
    )
    return f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>{body}</channel></rss>'.encode()


@pytest.fixture
def routes(site):
    links = (
        "<html><body><article><p>نص " + "<a href='/x'>رابط</a> " * 50_000 + "</p></article></body></html>"
    ).encode()
    site.routes["/pipeline.xml"] = lambda h: send(h, 200, feed_xml(site.base), "application/rss+xml")
    site.routes["/page.html"] = lambda h: send(h, 200, ARABIC_PAGE.encode(), "text/html; charset=utf-8")
    site.routes["/pathological.html"] = lambda h: send(h, 200, ARABIC_PAGE.encode(), "text/html")
    site.routes["/links.html"] = lambda h: send(h, 200, links, "text/html")
    site.routes["/report.pdf"] = lambda h: send(h, 200, b"%PDF-1.4", "application/pdf")
    return site


def test_fallbacks_dates_and_a_killed_extraction(routes, tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'x.db'}")
    store.create()
    feed = FeedConfig(name="اختبار", url=routes.url("/pipeline.xml"))
    store.sync_feeds([(feed.name, feed.url)])
    ruleset = load_config(ROOT / "config").ruleset

    async def go():
        # the pathological page's extraction hangs for certain, so only its 1 s deadline ends it; the
        # other pages get a deadline no loaded machine comes near (and none counts a worker's start-up)
        pool = ProcessPool(1, deadline=60, warmup=warm_up)
        stuck = ProcessPool(1, deadline=1.0)
        async with Fetcher(Limits(timeout=10), policy=AddressPolicy(["127.0.0.0/8"])) as fetcher:

            async def extract(page, url, metadata=True, summary=""):
                if url.endswith("/pathological.html"):
                    return await stuck.run(hang, page, url)
                return await pool.run(extract_page, page, url, metadata, summary)

            pipeline = Pipeline(store, fetcher, extract, 5_000_000, 5_000_000, lambda: NOW)
            try:
                await asyncio.gather(pool.started(), stuck.started())
                start = time.monotonic()
                report = await pipeline.poll(feed, ruleset)
                return report, time.monotonic() - start
            finally:
                pool.close()
                stuck.close()

    report, elapsed = asyncio.run(go())
    assert (report.status, report.items, report.new, report.fallbacks) == ("ok", 4, 4, 3)
    assert elapsed < 60  # the pathological page did not hold the feed for the hour it wanted
    articles = {m.article.url.rsplit("/", 1)[1]: m.article for m in store.matches()}
    normal = articles["page.html"]
    assert normal.extraction == "trafilatura"
    # from the page, which the feed gave no date for: the whole timestamp, at the page's own offset
    assert normal.published == datetime(2025, 9, 7, 8, tzinfo=UTC) and normal.published.hour == 11
    assert "جميع الحقوق محفوظة" not in normal.body
    killed = articles["pathological.html"]
    assert killed.extraction == "fallback: extract: gave up after 1s; worker stopped"
    assert killed.body == "ملخص: انتهاء مهمة التحالف الدولي في العراق"
    assert killed.published == datetime(2025, 9, 7, 8, tzinfo=UTC)  # the feed's date wins
    assert articles["report.pdf"].extraction == "fallback: not an HTML page (application/pdf)"
    assert articles["links.html"].extraction == (
        "fallback: extract: page has 50,000 links (more than 5,000): not an article"
    )
    store.close()


def test_a_refused_article_link_is_logged_and_the_cycle_goes_on(site, tmp_path, caplog):
    import logging

    port = site._server.server_address[1]
    items = "".join(
        f"<item><title>انسحاب التحالف الدولي من العراق {i}</title><link>{link}</link>"
        f"<description>ملخص: انتهاء مهمة التحالف الدولي في العراق</description></item>"
        for i, link in enumerate(
            [
                f"http://127.0.0.2:{port}/secret",
                "http://169.254.169.254/latest/meta-data",
                site.url("/page.html"),
            ]
        )
    )
    site.routes["/mixed.xml"] = lambda h: send(
        h,
        200,
        f'<rss version="2.0"><channel><title>t</title>{items}</channel></rss>'.encode(),
        "application/rss+xml",
    )
    site.routes["/page.html"] = lambda h: send(h, 200, ARABIC_PAGE.encode(), "text/html; charset=utf-8")
    store = Store(f"sqlite:///{tmp_path / 'x.db'}")
    store.create()
    feed = FeedConfig(name="f", url=site.url("/mixed.xml"))
    store.sync_feeds([(feed.name, feed.url)])
    caplog.set_level(logging.INFO)

    async def go():
        pool = ProcessPool(1, deadline=10, warmup=warm_up)
        async with Fetcher(Limits(timeout=5), policy=AddressPolicy(["127.0.0.1/32"])) as fetcher:

            async def extract(page, url, metadata=True, summary=""):
                return await pool.run(extract_page, page, url, metadata, summary)

            try:
                return await Pipeline(store, fetcher, extract, 10**6, 10**6, lambda: NOW).poll(
                    feed, load_config(ROOT / "config").ruleset
                )
            finally:
                pool.close()

    report = asyncio.run(go())
    assert (report.status, report.new, report.fallbacks) == ("ok", 3, 2)
    logged = " ".join(r.getMessage() for r in caplog.records if "article.fallback" in r.getMessage())
    assert "destination refused: 127.0.0.2 is 127.0.0.2 (loopback address)" in logged
    assert "destination refused: 169.254.169.254 is 169.254.169.254 (link-local address)" in logged
    assert not any(r.path == "/secret" for r in site.requests)
    store.close()


def test_a_slow_host_never_delays_the_others(site, tmp_path):
    import threading

    release = threading.Event()
    feed = (
        (ROOT / "seeds" / "site" / "feed.xml")
        .read_bytes()
        .replace(b"http://seeds.rasad.invalid", site.base.encode())
    )

    def stuck(h):
        release.wait(20)
        send(h, 200, feed, "application/rss+xml")

    site.routes["/stuck.xml"] = stuck
    store = Store(f"sqlite:///{tmp_path / 'x.db'}")
    store.create()
    slow = FeedConfig(
        name="slow", url=site.url("/stuck.xml").replace("127.0.0.1", "localhost")
    )  # another host
    fast = FeedConfig(name="fast", url=site.url("/feed.xml"))
    store.sync_feeds([(f.name, f.url) for f in (slow, fast)])
    finished: dict[str, float] = {}

    async def go():
        pool = ProcessPool(2, deadline=10, warmup=warm_up)
        async with Fetcher(
            Limits(timeout=15, per_host=1), policy=AddressPolicy(["127.0.0.0/8", "::1"])
        ) as fetcher:

            async def extract(page, url, metadata=True, summary=""):
                return await pool.run(extract_page, page, url, metadata, summary)

            pipeline = Pipeline(store, fetcher, extract, 10**6, 10**6, lambda: NOW)
            ruleset = load_config(ROOT / "config").ruleset
            start = time.monotonic()

            async def timed(f):
                report = await pipeline.poll(f, ruleset)
                finished[f.name] = time.monotonic() - start
                if f.name == "fast":
                    release.set()  # only now may the slow host answer
                return report

            try:
                return await asyncio.gather(timed(slow), timed(fast))
            finally:
                pool.close()

    slow_report, fast_report = asyncio.run(go())
    assert fast_report.status == "ok" and fast_report.new == 5
    assert finished["fast"] < finished["slow"]  # the fast feed did not wait for the stuck one
    assert slow_report.status == "ok"
    store.close()
