"""Feed parsing: bytes only, charsets from headers, no entity expansion, HTML pages are errors, stable keys."""

import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monitor.errors import ParseError
from monitor.parse import parse_feed, strip_declarations
from monitor.urls import canonical_url

ROOT = Path(__file__).resolve().parent.parent
RSS = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>t</title>
<item><title>انسحاب &amp; انتقال</title><link>https://news.example/a/1?utm_source=rss&amp;id=7#top</link>
<guid isPermaLink="false">{guid}</guid><pubDate>Sat, 27 Jan 2024 15:20:00 +0300</pubDate>
<description>&lt;p&gt;ملخص &lt;b&gt;الخبر&lt;/b&gt;&lt;/p&gt;</description></item>
</channel></rss>"""

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title><id>urn:x</id><updated>2024-09-24T06:00:00Z</updated>
<entry><title>نموذج جديد</title><link href="https://news.example/b"/><id>urn:uuid:1234</id>
<updated>2024-09-24T06:00:00Z</updated><summary>ملخص</summary></entry></feed>"""


def test_rss_item_fields():
    (item,) = parse_feed(RSS.format(guid="7").encode(), url="https://news.example/feed")
    assert item.title == "انسحاب & انتقال"
    assert item.summary == "ملخص الخبر"
    assert item.url == "https://news.example/a/1?id=7"  # tracking parameters and fragment removed
    assert item.published == datetime(2024, 1, 27, 12, 20, tzinfo=UTC)


def test_seed_feed_parses_with_outlets():
    items = parse_feed((ROOT / "seeds" / "site" / "feed.xml").read_bytes(), url="http://127.0.0.1/feed.xml")
    assert len(items) == 5
    assert {i.source for i in items} == {"كتابات", "عنب بلدي", "المسلة", "كوردستان24", "عربي21"}
    assert all(
        i.published and i.published.utcoffset() == timedelta(hours=3) for i in items
    )  # as the feed wrote them


def test_atom():
    (item,) = parse_feed(ATOM.encode(), url="https://news.example/atom")
    assert item.key == "urn:uuid:1234"
    assert item.url == "https://news.example/b"
    assert item.published == datetime(2024, 9, 24, 6, tzinfo=UTC)


def test_keys_are_stable_and_site_qualified():
    a = parse_feed(RSS.format(guid="7").encode(), url="https://news.example/feed")[0]
    b = parse_feed(RSS.format(guid="7").encode(), url="https://other.example/feed")[0]
    assert a.key == "news.example:7"  # a bare GUID is unique only within its site
    assert b.key == "other.example:7"
    url_guid = parse_feed(
        RSS.format(guid="https://News.Example/a/1?utm_medium=x").encode(), url="https://news.example/f"
    )[0]
    assert url_guid.key == "https://news.example/a/1"


def test_key_falls_back_to_the_canonical_link():
    feed = RSS.format(guid="").replace('<guid isPermaLink="false"></guid>', "")
    (item,) = parse_feed(feed.encode(), url="https://news.example/feed")
    assert item.key == "https://news.example/a/1?id=7"


def test_windows_1256_charset_from_the_http_header():
    body = RSS.format(guid="1").replace('encoding="UTF-8"', "").encode("cp1256")
    (item,) = parse_feed(
        body, url="https://old.example/f", headers={"Content-Type": "text/xml; charset=windows-1256"}
    )
    assert item.title == "انسحاب & انتقال"


def test_html_page_is_an_error_not_an_empty_feed():
    page = (
        "<!DOCTYPE html><html><head><title>الرئيسية</title></head><body><p>مرحبا</p></body></html>".encode()
    )
    with pytest.raises(ParseError, match="not a feed: the server sent an HTML page"):
        parse_feed(page, url="https://news.example/", headers={"content-type": "text/html"})


def test_malformed_xml_is_a_clear_error():
    with pytest.raises(ParseError, match=r"https://x.example/f: malformed feed"):
        parse_feed(b"<rss><channel><item><title>x</titl", url="https://x.example/f")


def test_empty_but_valid_feed_is_fine():
    assert (
        parse_feed(b'<rss version="2.0"><channel><title>t</title></channel></rss>', url="https://x.example/f")
        == []
    )


