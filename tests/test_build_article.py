"""Which date an article keeps and what its body starts with: the feed's date wins, the page's fills
the gap unless it is implausible, the item's summary goes to the extractor, an item without a link is
matched on its summary (a fake fetcher and extractor: no server, no workers)."""

import asyncio
import logging
from datetime import UTC, datetime, timedelta, timezone

import pytest

from monitor.fetch import Response
from monitor.model import Extracted, FeedItem
from monitor.parse import parse_feed
from monitor.pipeline import Pipeline

NOW = datetime(2026, 11, 22, 12, tzinfo=UTC)
CAIRO = timezone(timedelta(hours=2))
BODY = "وقال المتحدث باسم الوزارة إن الحالات الجديدة من المخالطين.\nوأكد أن الفرق الطبية تتابع الحالات."
LEAD = "أعلنت وزارة الصحة اليوم تسجيل ثلاثين إصابة جديدة بالفيروس ليرتفع العدد الإجمالي إلى مئتي إصابة."


class Pages:
    """A fetcher whose every page is the same HTML."""

    async def get(self, url: str, **_: object) -> Response:
        return Response(url, 200, {"content-type": "text/html; charset=utf-8"}, b"<html></html>")


def pipeline(page: Extracted | None) -> Pipeline:
    async def extract(
        _page: bytes, _url: str, _metadata: bool = True, _summary: str = ""
    ) -> Extracted | None:
        return page

    return Pipeline(None, Pages(), extract, 10**6, 10**6, lambda: NOW)  # type: ignore[arg-type]


def item(published=None, oldest=None, summary="", url="https://x.example/a") -> FeedItem:
    return FeedItem("k", url, "عنوان", summary, published, feed_oldest=oldest)


def build(page: Extracted | None, it: FeedItem):
    return asyncio.run(pipeline(page).build_article("المصدر", it))


PAGE_DATE = datetime(2026, 11, 21, 9, 30, tzinfo=CAIRO)


@pytest.mark.parametrize(
    ("feed_date", "page_date", "oldest", "kept"),
    [
        (NOW - timedelta(hours=5), PAGE_DATE, None, NOW - timedelta(hours=5)),  # the feed's date wins
        (None, PAGE_DATE, NOW - timedelta(days=1), PAGE_DATE),  # the page's fills the gap, offset kept
        (None, NOW + timedelta(days=30), None, None),  # in the future
        (
            None,
            datetime(2013, 8, 3, tzinfo=UTC),
            NOW - timedelta(days=2),
            None,
        ),  # far before the feed's oldest
        (
            None,
            datetime(2013, 8, 3, tzinfo=UTC),
            None,
            datetime(2013, 8, 3, tzinfo=UTC),
        ),  # nothing to doubt it by
    ],
)
def test_the_feed_date_wins_and_the_page_date_fills_the_gap(feed_date, page_date, oldest, kept):
    article = build(Extracted("عنوان", BODY, page_date), item(feed_date, oldest))
    assert article.published == kept
    if kept is PAGE_DATE:
        assert article.published.utcoffset() == timedelta(hours=2)


def test_an_ignored_page_date_is_logged(caplog):
    with caplog.at_level(logging.INFO, logger="rasad.pipeline"):
        build(Extracted("عنوان", BODY, NOW + timedelta(days=30)), item())
    assert "article.date_ignored" in caplog.text and "2026-12-22T12:00:00+00:00" in caplog.text


def test_the_items_summary_goes_to_the_extractor_whose_body_is_kept():
    # the extractor puts a summary the body lacks first (in its worker: tests/test_extract.py); the
    # pipeline hands it the item's summary and keeps the body it gives back
    given: list[str] = []

    async def extract(_page: bytes, _url: str, _metadata: bool = True, summary: str = "") -> Extracted | None:
        given.append(summary)
        return Extracted("عنوان", f"{summary}\n{BODY}", None)

    p = Pipeline(None, Pages(), extract, 10**6, 10**6, lambda: NOW)  # type: ignore[arg-type]
    article = asyncio.run(p.build_article("المصدر", item(summary=LEAD)))
    assert given == [LEAD] and article.body == f"{LEAD}\n{BODY}"


def test_an_item_without_link_or_guid_is_matched_on_its_summary_and_logged(caplog):
    feed = """<rss version="2.0"><channel><title>t</title><item><title>خبر</title>
<description>انتهاء مهمة التحالف الدولي في العراق</description></item></channel></rss>"""
    (it,) = parse_feed(feed.encode(), url="https://x.example/f")
    with caplog.at_level(logging.INFO, logger="rasad.pipeline"):
        article = build(None, it)
    assert article.body == "انتهاء مهمة التحالف الدولي في العراق" and article.key.startswith(
        "x.example:sha256:"
    )
    assert article.extraction == "fallback: no link or GUID: keyed by its title and content"
    assert "article.fallback" in caplog.text and "no link or GUID" in caplog.text


@pytest.mark.parametrize(
    ("title", "published", "asked"),
    [
        ("عنوان", NOW, False),  # the feed told both: the page's metadata is not searched
        ("", NOW, True),  # no title in the feed: the page's is read
        ("عنوان", None, True),  # no date in the feed: the page's is read
    ],
)
def test_the_page_metadata_is_read_only_when_the_feed_lacks_title_or_date(title, published, asked):
    wanted: list[bool] = []

    async def extract(_page: bytes, _url: str, metadata: bool = True, _summary: str = "") -> Extracted | None:
        wanted.append(metadata)
        return Extracted("عنوان الصفحة", BODY, PAGE_DATE)

    p = Pipeline(None, Pages(), extract, 10**6, 10**6, lambda: NOW)  # type: ignore[arg-type]
    article = asyncio.run(
        p.build_article("المصدر", FeedItem("k", "https://x.example/a", title, "", published))
    )
    assert wanted == [asked]
    assert article.title == (title or "عنوان الصفحة")
