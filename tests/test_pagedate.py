"""Publication dates of article pages: pages written here, each reproducing a layout a real Arabic
outlet uses (the real pages stay outside the repository; scripts/evaluate_pages.py reads them)."""

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from monitor.extract import extract_page
from monitor.pagedate import url_date
from monitor.published import form, shown, stored
from monitor.stamps import dateline, parse_stamp

PARAGRAPHS = "".join(
    f"<p>{s}</p>"
    for s in (
        "أعلنت الحكومة اليوم عن خطة جديدة لإصلاح قطاع الكهرباء تشمل بناء محطات توليد في ثلاث محافظات.",
        "وقال المتحدث باسم الوزارة إن الخطة ستنفذ على مراحل خلال السنوات المقبلة بتمويل محلي ودولي.",
        "وأضاف أن المرحلة الأولى تبدأ بإعادة تأهيل الشبكة في العاصمة وتحسين ساعات التجهيز للمواطنين.",
        "ورحب نواب في البرلمان بالخطة لكنهم طالبوا بجدول زمني واضح ورقابة على الإنفاق والعقود.",
    )
)


def page(
    head: str = "", top: str = "", dateline_html: str = "", title: str = "الحكومة تعلن خطة للكهرباء"
) -> bytes:
    return (
        f"<html><head><meta charset='utf-8'><title>{title}</title>{head}</head><body>"
        f"<header><div class='clock'>{top}</div><nav><a href='/'>الرئيسية</a></nav></header>"
        f"<main><article><h1>{title}</h1><div class='meta'>{dateline_html}</div>"
        f"<div class='body'>{PARAGRAPHS}</div></article></main>"
        "<footer><p>جميع الحقوق محفوظة</p></footer></body></html>"
    ).encode()


def published(html: bytes, url: str = "https://news.example/a/1") -> datetime | None:
    extracted = extract_page(html, url)
    assert extracted is not None
    return extracted.published


def test_the_page_s_own_offset_keeps_its_day():
    # elbaladtv.net's layout: JSON-LD at +02:00, article:published_time the same instant in UTC, the day before
    html = page(
        head='<meta property="article:published_time" content="2021-06-10T23:20:10+00:00">'
        '<script type="application/ld+json">{"@type":"NewsArticle",'
        '"datePublished":"2021-06-11T01:20:10+02:00","dateModified":"2021-06-11T03:00:00+02:00"}</script>',
        dateline_html="2021/06/11 - 1:20 صباحًا",
    )
    when = published(html)
    assert stored(when) == "2021-06-11T01:20:10+02:00"
    assert when == datetime(2021, 6, 10, 23, 20, 10, tzinfo=UTC)  # the same instant
    assert when.date() == date(2021, 6, 11) and shown(when) == "2021-06-11 01:20 UTC+02:00"


def test_an_offset_without_a_colon_and_a_bogus_earlier_modification():
    # albayan.ae's layout: "+0400"; article:modified_time months earlier is not the publication
    html = page(
        head='<meta property="article:modified_time" content="2020-11-01T10:18+0400">'
        '<script type="application/ld+json">{"@type":"NewsArticle","datePublished":"2021-02-08T03:12+0400",'
        '"dateModified":"2021-02-08T01:30+0400"}</script>',
        top="26 جمادى الآخرة 1442هـ - 08 فبراير 2021م",
    )
    assert stored(published(html)) == "2021-02-08T03:12:00+04:00"


def test_arabic_text_in_article_published_time():
    # akhbarelyom.com's layout: the meta's content is an Arabic date line, 12:09 م is past noon
    html = page(
        head='<meta property="article:published_time" content="الخميس، 11 مارس 2021 - 12:40 م">',
        top="القاهرة: الخميس، 11 مارس 2021 12:55 م",
    )
    when = published(html)
    assert stored(when) == "2021-03-11T12:40:00" and form(when) == "local"


def test_a_visible_publication_line_with_two_month_names_and_evening():
    # almadenahnews.com's layout: no date in the metadata; a clock above the headline is not the date
    html = page(
        top="الأحد 17 أيار / مايو 2020",
        dateline_html="تم نشره الخميس 7 أيار / مايو 2020 06:15 مساءً",
    )
    assert stored(published(html)) == "2020-05-07T18:15:00"


def test_a_publication_line_in_gmt_next_to_an_update_line():
    # arabic.rt.com's layout: dotted numeric dates; the header clock is the crawl time
    html = page(
        top="21:05 GMT, 02.07.2021",
        dateline_html="<span>تاريخ النشر: 14.05.2021 | 08:12 GMT</span><br><span>آخر تحديث: 14.05.2021 | 09:40 GMT</span>",
    )
    assert stored(published(html)) == "2021-05-14T08:12:00+00:00"


