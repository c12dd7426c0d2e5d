"""trafilatura's raw-page prunes run only where they can delete something, with the same result."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import trafilatura
from lxml.etree import XPath
from trafilatura import xpaths

from monitor import xpathguard
from monitor.extract import extract_page
from tests.conftest import ROOT

PARAGRAPH = (
    "<p>" + "قالت الحكومة العراقية إن انسحاب قوات التحالف الدولي يجري وفق الجدول المتفق عليه. " * 4 + "</p>"
)
ARTICLE = f"<article><h1>انسحاب التحالف</h1>{PARAGRAPH * 4}</article>"
# each block is what one of the guarded queries deletes
BLOCKS = {
    "comments by id": "<div id='comments'><p>تعليق القارئ الأول على الخبر.</p></div>",
    "comments by class": "<section class='post-comments'><p>تعليق القارئ الثاني على الخبر.</p></section>",
    "comment list": "<ul id='comment-list'><li>تعليق في قائمة</li><li>تعليق آخر في القائمة</li></ul>",
    "disqus": "<div id='disqus_thread'><p>نقاش القراء حول الخبر.</p></div>",
    "infinite scroll": "<div class='infinite-scroll'><div><h2>خبر تال</h2><p>نص الخبر التالي المُلحق بالصفحة.</p></div></div>",
    "appended post": "<div id='mvp-post-add-box'><h1>خبر ملحق</h1><p>نص الخبر الملحق بالصفحة.</p></div>",
    "share buttons": "<div class='elementor-share-buttons'><p>شارك على فيسبوك</p></div>",
}
CHROME = "<nav class='menu'><ul><li><a href='/'>الرئيسية</a></li></ul></nav><div class='commentary'><p>تحليل</p></div>"


def page(*blocks: str) -> bytes:
    return f"<html><head><title>خبر</title></head><body>{CHROME}{ARTICLE}{''.join(blocks)}</body></html>".encode()


PAGES = {
    "plain": page(),
    **{name: page(block) for name, block in BLOCKS.items()},
    "all": page(*BLOCKS.values()),
}
FILES = sorted((ROOT / "tests" / "fixtures" / "pages").glob("*.html")) + sorted(
    (ROOT / "seeds" / "site").rglob("*.html")
)


@contextmanager
def unguarded() -> Iterator[None]:
    """trafilatura's own queries for the duration (the guards put back after)."""
    xpathguard.install()
    saved = {name: list(getattr(xpaths, name)) for name in xpathguard.GUARDED_LISTS}
    try:
        for name, queries in saved.items():
            getattr(xpaths, name)[:] = [q.query if isinstance(q, xpathguard.Guarded) else q for q in queries]
        yield
    finally:
        for name, queries in saved.items():
            getattr(xpaths, name)[:] = queries


def test_the_raw_page_prunes_of_this_trafilatura_are_guarded():
    # if this fails after a trafilatura upgrade, the queries changed shape: extraction still works,
    # but every page pays for them again (a third of its extraction time)
    assert xpathguard.install() >= 4
    for name in xpathguard.GUARDED_LISTS:
        assert all(isinstance(q, xpathguard.Guarded) for q in getattr(xpaths, name)), name


@pytest.mark.parametrize("name", sorted(PAGES))
def test_a_guarded_query_selects_what_the_query_selects(name: str):
    xpathguard.install()
    tree = trafilatura.load_html(PAGES[name])
    selected = 0
    for list_name in xpathguard.GUARDED_LISTS:
        for query in getattr(xpaths, list_name):
            assert query(tree) == query.query(tree)
            selected += len(query.query(tree))
    assert (selected > 0) == (name != "plain")


@pytest.mark.parametrize("name", sorted(PAGES))
def test_extraction_is_the_same_with_and_without_the_guards_on_written_pages(name: str):
    guarded = extract_page(PAGES[name], "http://x.example/a", metadata=False)
    with unguarded():
        plain = extract_page(PAGES[name], "http://x.example/a", metadata=False)
    assert guarded == plain
    assert guarded is not None and "انسحاب قوات التحالف" in guarded.body
    for deleted in ("تعليق", "شارك", "التالي", "الملحق", "نقاش"):  # each block is gone from the body
        assert deleted not in guarded.body, deleted


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
@pytest.mark.parametrize("metadata", [False, True])
def test_extraction_is_the_same_with_and_without_the_guards_on_test_pages(path, metadata: bool):
    guarded = extract_page(path.read_bytes(), "http://x.example/a", metadata=metadata)
    with unguarded():
        plain = extract_page(path.read_bytes(), "http://x.example/a", metadata=metadata)
    assert guarded == plain and guarded is not None


