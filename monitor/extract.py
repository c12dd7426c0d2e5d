"""Article page HTML → title, body and date, with trafilatura (pure; runs in worker processes).

Comments are excluded, trafilatura's process-wide ``deduplicate`` cache is off (it would blank a
second article that shares paragraphs with an earlier one). Returns None when no main text is found;
the pipeline then falls back to the feed's summary.

``summary``: the feed item's summary, put first when it states what the body lacks (the lead
the page lost, as the page's own description is used below; done here, in the worker, not in the
daemon's busier process).

``metadata=False`` is for a page whose feed item already gave its title and date (most items): the
main text only, without trafilatura's metadata search (nearly half of a page's extraction time);
the page's description, which the lead recovery reads, is taken from its ``<meta>`` tags directly.
The body is the same either way (tests/test_extract.py compares them on every fixture page).

A page with more than ``MAX_LINKS`` links is refused before trafilatura sees it (``ExtractError``):
it is a list of links, not an article, and trafilatura's time grows with the square of the links in
one block (10,000 took 15 s; 200,000 passed 650 MB in 3 CPU-minutes, unfinished). A news article
page has a few hundred; below the cap a page is extracted exactly as before.
"""

from __future__ import annotations

import copy
import functools
import re
from typing import Any

from lxml.html import HtmlElement

from monitor.bodytext import (
    begins_with,
    loose_text_to_paragraphs,
    page_lead,
    with_lead,
    without_repeated_title,
    without_trailing_chrome,
    words,
)
from monitor.errors import ExtractError
from monitor.model import Extracted
from monitor.pagedate import page_published
from monitor.titles import clean_title, host_names, page_headline

MAX_LINKS = 5_000
# htmldate's own search (through trafilatura): markup and metadata, no guess from free text; the
# time and offset are asked for, and monitor.pagedate reads what it misses
DATE_SEARCH: dict[str, Any] = {
    "extensive_search": False,
    "original_date": True,
    "outputformat": "%Y-%m-%dT%H:%M:%S%z",
}
_DESCRIPTIONS = (("property", "og:description"), ("name", "description"), ("name", "twitter:description"))
FULL_CASCADE_BELOW = 1000  # characters: a shorter body from the fast pass is extracted again in full
_TITLES = (("property", "og:title"), ("name", "twitter:title"))
_LINK = re.compile(rb"<a[\s>]", re.IGNORECASE)  # an opening <a> tag, in any ASCII-compatible encoding
_WARM_UP_PAGE = (
    "<html><head><title>تسخين</title></head><body><article><h1>تسخين</h1><p>"
    + "نص قصير يستخرج مرة واحدة عند بدء العامل. " * 8
    + "</p></article></body></html>"
).encode()

# what trafilatura deletes or renames when it extracts: script, navigation, aside, comments, a form
_PROBE_PAGE = _WARM_UP_PAGE.replace(
    b"<body>",
    b"<body><script>var x = 1;</script><nav><ul><li><a href='/'>x</a></li></ul></nav><aside>y</aside>"
    b"<div id='comments'><p>z</p></div><form><input name='q'></form>",
)


def warm_up() -> None:
    """Import trafilatura and run it once, so that a worker's first page pays for neither."""
    if extract_page(_WARM_UP_PAGE, "http://warm-up.invalid/") is None:
        raise ExtractError("trafilatura found no text in the warm-up page")


