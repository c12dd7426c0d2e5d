"""A publication time as its source gave it: stored, read back and shown without moving its day."""

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from sqlalchemy import text

from alerts.render import _date
from monitor.model import Article, Match, TermHit
from monitor.published import (
    day_only,
    form,
    plausible,
    restored,
    shown,
    stored,
    wall_clock,
)
from monitor.store import Store

NOW = datetime(2026, 11, 22, 12, tzinfo=UTC)
CAIRO = timezone(timedelta(hours=2))

FORMS = [
    # (as the source gave it, stored notation, shown, its day)
    (
        datetime(2020, 12, 25, 1, 59, 50, tzinfo=CAIRO),
        "2020-12-25T01:59:50+02:00",
        "2020-12-25 01:59 UTC+02:00",
    ),
    (datetime(2020, 12, 24, 23, 59, 50, tzinfo=UTC), "2020-12-24T23:59:50+00:00", "2020-12-24 23:59 UTC"),
    (wall_clock(datetime(2020, 12, 1, 2, 0)), "2020-12-01T02:00:00", "2020-12-01 02:00"),
    (day_only(date(2020, 6, 3)), "2020-06-03", "2020-06-03"),
]


@pytest.mark.parametrize(("when", "notation", "as_shown"), FORMS, ids=[f[1] for f in FORMS])
def test_forms_are_kept_and_shown_on_their_own_day(when, notation, as_shown):
    assert stored(when) == notation
    back = restored(notation, when.astimezone(UTC))
    assert back == when and stored(back) == notation and form(back) == form(when)
    assert shown(when) == as_shown and _date(when) == as_shown


def test_a_stored_row_without_notation_or_with_a_disagreeing_one_is_its_utc_instant():
    utc = datetime(2020, 12, 24, 23, 59, 50, tzinfo=UTC)
    assert restored(None, utc) == utc and form(restored(None, utc)) == "instant"
    assert restored("2020-12-25T09:00:00+02:00", utc) == utc  # edited since: the instant wins
    assert restored("garbage", utc) == utc


def test_a_date_alone_compares_as_midnight_utc():
    assert day_only(date(2020, 6, 3)) == datetime(2020, 6, 3, tzinfo=UTC)
    assert form(day_only(date(2020, 6, 3))) == "date" and day_only(date(2020, 6, 3)).tzname() == "date"


def test_render_keeps_showing_a_legacy_midnight_as_a_date():
    assert _date(datetime(2024, 9, 21, tzinfo=UTC)) == "2024-09-21"
    assert _date(None) == "date unknown"


@pytest.mark.parametrize(
    ("when", "oldest", "believed"),
    [
        (NOW - timedelta(days=2), NOW - timedelta(days=1), True),
        (NOW + timedelta(hours=20), None, True),
        (NOW + timedelta(days=3), None, False),  # in the future
        (NOW - timedelta(days=400), NOW - timedelta(days=2), False),  # far before the feed's oldest item
        (NOW - timedelta(days=400), None, True),  # a feed that gives no dates bounds nothing
    ],
)
def test_plausible_page_dates(when, oldest, believed):
    assert plausible(when, NOW, oldest, ahead=timedelta(days=1), before=timedelta(days=7)) is believed


@pytest.fixture
def store(database_url):
    s = Store(database_url)
    s.create()
    s.sync_feeds([("صدى البلد", "http://x.test/feed")])
    yield s
    s.close()


@pytest.mark.parametrize(("when", "notation", "as_shown"), FORMS, ids=[f[1] for f in FORMS])
def test_the_store_gives_back_the_form_and_offset(store, when, notation, as_shown):
    article = Article("k", "http://x.test/k", "صدى البلد", "عنوان", "", "نص", when)
    store.save_article(
        "صدى البلد", article, [(Match("r", 1.0, (TermHit("نص", "body", 0, "نص"),)), ["email"])], NOW
    )
    (m,) = store.matches()
    assert stored(m.article.published) == notation and _date(m.article.published) == as_shown
    with store.engine.connect() as conn:  # the instant is kept in UTC for queries
        utc = conn.execute(text("SELECT published_at FROM articles")).scalar_one()
    assert str(utc).startswith(when.astimezone(UTC).strftime("%Y-%m-%d %H:%M"))


def test_listings_say_utc_only_of_utc():
    from monitor.show import when

    assert when(datetime(2020, 12, 25, 1, 59, tzinfo=CAIRO)) == "2020-12-24 23:59 UTC"
    assert when(datetime(2020, 12, 24, 23, 59, tzinfo=UTC)) == "2020-12-24 23:59 UTC"