def test_feed_bytes_are_never_read_as_a_path_or_url(tmp_path):
    secret = tmp_path / "secret.xml"
    secret.write_text(RSS.format(guid="leak"), encoding="utf-8")
    with pytest.raises(ParseError):
        parse_feed(str(secret).encode(), url="https://x.example/f")
    with pytest.raises(ParseError):
        parse_feed(b"http://127.0.0.1:9/feed.xml", url="https://x.example/f")


def test_entity_declarations_are_removed_before_parsing():
    lol = (
        '<!ENTITY a "'
        + "x" * 1000
        + '">'
        + "".join(f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(8))
    )
    feed = f"""<?xml version="1.0"?><!DOCTYPE rss [{lol}]>
<rss version="2.0"><channel><title>t</title><item><title>&i;</title><link>https://x.example/1</link></item></channel></rss>"""
    assert b"ENTITY" not in strip_declarations(feed.encode())
    tracemalloc.start()
    items = parse_feed(feed.encode(), url="https://x.example/f")
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert len(items) == 1
    assert "xxxxxxxxxx" not in items[0].title  # nothing was expanded
    assert peak < 50_000_000  # generous: a real expansion would need gigabytes


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("HTTPS://News.Example:443/a?utm_source=x&b=2&a=1#frag", "https://news.example/a?a=1&b=2"),
        ("http://news.example:80/a?fbclid=1&gclid=2", "http://news.example/a"),
        ("http://news.example:8080", "http://news.example:8080/"),
        ("https://news.example/ar/مقال?id=5&ref=rss", "https://news.example/ar/مقال?id=5"),
        ("http://[::1]:8080/x", "http://[::1]:8080/x"),  # an IPv6 literal keeps its brackets
        ("HTTPS://[2001:DB8::1]/a", "https://[2001:db8::1]/a"),
    ],
)
def test_canonical_url(url, expected):
    assert canonical_url(url) == expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "https://www.aljazeera.net/news/2024/9/21/x?traffic_source=KeepReading",
            "https://www.aljazeera.net/news/2024/9/21/x",
        ),
        (
            "https://www.alarabiya.net/arab/2024/09/21/x?utm_source=twitter&utm_medium=social&utm_campaign=a&utm_term=b",
            "https://www.alarabiya.net/arab/2024/09/21/x",
        ),
        (
            "https://www.bbc.com/arabic/articles/c1?at_medium=RSS&at_campaign=KARANGA",
            "https://www.bbc.com/arabic/articles/c1",
        ),
        ("https://www.msn.com/ar-ae/news/x?ocid=msedgntp&cvid=4f2a", "https://www.msn.com/ar-ae/news/x"),
        ("https://www.france24.com/ar/x?xtor=RSS-1", "https://www.france24.com/ar/x"),
        (
            "https://www.skynewsarabia.com/world/1-x?fbclid=IwAR0abc",
            "https://www.skynewsarabia.com/world/1-x",
        ),
        ("https://aawsat.com/x?mc_cid=1a&mc_eid=2b&mc_tc=3", "https://aawsat.com/x"),
        (
            "https://www.youm7.com/story/2024/9/21/x/6?ref=homepage",
            "https://www.youm7.com/story/2024/9/21/x/6",
        ),
        ("https://news.example/a?ns_mchannel=rss&ns_campaign=1490&ito=1490", "https://news.example/a"),
        ("https://news.example/a?fb_action_ids=1&fb_source=other&igshid=x", "https://news.example/a"),
        ("https://news.example/a?WT.mc_id=x&CMP=share&_ga=2.1", "https://news.example/a"),
        ("https://news.example/a?rssfeed=true", "https://news.example/a"),
        # what names the article stays
        ("https://arabic.rt.com/x/?utm_term=a&page=2", "https://arabic.rt.com/x/?page=2"),
        (
            "https://www.almasryalyoum.com/news/details?id=3125&utm_source=rss",
            "https://www.almasryalyoum.com/news/details?id=3125",
        ),
        (
            "https://news.example/search?q=العراق&referrer=x",
            "https://news.example/search?q=%D8%A7%D9%84%D8%B9%D8%B1%D8%A7%D9%82&referrer=x",
        ),
    ],
)
def test_tracking_parameters_of_arabic_outlets_are_dropped(url, expected):
    assert canonical_url(url) == expected


NO_LINK = """<rss version="2.0"><channel><title>نشرة المحافظة</title>
<item><title>انقطاع المياه غدا</title><description>تعلن المصلحة انقطاع المياه عن الأحياء الشرقية يوم الخميس.</description></item>
<item><description>بيان بلا عنوان: تأجيل الامتحانات أسبوعا.</description></item>
<item></item>
<item><title>خبر له رابط</title><link>https://x.example/1</link></item>
</channel></rss>"""


