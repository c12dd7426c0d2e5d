"""Extraction guards: a page that is a list of links is refused before trafilatura sees it."""

import pytest
import trafilatura

from monitor.errors import ExtractError
from monitor.extract import MAX_LINKS, extract_page, warm_up
from tests.conftest import ROOT

SEED = sorted((ROOT / "seeds" / "site").rglob("*.html"))[0]


def links(n: int) -> str:
    return "<a href='/x'>رابط</a> " * n


def test_a_page_of_links_is_refused_before_trafilatura():
    page = f"<html><body><article><p>نص {links(200_000)}</p></article></body></html>".encode()
    with pytest.raises(
        ExtractError, match=r"^extract: page has 200,000 links \(more than 5,000\): not an article$"
    ):
        extract_page(page, "http://x.example/")


def test_links_are_counted_in_any_case_and_spacing():
    page = ("<html><body>" + "<A\nHREF='/x'>y</A><a>z</a>" * (MAX_LINKS // 2 + 1) + "</body></html>").encode()
    with pytest.raises(ExtractError, match="page has 5,002 links"):
        extract_page(page, "http://x.example/")


def test_an_article_with_many_links_below_the_cap_is_extracted():
    seed = SEED.read_text()
    own = seed.lower().count("<a ")
    page = seed.replace("</body>", f"<footer><p>{links(MAX_LINKS - own)}</p></footer></body>").encode()
    extracted = extract_page(page, "http://x.example/")
    alone = extract_page(SEED.read_bytes(), "http://x.example/")
    assert extracted is not None and alone is not None
    assert extracted.body.startswith(alone.body[:200])


def test_warm_up_extracts_its_page():
    warm_up()  # raises when trafilatura finds no text in it


PAGES = sorted((ROOT / "seeds" / "site").rglob("*.html")) + sorted(
    (ROOT / "tests" / "fixtures").rglob("*.html")
)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_the_body_without_metadata_is_the_body_with_it(page):
    """Items whose feed gave title and date skip the metadata search: same body, lead included."""
    html = page.read_bytes()
    full = extract_page(html, "https://x.example/a")
    light = extract_page(html, "https://x.example/a", metadata=False)
    assert (full is None) == (light is None)
    if full is not None and light is not None:
        assert light.body == full.body
        assert light.published is None  # the feed's date is used; the page's is not looked for


def test_a_trafilatura_that_prunes_the_tree_it_is_given_is_given_a_copy(monkeypatch):
    """The page's tree is read again after extraction (its headline, its lead): a trafilatura that
    left it pruned (2.3 works on a copy of its own) must be handed a copy."""
    from lxml.html import HtmlElement

    import monitor.extract

    real = trafilatura.bare_extraction

    def prunes_in_place(filecontent, **options):
        doc = real(filecontent, **options)
        if isinstance(filecontent, HtmlElement):
            for el in filecontent.iter():
                el.text = el.tail = None
        return doc

    html = (ROOT / "tests" / "fixtures" / "pages" / "lead_outside_articlebody.html").read_bytes()
    expected = extract_page(html, "https://x.example/", metadata=False)
    monkeypatch.setattr(trafilatura, "bare_extraction", prunes_in_place)
    monkeypatch.setattr(monitor.extract, "_COPIES", [])
    assert extract_page(html, "https://x.example/", metadata=False) == expected
    assert monitor.extract._COPIES == [False]


LEAD = "أعلنت وزارة الصحة اليوم تسجيل ثلاثين إصابة جديدة بالفيروس ليرتفع العدد الإجمالي إلى مئتي إصابة."


@pytest.mark.parametrize("metadata", [True, False])
def test_a_feed_summary_the_body_lacks_leads_it_and_one_it_has_does_not(metadata):
    html = SEED.read_bytes()
    plain = extract_page(html, "https://x.example/a", metadata)
    assert plain is not None
    led = extract_page(html, "https://x.example/a", metadata, summary=LEAD)
    assert led is not None and led.body == f"{LEAD}\n{plain.body}"
    said = plain.body.split("\n")[0]  # the body's own first paragraph as the summary: nothing added
    kept = extract_page(html, "https://x.example/a", metadata, summary=said)
    assert kept is not None and kept.body == plain.body