@pytest.mark.parametrize(
    "path",
    [
        ".//*[self::div][re:test(@id, 'a') or re:test(@class, 'b')] | .//p",  # a union
        ".//*[self::div][re:test(@class, 'fulltext', 'i')]",  # flags
        ".//*[self::div][re:test(@class, 'x|')]",  # passes an element without a class
        ".//*[self::div][contains(@class, '')]",
        ".//*[self::div][re:test(@class, 'a') or @role='main']",  # another attribute
        ".//*[self::div][re:test(@title, 'a')]",
        "(.//*[self::div][re:test(@class, 'a')])[1]",
        './/*[self::div][contains(@class, "a")]',
        ".//*[self::div][re:test(@class, '(')]",
        ".//*[self::div][re:test(@class, '(a)\\1')]",  # a back-reference
        ".//*[self::div][re:test(@class, '(?i)a')]",  # a flag of its own
    ],
)
def test_queries_of_another_shape_are_left_alone(path: str):
    query = XPath(path, namespaces={"re": xpaths.REGEXP_NS})
    assert xpathguard.guard(query) is query


def test_a_required_test_anywhere_among_the_predicates_guards():
    query = XPath(
        ".//*[self::div or self::ul][not(.//h1) or @x][re:test(@id, '^c') or contains(@class, 'share')][1]",
        namespaces={"re": xpaths.REGEXP_NS},
    )
    guarded = xpathguard.guard(query)
    assert isinstance(guarded, xpathguard.Guarded)
    for html, found in [
        ("<div id='cx'></div>", 1),
        ("<div class='a share-b'></div>", 1),
        ("<div id='xc' class='other'></div>", 0),
        ("<p id='c'></p>", 0),
    ]:
        tree = trafilatura.load_html(f"<html><body>{html}<p>نص</p></body></html>")
        assert len(guarded(tree)) == len(query(tree)) == found


def test_inside_one_page_each_tree_is_judged_by_its_own_names():
    xpathguard.install()
    plain, pruned = (trafilatura.load_html(PAGES[name]) for name in ("plain", "all"))
    queries = [q for name in xpathguard.GUARDED_LISTS for q in getattr(xpaths, name)]
    with xpathguard.one_page():
        for query in queries:  # one tree then the other, in turns: neither is judged by the other's names
            assert query(plain) == []
            assert query(pruned) == query.query(pruned)
        assert sum(len(query(pruned)) for query in queries) > 0


def test_inside_one_page_a_tree_is_read_again_once_a_query_ran_on_it(monkeypatch):
    xpathguard.install()
    tree = trafilatura.load_html(PAGES["comments by id"])
    reads: list[int] = []
    read = xpathguard._read
    monkeypatch.setattr(xpathguard, "_read", lambda t: reads.append(1) or read(t))
    with xpathguard.one_page():
        assert all(query(tree) == [] for query in xpaths.RAW_TREE_PRUNE_XPATH)  # no comments there
        assert len(reads) == 1  # the names read once for all of them
        found = [e for query in xpaths.REMOVE_COMMENTS_AND_LISTS_XPATH for e in query(tree)]
        assert [e.get("id") for e in found] == ["comments"]
        found[0].getparent().remove(found[0])
        reads.clear()
        assert all(query(tree) == [] for query in xpaths.REMOVE_COMMENTS_AND_LISTS_XPATH)
        assert len(reads) == 1  # read again after the query ran: the comments are gone
    reads.clear()
    for query in xpaths.RAW_TREE_PRUNE_XPATH:  # outside a page, each guard reads for itself
        query(tree)
    assert len(reads) == len(xpaths.RAW_TREE_PRUNE_XPATH)


def test_a_page_extraction_reads_the_names_of_each_tree_once(monkeypatch):
    extract_page(PAGES["plain"], "http://x.example/a", metadata=False)  # trafilatura probed once
    reads: list[int] = []
    passes: list[int] = []
    read, extraction = xpathguard._read, trafilatura.bare_extraction
    monkeypatch.setattr(xpathguard, "_read", lambda t: reads.append(1) or read(t))
    monkeypatch.setattr(
        trafilatura, "bare_extraction", lambda *a, **k: passes.append(1) or extraction(*a, **k)
    )
    page = f"<html><body><nav class='menu'><a href='/'>الرئيسية</a></nav>{ARTICLE * 3}</body></html>"
    assert extract_page(page.encode(), "http://x.example/a", metadata=False) is not None
    # in each pass, the raw page (three prunes) and trafilatura's cleaned copy (one): not once a query
    assert passes and len(reads) == 2 * len(passes)