def extract_page(page: bytes, url: str, metadata: bool = True, summary: str = "") -> Extracted | None:
    # imported here, not at the top: the daemon imports this module to name the job, and only its
    # workers run it (trafilatura costs a second and 30 MB to import)
    import trafilatura

    from monitor import xpathguard
    from monitor.pageload import load_page, plain_elements

    xpathguard.install()
    plain_elements()
    links = len(_LINK.findall(page))
    if links > MAX_LINKS:
        raise ExtractError(f"page has {links:,} links (more than {MAX_LINKS:,}): not an article")

    tree = load_page(page)  # trafilatura.load_html's tree, sooner
    # text a block element (a "read also" box) cut out of its paragraph is that element's tail,
    # which trafilatura drops with the box: made a paragraph of its own, it stays
    loose = tree is not None and loose_text_to_paragraphs(tree)
    # trafilatura is given the tree parsed above (parsing the page again costs five times a copy),
    # copied unless trafilatura copies it itself (it prunes what it works on). Not when it searches
    # the metadata of an unchanged page: its date search then reads the page's own text, which it
    # would otherwise serialise
    reparse = tree is None or (metadata and not loose)
    copied = reparse or _extracts_from_a_copy()

    def extraction(fast: bool) -> Any:
        given = page if reparse else tree if copied else copy.deepcopy(tree)
        with xpathguard.one_page():  # the guards read the page's names once, not once each
            return trafilatura.bare_extraction(given, options=_options(fast, metadata, url))

    # trafilatura's own extractor alone first; its comparison with readability and jusText (more
    # than half the time on a news page) only when that found little or nothing: the same bodies on
    # real pages, where the fast pass failed only by finding nothing (docs/decisions.md)
    doc = extraction(fast=True)
    if doc is None or len((getattr(doc, "text", None) or "").strip()) < FULL_CASCADE_BELOW:
        doc = extraction(fast=False)
    if doc is None:
        return None
    body = (getattr(doc, "text", None) or "").strip()
    if not body:
        return None
    title = (getattr(doc, "title", None) or "").strip()
    if tree is None:
        return Extracted(title=title, body=with_lead(body, summary), published=None)
    named = title if metadata else _first(tree, _TITLES)  # the body is cleaned as with metadata
    headline = page_headline(tree, named)
    if metadata:
        title = named = clean_title(title, [getattr(doc, "sitename", None) or "", *host_names(url)], headline)
    glued = begins_with(body, named) and not _begins_an_element(tree, named)
    body = without_repeated_title(without_repeated_title(body, named, glued), headline, glued)
    body = without_trailing_chrome(body)
    description = getattr(doc, "description", None) if metadata else _first(tree, _DESCRIPTIONS)
    lead = page_lead(tree, description or "", body)
    body = f"{lead}\n{body}" if lead else body
    return Extracted(
        title=title,
        body=with_lead(body, summary),
        published=page_published(tree, url, getattr(doc, "date", None)) if metadata else None,
    )


def _options(fast: bool, metadata: bool, url: str) -> Any:
    """trafilatura's options for one page: no comments, tables kept, no cross-page deduplication,
    precision first, metadata as asked. Made once and copied with the page's address (6 µs): made
    for each call, they read every setting from the configuration's parser again (80 µs, about a
    hundredth of a page's extraction)."""
    options = copy.copy(_base_options(fast, metadata))
    options.url = url
    options.source = url.encode("utf-8", "replace").decode("utf-8") if url else None  # as trafilatura does
    return options


@functools.cache
def _base_options(fast: bool, metadata: bool) -> Any:
    from trafilatura.settings import Extractor

    return Extractor(
        output_format="python",  # bare_extraction's own default
        fast=fast,
        precision=True,
        comments=False,
        tables=True,
        dedup=False,
        with_metadata=metadata,
        date_params=DATE_SEARCH if metadata else None,
    )


_COPIES: list[bool] = []  # whether this trafilatura extracts from a copy of a tree it is given


def _extracts_from_a_copy() -> bool:
    """Whether trafilatura leaves a tree it is given as it was (2.3 copies it first): found once,
    by extracting a page whose tree it would prune, with metadata and the full cascade."""
    if not _COPIES:
        import trafilatura
        from lxml import etree

        tree = trafilatura.load_html(_PROBE_PAGE)
        before = etree.tostring(tree)
        trafilatura.bare_extraction(tree, with_metadata=True, include_comments=False, favor_precision=True)
        _COPIES.append(etree.tostring(tree) == before)
    return _COPIES[0]


def _begins_an_element(tree: HtmlElement, title: str) -> bool:
    """Whether some element's own text begins with ``title`` and goes on: a lead that starts
    with the headline's words, not a headline element glued to the lead by the extraction."""
    heading = words(title)
    for el in tree.iter():
        said = words(el.text[: 3 * len(title) + 40]) if el.text else []
        if len(said) > len(heading) and said[: len(heading)] == heading:
            return True
    return False


def _first(tree: HtmlElement, wanted: tuple[tuple[str, str], ...]) -> str:
    """The first non-empty ``content`` of the ``<meta>`` tags ``wanted`` (attribute, value), in
    that order of preference: the page's description or title as its metadata gives it (what
    trafilatura's metadata search reads first). One walk over the page's meta tags."""
    found: dict[tuple[str, str], str] = {}
    for meta in tree.iter("meta"):
        content = " ".join(str(meta.get("content", "")).split())
        if not content:
            continue
        for attribute, value in wanted:
            if meta.get(attribute) == value:
                found.setdefault((attribute, value), content)
    return next((found[w] for w in wanted if w in found), "")