def test_an_item_without_link_or_guid_is_keyed_by_its_title_and_content():
    skipped: list[str] = []
    items = parse_feed(NO_LINK.encode(), url="https://x.example/f", skipped=skipped)
    assert [i.title for i in items] == ["انقطاع المياه غدا", "", "خبر له رابط"]
    first, second, linked = items
    assert first.key.startswith("x.example:sha256:") and len(first.key) == len("x.example:sha256:") + 64
    assert first.url == "" and first.summary.startswith("تعلن المصلحة انقطاع المياه")
    assert second.key.startswith("x.example:sha256:") and second.key != first.key
    assert linked.key == "https://x.example/1"
    assert skipped == [
        "item 3: no link, GUID, title or content"
    ]  # an empty item is reported, not dropped silently
    again = parse_feed(NO_LINK.encode(), url="https://x.example/f")
    assert [i.key for i in again] == [i.key for i in items]  # the same words are the same item next time
    elsewhere = parse_feed(NO_LINK.encode(), url="https://y.example/f")
    assert elsewhere[0].key != first.key  # another site's identical item is another item


def test_a_feed_date_keeps_the_offset_the_feed_wrote():
    (item,) = parse_feed(RSS.format(guid="7").encode(), url="https://news.example/feed")
    assert item.published == datetime(2024, 1, 27, 12, 20, tzinfo=UTC)  # the same instant
    assert item.published.utcoffset() == timedelta(hours=3) and item.published.hour == 15
    atom = ATOM.replace(
        "<updated>2024-09-24T06:00:00Z</updated><summary>",
        "<updated>2024-09-24T01:00:00-05:00</updated><summary>",
    )
    (entry,) = parse_feed(atom.encode(), url="https://news.example/atom")
    assert entry.published == datetime(
        2024, 9, 24, 6, tzinfo=UTC
    ) and entry.published.utcoffset() == timedelta(hours=-5)


def test_the_outlet_s_name_leaves_item_titles():
    feed = """<rss version="2.0"><channel><title>اليوم السابع</title>
<item><title>وزير الري يتفقد الترع - اليوم السابع</title><link>https://www.youm7.com/1</link></item>
<item><title>هدنة جديدة في غزة - الجزيرة نت</title><link>https://news.google.com/2</link><source url="https://www.aljazeera.net">الجزيرة نت</source></item>
<item><title>غزة - رفح: قصف جديد</title><link>https://www.youm7.com/3</link></item>
</channel></rss>"""
    items = parse_feed(feed.encode(), url="https://www.youm7.com/rss")
    assert [i.title for i in items] == ["وزير الري يتفقد الترع", "هدنة جديدة في غزة", "غزة - رفح: قصف جديد"]


def test_each_item_carries_the_oldest_date_of_its_feed():
    feed = """<rss version="2.0"><channel><title>t</title>
<item><title>أ</title><link>https://x.example/1</link><pubDate>Sat, 21 Sep 2024 17:13:00 +0300</pubDate></item>
<item><title>ب</title><link>https://x.example/2</link></item>
<item><title>ج</title><link>https://x.example/3</link><pubDate>Thu, 19 Sep 2024 08:00:00 +0000</pubDate></item>
</channel></rss>"""
    items = parse_feed(feed.encode(), url="https://x.example/f")
    assert {i.feed_oldest for i in items} == {datetime(2024, 9, 19, 8, tzinfo=UTC)}


def test_one_bad_item_is_skipped_and_the_feed_keeps_the_others():
    items = "".join(
        f"<item><title>خبر {n}</title><link>{link}</link></item>"
        for n, link in enumerate(
            ["https://x.example/1", "https://x.example:99999/2", "http://[::1]:8080/3", "https://x.example/4"]
        )
    )
    skipped: list[str] = []
    feed = f'<rss version="2.0"><channel><title>t</title>{items}</channel></rss>'.encode()
    found = parse_feed(feed, url="https://x.example/f", skipped=skipped)
    assert [i.url for i in found] == ["https://x.example/1", "http://[::1]:8080/3", "https://x.example/4"]
    assert len(skipped) == 1 and skipped[0].startswith("item 2: ") and "port" in skipped[0].lower()


