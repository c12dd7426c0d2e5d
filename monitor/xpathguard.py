"""Trafilatura's raw-page prunes, skipped on a page where no element could match them (pure).

Before extracting, trafilatura deletes infinite-scroll containers, share buttons and comment
sections from the whole parsed page: three XPath queries of the form ``.//*[self::div or …]
[re:test(@id, '…') or re:test(@class, '…')]…``. On a news page with its chrome (menus, "most read"
lists, cards) they are a third of the extraction time: the query walks every element and calls
back into Python for each regular-expression test, and nearly every page has nothing to delete.

``install()`` wraps each such query with a guard: the element ids and class names of the tree are
read in one query, and the original runs only when one of them matches one of the query's tests.
Every element the query can select must pass one of those tests on its own ``id`` or ``class``, so
when none does the query would have selected nothing: the guard changes no result, only skips
work. A query whose shape is not the one recognised here (another trafilatura version) is left as
it is. tests/test_xpathguard.py compares extractions with and without the guards.

Inside :func:`one_page` (one page's extraction) the tree's names are read once for the guards that
follow on the same tree (trafilatura runs three of them, then one on its cleaned copy): read again
only for another tree, or after a query ran (it may have deleted elements). Between two prunes of
one tree trafilatura changes it only by those prunes, so the names read stay exact; outside
:func:`one_page` every guard reads them afresh.
"""

from __future__ import annotations

import re
import threading
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from lxml.etree import XPath

# the lists trafilatura runs on the raw page (and the comment prune, the same test on the cleaned one)
GUARDED_LISTS = ("RAW_TREE_PRUNE_XPATH", "REMOVE_COMMENTS_AND_LISTS_XPATH", "REMOVE_COMMENTS_XPATH")
# what a query ``.//*[…]`` can select: the tree's descendants (two queries: a union sorts, 30% dearer)
_IDS = XPath("descendant::*/@id", smart_strings=False)
_CLASSES = XPath("descendant::*/@class", smart_strings=False)
_ATTRIBUTE = r"@(?:id|class)(?:\s*\|\s*@(?:id|class))?"
_TERM = re.compile(rf"(re:test|contains)\(\s*{_ATTRIBUTE}\s*,\s*'([^']*)'\s*\)")
_OR = re.compile(r"\s+or\s+")
_UNJOINABLE = re.compile(r"\\[1-9]|\(\?P=|\(\?[aiLmsux]")  # a numbered back-reference, a flag


class Guarded:
    """An XPath query run only when some ``id`` or ``class`` value in the tree passes ``test``."""

    def __init__(self, query: XPath, test: re.Pattern[str]) -> None:
        self.query = query
        self.test = test

    def __call__(self, tree: Any, **variables: Any) -> Any:
        if any(map(self.test.search, _names(tree))):
            _forget()  # the query may delete elements: their names are read again
            return self.query(tree, **variables)
        return []


def _read(tree: Any) -> set[str]:
    return set(_CLASSES(tree)).union(_IDS(tree))


# this thread's page, inside one_page: [tree (weakly), its names], or [] until a tree is read
_page = threading.local()


def _names(tree: Any) -> set[str]:
    """The ``id`` and ``class`` values of the elements of ``tree`` below its root."""
    held: list[Any] | None = getattr(_page, "held", None)
    if held is None:  # outside one_page
        return _read(tree)
    if not held or held[0]() is not tree:
        held[:] = [weakref.ref(tree), _read(tree)]
    names: set[str] = held[1]
    return names


def _forget() -> None:
    held: list[Any] | None = getattr(_page, "held", None)
    if held:
        held.clear()


@contextmanager
def one_page() -> Iterator[None]:
    """Read each tree's names once for the guards run inside (one page's extraction, in this thread)."""
    _page.held = []
    try:
        yield
    finally:
        _page.held = None


def _predicates(path: str) -> list[str] | None:
    """The top-level ``[…]`` predicates of a path ``.//*[…][…]…``; None for any other shape."""
    path = " ".join(path.split())
    if not path.startswith(".//*[") or '"' in path:
        return None
    out, depth, start, quoted = [], 0, 0, False
    for i, char in enumerate(path[4:], start=4):
        if char == "'":
            quoted = not quoted
        elif quoted:
            continue
        elif char == "[":
            depth += 1
            if depth == 1:
                start = i + 1
        elif char == "]":
            depth -= 1
            if depth == 0:
                out.append(path[start:i].strip())
        elif depth == 0 and char != " ":
            return None  # something after the predicates (a union, a further step)
    return out if depth == 0 and not quoted else None


def test_of(query: XPath) -> re.Pattern[str] | None:
    """The tests of the first predicate that is only ``re:test``/``contains`` on ``@id``/``@class``
    joined by ``or`` (each selected element passes one of them on its own value), as one pattern
    that finds what any of them finds; None when there is none, or when a test would pass an
    element without the attribute (it passes the empty string) or cannot be joined to the others
    (a back-reference or a flag of its own)."""
    for predicate in _predicates(query.path) or []:
        found = [_TERM.fullmatch(term) for term in _OR.split(predicate)]
        if not all(found):
            continue
        patterns = []
        for match in found:
            assert match is not None
            function, literal = match[1], match[2]
            pattern = literal if function == "re:test" else re.escape(literal)
            if _UNJOINABLE.search(pattern):
                return None
            patterns.append(f"(?:{pattern})")
        try:
            test = re.compile("|".join(patterns))
        except re.error:
            return None
        return None if test.search("") else test
    return None


def guard(query: Callable[..., Any]) -> Callable[..., Any]:
    """``query`` guarded when its shape allows it, else ``query`` itself."""
    if not isinstance(query, XPath):
        return query
    test = test_of(query)
    return query if test is None else Guarded(query, test)


_installed: list[int] = []


def install() -> int:
    """Guard trafilatura's raw-page prunes in place, once; the number of queries guarded."""
    if _installed:
        return _installed[0]
    from trafilatura import xpaths

    guarded = 0
    for name in GUARDED_LISTS:
        queries = getattr(xpaths, name, None)
        if not isinstance(queries, list):
            continue
        queries[:] = [guard(query) for query in queries]
        guarded += sum(isinstance(query, Guarded) for query in queries)
    _installed.append(guarded)
    return guarded
