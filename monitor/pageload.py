"""A page's bytes parsed as ``trafilatura.load_html`` parses them, without its repairs where
there is nothing to repair (pure; runs in the extraction workers).

``trafilatura.load_html`` decodes the page, deletes the characters XML forbids with a regular
expression over the whole text, mends two rare faults of the document's first line, and parses
the resulting string: about 0.85 ms of a news page's 3.2 ms of extraction, of which the
expression is 0.13 ms and parsing a string rather than the bytes 0.07 ms. Most pages are UTF-8
with none of those characters or faults. For such a page :func:`load_page` checks that (on the
bytes: 0.06 ms) and parses the bytes themselves, with trafilatura's own parser (its encoding is
UTF-8, so a ``<meta charset>`` is ignored, as it is for a string): the same tree. Every other page
(not UTF-8, compressed, a byte-order mark or anything before its first tag, a forbidden
character, a ``DOCTYPE`` or ``<html/>`` trafilatura rewrites, a parse that gives too little) goes
to ``trafilatura.load_html`` itself. tests/test_pageload.py compares the two trees on every test
and seed page and on pages written to reach each of those cases.

:func:`plain_elements` makes the elements of trafilatura's parser plain ``HtmlElement`` objects,
chosen by lxml itself: ``lxml.html``'s own choice is a Python call for every element Python
touches (some 500 a page, in trafilatura's passes and copies; 2.5% of an extraction) to give form
fields classes of their own, whose form methods nothing in extraction uses.
"""

from __future__ import annotations

import re

import trafilatura
from lxml import etree
from lxml.html import HtmlComment, HtmlElement, HtmlEntity, HtmlProcessingInstruction, fromstring
from trafilatura.utils import DOCTYPE_TAG, HTML_PARSER

# what trafilatura deletes (its INVALID_XML_CHARS): C0 controls but tab, line feed and carriage
# return (one byte each in UTF-8), and U+FFFE, U+FFFF (EF BF BE, EF BF BF)
_C0 = bytes([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20)])
_ALL_BUT_C0 = bytes(b for b in range(256) if b not in _C0)
_NONCHARACTER_LEAD = b"\xef\xbf"  # U+FFC0–U+FFFF: checked further only when present
_NONCHARACTERS = re.compile("[\ufffe\uffff]")
_WHITESPACE = b" \t\n\r\x0c\x0b"  # what a bytes pattern's \s matches: both fromstrings agree then


_PLAIN = etree.ElementDefaultClassLookup(
    element=HtmlElement, comment=HtmlComment, pi=HtmlProcessingInstruction, entity=HtmlEntity
)


def plain_elements() -> None:
    """Trafilatura's parser makes every element an ``HtmlElement`` (in this process, from now on)."""
    HTML_PARSER.set_element_class_lookup(_PLAIN)


def load_page(page: bytes) -> HtmlElement | None:
    """``trafilatura.load_html(page)``: the same tree (or None), parsed from the bytes when the
    page needs none of trafilatura's repairs."""
    tree = _plain(page)
    return tree if tree is not None else trafilatura.load_html(page)


def _plain(page: bytes) -> HtmlElement | None:
    """The page parsed from its bytes, or None when it may need trafilatura's decoding or repairs."""
    if not page.lstrip(_WHITESPACE).startswith(b"<"):  # compressed, a BOM, text before the first tag
        return None
    if page.translate(None, _ALL_BUT_C0):
        return None
    try:
        text = page.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if _NONCHARACTER_LEAD in page and _NONCHARACTERS.search(text):
        return None
    beginning = text[:50].lower()
    if "doctype" in beginning and (DOCTYPE_TAG.search(text.partition("\n")[0]) or "\n" not in text):
        return None  # trafilatura rewrites the first line (and a text of one line gains a line break)
    for line in text[:4096].splitlines()[:4]:
        if "<html" in line and line.endswith("/>"):
            return None
    try:
        tree = fromstring(page, parser=HTML_PARSER)
    except Exception:  # trafilatura decides, and logs, what it does with a page lxml refuses
        return None
    if len(tree) < 1 or ("html" not in beginning and len(tree) < 2):
        return None
    return tree