def test_oversized_titles_and_summaries_are_cut_at_parse():
    title = "عنوان " * 200_000  # 1.2 MB
    feed = (
        f'<rss version="2.0"><channel><title>t</title><item><title>{title}</title>'
        f"<link>https://x.example/1</link><description>{title}</description></item></channel></rss>"
    ).encode()
    (item,) = parse_feed(feed, url="https://x.example/f")
    assert len(item.title) <= 1_000 and item.title.startswith("عنوان عنوان") and item.title.endswith("…")
    assert len(item.summary) <= 20_000


@pytest.mark.parametrize(
    ("html", "text"),
    [
        # embedded tweets and players bring scripts and styles: their code is not the article's text
        (
            "<blockquote><p>تغريدة الوزير</p>&mdash; حساب</blockquote>"
            "<script async src='https://platform.x/widgets.js'></script><STYLE>p{color:red}</STYLE> انتهى",
            "تغريدة الوزير — حساب انتهى",
        ),
        ("قبل <script>var a = '<b>لا</b>';</script> بعد", "قبل بعد"),
        ("نص <!-- تعليق <b>مخفي</b> --> ظاهر", "نص ظاهر"),
        ("نص <script>لم يغلق أبدا", "نص"),  # an unclosed script hides the rest, as a browser would
        ("<![CDATA[<p>داخل القسم</p>]]>", "داخل القسم"),  # a CDATA section written into the HTML
        (
            "<iframe src='x'>بديل</iframe><noscript>لا سكربت</noscript><p>&#1575;&nbsp;ب</p>",
            "بديل لا سكربت ا ب",
        ),
    ],
)
def test_a_summary_keeps_only_the_text_a_reader_sees(html, text):
    escaped = html.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    feed = (
        '<rss version="2.0"><channel><title>t</title><item><title>عنوان</title>'
        f"<link>https://x.example/1</link><description>{escaped}</description></item></channel></rss>"
    ).encode()
    (item,) = parse_feed(feed, url="https://x.example/f")
    assert item.summary == text


# relative links resolved against the feed's address, a feed-wide xml:base, an entry's own xml:base
BASES = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://news.example/ar/"><title>t</title>
<id>urn:x</id><updated>2024-09-24T06:00:00Z</updated>
<entry><title>أول</title><link href="politics/1"/><id>urn:1</id><updated>2024-09-24T06:00:00Z</updated></entry>
<entry xml:base="https://other.example/news/"><title>ثان</title><link href="../2?x=1"/><id>urn:2</id>
<updated>2024-09-24T07:00:00Z</updated></entry>
<entry><title>ثالث</title><link href="/3"/><id>urn:3</id><updated>2024-09-24T08:00:00Z</updated></entry>
</feed>"""
RELATIVE = """<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>t</title>
<item><title>رابع</title><link>/news/4.html</link></item>
<item><title>خامس</title><link>5.html</link></item></channel></rss>"""


def test_relative_links_and_bases_resolve():
    items = parse_feed(BASES.encode(), url="https://feeds.example/atom.xml")
    assert [i.url for i in items] == [
        "https://news.example/ar/politics/1",
        "https://other.example/2?x=1",
        "https://news.example/3",
    ]
    items = parse_feed(RELATIVE.encode(), url="https://feeds.example/rss/all.xml")
    assert [i.url for i in items] == ["https://feeds.example/news/4.html", "https://feeds.example/rss/5.html"]


@pytest.mark.parametrize("name", ["bases", "relative", "rss", "atom", "seed feed"])
def test_feedparser_s_kept_joins_give_the_same_items(name: str, monkeypatch):
    from feedparser import mixin, urls

    from monitor import parse

    content = {
        "bases": BASES.encode(),
        "relative": RELATIVE.encode(),
        "rss": RSS.format(guid="7").encode(),
        "atom": ATOM.encode(),
        "seed feed": (ROOT / "seeds" / "site" / "feed.xml").read_bytes(),
    }[name]
    url = "https://feeds.example/rss/all.xml"
    kept = parse_feed(content, url=url)
    assert hasattr(urls._urljoin, "cache_info")  # memoised by the first parse
    original = urls._urljoin.__wrapped__
    monkeypatch.setattr(urls, "_urljoin", original)
    monkeypatch.setattr(mixin, "_urljoin", original)
    monkeypatch.setattr(parse, "_JOINS", [True])
    assert parse_feed(content, url=url) == kept
