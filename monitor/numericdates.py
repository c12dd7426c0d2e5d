"""Dates written with digits only, in normalised Arabic text (pure).

``numeric_dates(text)`` finds ``22-9-2024``, ``20/9/2024``, ``2024/09/21``, ``21.09.2024`` and
``١ / ١٢ / ٢٠٢٠`` (digits are Western once normalised), with or without a trailing ``م`` (a
Gregorian year) or ``هـ`` (a Hijri one: ``1445/9/15هـ``; a year from 1300 to 1499 is Hijri
too). Each is returned as its span in the text and the day it names, or None for a span shaped like
a date that names no real day (it then hides shorter readings inside it).

The order of day and month is day first, as Arabic outlets write them, unless the numbers allow only
one reading (``9/22/2024`` is 22 September); year-first dates are year, month, day.

What is not a date: two numbers (``2024/17``, a score ``2-1``, a time ``10:30``), a part of more
digits (``0799-123-456``, ``192.168.1.1``, ``1.250.000``), a number after ``رقم`` (a decree or
case ``رقم 5/3/2024``), a path in a URL (``/2024/09/21/``), a year outside 1900–2099 (or
1300–1499 for Hijri).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date

from hijridate import Hijri

_S = r"\s?(?P<sep>[-/.])\s?"
_SAME = r"\s?(?P=sep)\s?"
_START = r"(?<![\w/.\-])"  # not glued to a word, a number or another separator
_SUFFIX = r"(?:\s?(?P<suffix>م|ه|هجري|هجريه)(?![^\W_]))?"
_END = r"(?![^\W_]|[-/.]\d|/\S)"
_DAY_FIRST = re.compile(rf"{_START}(?P<a>\d{{1,2}}){_S}(?P<b>\d{{1,2}}){_SAME}(?P<y>\d{{4}}){_SUFFIX}{_END}")
_YEAR_FIRST = re.compile(rf"{_START}(?P<y>\d{{4}}){_S}(?P<a>\d{{1,2}}){_SAME}(?P<b>\d{{1,2}}){_SUFFIX}{_END}")
_NUMBERED = re.compile(r"(?:رقم|رقمه|بالرقم|المرقم|no\.?|#)\s*$", re.IGNORECASE)


def numeric_dates(text: str) -> Iterator[tuple[int, int, date | None]]:
    """(start, end, day) of every numeric date in normalised ``text``; day None when impossible."""
    for pattern, year_first in ((_DAY_FIRST, False), (_YEAR_FIRST, True)):
        for m in pattern.finditer(text):
            if _NUMBERED.search(text[max(0, m.start() - 12) : m.start()]):
                continue
            year, suffix = int(m["y"]), m["suffix"]
            hijri = 1300 <= year <= 1499 and suffix != "م"
            if not (hijri or 1900 <= year <= 2099) or (suffix and suffix != "م" and not hijri):
                continue  # not a year of the news, or a Hijri mark on a Gregorian year
            yield m.start(), m.end(), _day(year, int(m["a"]), int(m["b"]), year_first, hijri)


def _day(year: int, a: int, b: int, year_first: bool, hijri: bool) -> date | None:
    """The day the numbers name, or None when no reading names a real one."""
    # year-first is year, month, day; otherwise day first, unless only month first can be right
    month, day = (a, b) if year_first else (b, a)
    if month > 12 >= day:
        month, day = day, month
    try:
        if hijri:
            g = Hijri(year, month, day).to_gregorian()
            return date(g.year, g.month, g.day)
        return date(year, month, day)
    except (ValueError, OverflowError):
        return None
