"""A page parsed from its bytes is the tree trafilatura's own loading gives, and a page that needs
trafilatura's decoding or repairs still gets them."""

from __future__ import annotations

import gzip

import pytest
import trafilatura
from lxml import etree
from lxml.html import HtmlElementClassLookup
from trafilatura.utils import HTML_PARSER

from monitor import pageload
from monitor.extract import extract_page
from tests.conftest import ROOT

FILES = sorted((ROOT / "tests" / "fixtures" / "pages").glob("*.html")) + sorted(
    (ROOT / "seeds" / "site").rglob("*.html")
)
TEXT = "قالت وزارة الدفاع العراقية إن انسحاب قوات التحالف الدولي من قاعدة عين الأسد اكتمل."
BODY = f"<body><article><h1>انسحاب التحالف</h1><p>{TEXT}</p><p>{TEXT}</p></article></body>"
HEAD = "<head><meta charset='utf-8'><title>خبر</title></head>"
XHTML = (
    '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" '
    '"http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">'
)


def html(head: str = HEAD, body: str = BODY, before: str = "<!DOCTYPE html>\n") -> str:
    return f"{before}<html>{head}{body}</html>\n"


# (page, parsed from its bytes): each page that is not is one trafilatura decodes or repairs
PAGES: dict[str, tuple[bytes, bool]] = {
    "html5": (html().encode(), True),
    "no doctype": (html(before="").encode(), True),
    "whitespace before": (html(before="\n \r\n\t").encode(), True),
    "a character near the noncharacters": (html(body=BODY.replace("اكتمل", "اكتمل ￠")).encode(), True),
    "windows-1256": (
        html(head="<head><meta charset='windows-1256'><title>خبر</title></head>").encode("cp1256"),
        False,
    ),
    "gzip": (gzip.compress(html().encode()), False),
    "byte-order mark": (b"\xef\xbb\xbf" + html().encode(), False),
    "text before the first tag": (("نص " + html()).encode(), False),
    "a control character": (html(body=BODY.replace("اكتمل", "اكتمل\x0b\x01")).encode(), False),
    "a noncharacter": (html(body=BODY.replace("اكتمل", "اكتمل\uffff")).encode(), False),
    "an XHTML doctype": (html(before=XHTML + "\n").encode(), False),
    "one line with a doctype": (html().replace("\n", "").encode(), False),
    "a self-closing html tag": (html(before="<!DOCTYPE html>\n<html lang='ar'/>\n").encode(), False),
    "a fragment": (b"<p>" + TEXT.encode() + b"</p>", False),
}


def same(a: etree._Element | None, b: etree._Element | None) -> bool:
    if a is None or b is None:
        return a is b
    return etree.tostring(a.getroottree(), encoding="unicode") == etree.tostring(
        b.getroottree(), encoding="unicode"
    )


@pytest.mark.parametrize("name", sorted(PAGES))
def test_a_page_is_loaded_as_trafilatura_loads_it(name: str):
    page, from_bytes = PAGES[name]
    assert (pageload._plain(page) is not None) == from_bytes
    assert same(pageload.load_page(page), trafilatura.load_html(page))


@pytest.mark.parametrize("name", ["windows-1256", "gzip", "a control character", "an XHTML doctype"])
def test_a_page_trafilatura_decodes_or_repairs_is_read_whole(name: str):
    extracted = extract_page(PAGES[name][0], "http://x.example/a", metadata=False)
    assert extracted is not None and "انسحاب قوات التحالف الدولي" in extracted.body
    assert "\x0b" not in extracted.body and "\x01" not in extracted.body


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_test_and_seed_pages_are_parsed_from_their_bytes_into_the_same_tree(path):
    page = path.read_bytes()
    assert pageload._plain(page) is not None
    assert same(pageload.load_page(page), trafilatura.load_html(page))


FORM = b"<html><body><form><input name='q'></form></body></html>"


def form_class() -> str:
    return type(trafilatura.load_html(FORM).find(".//form")).__name__


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
@pytest.mark.parametrize("metadata", [False, True])
def test_extraction_is_the_same_with_plain_elements(path, metadata: bool, monkeypatch):
    page = path.read_bytes()
    plain = extract_page(page, "http://x.example/a", metadata=metadata)
    assert form_class() == "HtmlElement"  # extraction made them plain
    restore = pageload.plain_elements
    monkeypatch.setattr(pageload, "plain_elements", lambda: None)
    HTML_PARSER.set_element_class_lookup(HtmlElementClassLookup())  # lxml.html's own classes
    try:
        assert form_class() == "FormElement"
        assert extract_page(page, "http://x.example/a", metadata=metadata) == plain
    finally:
        restore()  # the real one: the name is still patched here