def test_an_update_stamp_is_not_the_publication_and_the_url_gives_the_day():
    # arabic.cnn.com's layout: the only visible date is a last-update stamp weeks later
    html = page(dateline_html="الخميس، 19 أيلول/سبتمبر 2013، آخر تحديث 11:30 (GMT+0400)")
    when = published(html, "http://arabic.ufuq.example/2013/middle_east/9/18/solar.plant/index.html")
    assert stored(when) == "2013-09-18" and form(when) == "date" and shown(when) == "2013-09-18"


def test_a_time_without_offset_stays_on_its_day_and_modified_is_not_read():
    # alyaum.com's layout: "2020-12-01 02:00:00" without offset; dateModified the evening before
    html = page(
        head='<meta itemprop="datePublished" content="2021-01-12 02:00:00">'
        '<meta itemprop="dateModified" content="2021-01-11 21:10:00">',
        dateline_html="<time>٠٢:٠٠</time> الثلاثاء ١٢ / ١ / ٢٠٢١",
    )
    when = published(html)
    assert stored(when) == "2021-01-12T02:00:00" and shown(when) == "2021-01-12 02:00"


def test_a_full_timestamp_beats_a_date_alone():
    # beirutobserver.com's layout: itemprop datePublished "2020-11-09", article:published_time with the time
    html = page(
        head='<meta property="article:published_time" content="2021-04-21T16:05:30+00:00">'
        '<meta itemprop="datePublished" content="2021-04-21">',
    )
    assert stored(published(html)) == "2021-04-21T16:05:30+00:00"


def test_arabic_indic_numeric_line_labelled_as_publication():
    html = page(dateline_html="تاريخ النشر: الثلاثاء ١ / ١٢ / ٢٠٢٠ - ٠٩:٣٠ ص")
    assert stored(published(html)) == "2020-12-01T09:30:00"


def test_a_date_line_under_the_headline_without_a_label():
    html = page(top="الثلاثاء، 15 سبتمبر 2020 11:05 ص", dateline_html="الثلاثاء، 15 سبتمبر 2020 10:40 ص")
    assert stored(published(html)) == "2020-09-15T10:40:00"


def test_a_page_that_gives_no_date_has_none():
    assert published(page(top="الثلاثاء، 15 سبتمبر 2020 11:05 ص")) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2020-12-25T01:59:50+02:00", "2020-12-25T01:59:50+02:00"),
        ("2020-06-03T03:01+0400", "2020-06-03T03:01:00+04:00"),
        ("2020-08-24T09:23:13Z", "2020-08-24T09:23:13+00:00"),
        ("2020-08-24T09:23:13.250Z", "2020-08-24T09:23:13+00:00"),
        ("2020-12-01 02:00:00", "2020-12-01T02:00:00"),
        ("2020-11-09", "2020-11-09"),
        ("Fri, 14 May 2021 08:12:00 +0000", "2021-05-14T08:12:00+00:00"),
        ("1615886100", "2021-03-16T09:15:00+00:00"),
        ("الخميس، 11 مارس 2021 - 12:40 م", "2021-03-11T12:40:00"),
        ("11 مارس 2021 - 12:40 ص", "2021-03-11T00:40:00"),
        ("7 أيار / مايو 2020 06:15 مساءً", "2020-05-07T18:15:00"),
        ("19 أيلول/سبتمبر 2013 11:30 (GMT+0400)", "2013-09-19T11:30:00+04:00"),
        ("GMT 09:15 16.03.2021", "2021-03-16T09:15:00+00:00"),
        ("April 21, 2021", "2021-04-21"),
        ("not a date", None),
        ("2020-13-45", None),
    ],
)
def test_stamps(text, expected):
    assert stored(parse_stamp(text)) == expected


def test_a_dateline_needs_its_year():
    assert dateline("الخميس 25 كانون الثاني") is None


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://www.daily.example/story/2020/9/15/وزير/4943", "2020-09-15"),
        ("http://arabic.ufuq.example/2013/middle_east/9/18/solar.plant/index.html", "2013-09-18"),
        ("https://www.gulf.example/across-the-uae/news-and-reports/2021-02-08-1.3874", "2021-02-08"),
        ("https://arabic.europe.example/2020/05/23/space", "2020-05-23"),
        ("https://www.observer.example/2020/11/2338761/", None),  # a month is not a day
        ("https://news.example/2020/13/45/", None),
    ],
)
def test_url_dates(url, expected):
    assert stored(url_date(url)) == expected


def test_shown_forms():
    cairo = timezone(timedelta(hours=2))
    assert shown(datetime(2020, 12, 25, 1, 59, tzinfo=cairo)) == "2020-12-25 01:59 UTC+02:00"
    assert shown(datetime(2020, 12, 25, 1, 59, tzinfo=timezone(timedelta(hours=-3, minutes=-30)))) == (
        "2020-12-25 01:59 UTC-03:30"
    )
    assert shown(datetime(2020, 12, 24, 23, 59, tzinfo=UTC)) == "2020-12-24 23:59 UTC"
