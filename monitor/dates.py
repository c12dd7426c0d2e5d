"""Dates mentioned in Arabic news text (pure).

``mentioned_dates(text, reference)`` finds calendar expressions and resolves them to periods:

- month names of every region: Egyptian/Gulf (يناير … ديسمبر, with إبريل/أبريل, أغسطس, مايو …),
  Levantine/Iraqi (كانون الثاني, شباط, آذار, نيسان, أيار, حزيران, تموز, آب, أيلول, تشرين الأول,
  تشرين الثاني, كانون الأول), Maghrebi (جانفي, فيفري, أفريل, ماي, جوان, جويلية, أوت), and the dual
  forms newspapers use ("أيلول/سبتمبر", "كانون الثاني يناير");
- days ("الخميس 25 من كانون الثاني"), qualifiers (مطلع/منتصف/نهاية), years with a cue
  ("عام 2008", "بحلول نهاية 2026"), relative expressions ("الشهر الماضي", "العام المقبل",
  "أيلول/سبتمبر الحالي", "آب من السنة الماضية", "العام التالي", "الخميس الماضي", "اليوم السبت");
- English datelines in Arabic pages ("24th, September 2024"), Arabic-Indic digits, and Hijri dates
  ("15 رمضان 1445 هـ", converted with hijridate; "شهر رمضان 1445" is the range of that month);
- dates written with digits only ("22-9-2024", "2024/09/21", "21.09.2024", "15/9/1445هـ": see
  ``monitor.numericdates`` for the readings and what is not a date), years written "عام ٢٠٢٥م",
  ordinal day words ("في الأول من أيلول", "الحادي والثلاثين من كانون الأول"; "الأسبوع الأول من
  أيلول" and "السبت الأول من أيلول" count weeks and Saturdays, so they name the month only).

A year missing from the text is resolved against ``reference`` (the article's publication date):
"الماضي" means the last such month before it, "المقبل" the next, "الحالي" its own; otherwise the
occurrence nearest to it, and a weekday written with the day picks the year in which it falls on that
weekday. Bare "اليوم" (today), weeks and vague spans ("منذ سنوات") are deliberately not dates.
"""

from __future__ import annotations

import calendar
import re
from datetime import date, timedelta
from typing import Literal

from hijridate import Hijri

from monitor.arabic import _TABLE  # the one normalisation table, applied character by character here
from monitor.datewords import (
    AMBIGUOUS,
    CURRENT,
    ENGLISH_MONTHS,
    FOLLOWING,
    HIJRI_MONTHS,
    MONTHS,
    NEXT,
    ORDINALS,
    PAST,
    QUALIFIERS,
    WEEKDAYS,
    Qualifier,
)
from monitor.model import MentionedDate
from monitor.numericdates import numeric_dates

Precision = Literal["day", "month", "year"]
__all__ = ["MentionedDate", "mentioned_dates"]


def _alt(words: object) -> str:
    items = sorted(words, key=len, reverse=True)  # type: ignore[call-overload]
    return "|".join(w.replace(" ", r"\s+") for w in items)


_B = r"(?<![^\W_])"  # start of a word
_E = r"(?![^\W_])"  # end of a word
_CL = r"(?:[وف]?(?:[بل]|في\s+)?)"  # clitics and "في" before a date word
_MONTH = rf"(?:{_alt(MONTHS)})"
_REL = rf"(?:{_alt(PAST | NEXT | CURRENT)})"
_RELYEAR = rf"(?:من\s+(?:ال)?(?:عام|سنه)\s+{_REL}|من\s+(?:العام|السنه)\s+{_REL})"
_MONTHS2 = rf"(?P<m1>{_MONTH})(?:\s*[/\-]\s*|\s+|\s*\(\s*)(?P<m2>{_MONTH})\)?"
_MONTHU = rf"(?:{_MONTHS2}|(?P<m>{_MONTH}))"
_YEAR = r"(?:(?:عام|العام|لعام|سنه|لسنه)\s+)?(?P<year>(?:19|20)\d\d)(?:\s*م(?![^\W_]))?"
_QUAL = rf"(?:(?P<qual>{_alt(QUALIFIERS)})\s+(?:شهر\s+)?)"
_WEEKDAY = rf"(?P<wd>{_alt(WEEKDAYS)})"
_AFTER = rf"(?:\s*,?\s*(?:{_YEAR}|(?P<rel>{_REL})|(?P<relyear>{_RELYEAR})))?"

_DAY_DATE = re.compile(
    rf"{_B}{_CL}(?P<s>)(?:(?:اليوم\s+|يوم\s+)?{_WEEKDAY}\s*,?\s+)?"
    rf"(?:(?P<day>[0-3]?\d){_E}(?:\s+من)?|(?P<ord>{_alt(ORDINALS)})\s+من(?:\s+شهر)?)\s+"
    rf"{_CL}{_MONTHU}{_E}{_AFTER}{_E}"
)
_MONTH_DATE = re.compile(
    rf"{_B}{_CL}(?P<s>){_QUAL}?(?P<shahr>(?:شهر|لشهر|بشهر)\s+)?{_CL}{_MONTHU}{_E}{_AFTER}{_E}"
)
_YEAR_DATE = re.compile(
    rf"{_B}{_CL}(?:(?P<cue>بحلول|منذ|حتي|قبل|بعد|خلال|في)\s+)?(?P<s>)"
    rf"(?:{_QUAL}(?:(?:عام|العام|سنه)\s+)?|(?P<word>عام|العام|لعام|سنه|لسنه)\s+)?"
    rf"(?P<year>(?:19|20)\d\d)(?:\s?م)?{_E}"
)
_RELATIVE = re.compile(
    rf"{_B}{_CL}(?P<s>){_QUAL}?(?P<unit>الشهر|العام|السنه|عام|سنه)\s+"
    rf"(?P<rel>{_alt(PAST | NEXT | CURRENT | FOLLOWING)}){_E}"
)
_WD = _alt(WEEKDAYS)
_WEEKDAY_REL = re.compile(
    rf"{_B}[وف]?(?:في\s+)?(?P<s>)(?:(?P<today>اليوم)\s+(?P<wd1>{_WD})|(?P<yesterday>امس)(?:\s+(?P<wd2>{_WD}))?"
    rf"|(?:يوم\s+)?(?P<wd3>{_WD})\s+(?P<rel>الماضي|المقبل|القادم)){_E}"
)
_ENGLISH = re.compile(
    rf"{_B}(?:(?P<day>[0-3]?\d)(?:st|nd|rd|th)?\s*,?\s*(?P<mon>{_alt(ENGLISH_MONTHS)})\.?"
    rf"|(?P<mon2>{_alt(ENGLISH_MONTHS)})\.?\s+(?P<day2>[0-3]?\d)(?:st|nd|rd|th)?)\s*,?\s*(?P<year>(?:19|20)\d\d){_E}"
)
_HIJRI = re.compile(
    rf"{_B}(?:(?P<day>[0-3]?\d)\s+(?:من\s+)?|(?P<shahr>شهر|لشهر|بشهر)\s+)?(?P<mon>{_alt(HIJRI_MONTHS)})\s+"
    rf"(?P<word>عام\s+|سنه\s+)?(?P<year>1[34]\d\d)(?:\s*(?P<suffix>ه{_E}|هجري|هجريه|للهجره)|{_E})"
)


# ---------------------------------------------------------------- resolution helpers


def _month_period(y: int, m: int) -> tuple[date, date]:
    return date(y, m, 1), date(y, m, calendar.monthrange(y, m)[1])


def _year_for_month(m: int, ref: date, rel: str | None) -> int:
    if rel in CURRENT:
        return ref.year
    if rel in PAST:
        return ref.year if m < ref.month else ref.year - 1
    if rel in NEXT:
        return ref.year if m > ref.month else ref.year + 1
    # nearest occurrence to the reference date
    return min((ref.year - 1, ref.year, ref.year + 1), key=lambda y: abs((date(y, m, 15) - ref).days))


def _year_for_day(d: int, m: int, ref: date, weekday: int | None) -> int | None:
    candidates = []
    for y in (ref.year - 1, ref.year, ref.year + 1):
        try:
            candidates.append(date(y, m, d))
        except ValueError:
            continue
    if weekday is not None:
        pinned = [c for c in candidates if c.weekday() == weekday]
        candidates = pinned or candidates
    if not candidates:
        return None
    return min(candidates, key=lambda c: abs((c - ref).days)).year


class _Normalised:
    """The text normalised character by character, with a map back to original offsets."""

    def __init__(self, text: str) -> None:
        out: list[str] = []
        index: list[int] = []
        for i, ch in enumerate(text):
            mapped = _TABLE.get(ord(ch), ch)
            if mapped is None:
                continue
            for c in str(mapped).lower():
                out.append(c)
                index.append(i)
        self.text = "".join(out)
        self.index = index
        self.original = text

    def span(self, start: int, end: int) -> tuple[int, int]:
        return self.index[start], self.index[end - 1] + 1


# ---------------------------------------------------------------- extraction


def mentioned_dates(text: str, reference: date) -> list[MentionedDate]:
    """Every date ``text`` mentions, in order, resolved against ``reference``."""
    norm = _Normalised(text)
    t = norm.text
    found: list[tuple[int, int, date, date, Precision, Qualifier | None]] = []

    def add(
        m: re.Match[str], first: date, last: date, precision: Precision, qual: Qualifier | None = None
    ) -> None:
        start = m.start("s") if "s" in m.re.groupindex else m.start()
        found.append((start, m.end(), first, last, precision, qual))

    def invalid(m: re.Match[str]) -> None:
        """A date-shaped span that names no real day: it hides the shorter matches inside it."""
        found.append((m.start(), m.end(), reference, reference, "invalid", None))  # type: ignore[arg-type]

    for m in _DAY_DATE.finditer(t):
        month = _month(m)
        if month is None:
            continue
        if m["ord"] and (m["wd"] or _after_definite_noun(t, m.start("s"))):
            continue  # "السبت الأول من أيلول", "الأسبوع الأول من أيلول": not a day of the month
        day = int(m["day"]) if m["day"] else ORDINALS[" ".join(m["ord"].split())]
        weekday = WEEKDAYS.get(m["wd"]) if m["wd"] else None
        year = int(m["year"]) if m["year"] else None
        if year is None:
            year = _relative_year(m, month, reference) or _year_for_day(day, month, reference, weekday)
        if year is None:
            continue
        try:
            when = date(year, month, day)
        except ValueError:
            invalid(m)
            continue
        add(m, when, when, "day")
    for m in _ENGLISH.finditer(t):
        month = ENGLISH_MONTHS[(m["mon"] or m["mon2"]).lower()]
        try:
            when = date(int(m["year"]), month, int(m["day"] or m["day2"]))
        except ValueError:
            continue
        add(m, when, when, "day")
    for start, end, named in numeric_dates(t):
        if named is None:  # shaped like a date, names no day: hides the shorter matches inside it
            found.append((start, end, reference, reference, "invalid", None))  # type: ignore[arg-type]
        else:
            found.append((start, end, named, named, "day", None))
    for m in _HIJRI.finditer(t):
        if not (m["suffix"] or m["day"] or m["shahr"] or m["word"]):
            continue  # "شعبان 1400 دينار": a name and a number; a Hijri date says so or has a day or "شهر"
        hm = HIJRI_MONTHS[" ".join(m["mon"].split())]
        try:
            hy = int(m["year"])
            if m["day"]:
                g = Hijri(hy, hm, int(m["day"])).to_gregorian()
                add(m, date(g.year, g.month, g.day), date(g.year, g.month, g.day), "day")
            else:
                g1 = Hijri(hy, hm, 1).to_gregorian()
                g2 = Hijri(hy, hm, Hijri(hy, hm, 1).month_length()).to_gregorian()
                add(m, date(g1.year, g1.month, g1.day), date(g2.year, g2.month, g2.day), "month")
        except (ValueError, OverflowError):
            continue
    for m in _MONTH_DATE.finditer(t):
        month = _month(m)
        if month is None:
            continue
        single = m["m"] and not m["m1"]
        has_context = m["year"] or m["rel"] or m["relyear"] or m["shahr"] or m["qual"]
        if single and " ".join(m["m"].split()) in AMBIGUOUS and not (m["year"] or m["shahr"] or m["relyear"]):
            continue
        if single and " ".join(m["m"].split()) in AMBIGUOUS and not has_context:
            continue
        year = int(m["year"]) if m["year"] else _relative_year(m, month, reference)
        if year is None:
            year = _year_for_month(month, reference, m["rel"])
        first, last = _month_period(year, month)
        add(m, first, last, "month", QUALIFIERS.get(m["qual"]) if m["qual"] else None)
    for m in _YEAR_DATE.finditer(t):
        if not (m["cue"] or m["qual"] or m["word"]):
            continue  # a bare number is not a year
        year = int(m["year"])
        add(m, date(year, 1, 1), date(year, 12, 31), "year", QUALIFIERS.get(m["qual"]) if m["qual"] else None)
    for m in _RELATIVE.finditer(t):
        rel = " ".join(m["rel"].split())
        qual = QUALIFIERS.get(m["qual"]) if m["qual"] else None
        if m["unit"] == "الشهر":
            if rel in FOLLOWING:
                continue
            shift = -1 if rel in PAST else 1 if rel in NEXT else 0
            y, mo = divmod(reference.year * 12 + reference.month - 1 + shift, 12)
            first, last = _month_period(y, mo + 1)
            add(m, first, last, "month", qual)
        else:
            if rel in FOLLOWING:
                before = sorted((f[0], f[2].year) for f in found if f[0] < m.start())
                year = (before[-1][1] if before else reference.year) + 1
            else:
                year = reference.year + (-1 if rel in PAST else 1 if rel in NEXT else 0)
            add(m, date(year, 1, 1), date(year, 12, 31), "year", qual)
    for m in _WEEKDAY_REL.finditer(t):
        if m["today"]:
            when = reference
        elif m["yesterday"]:
            when = reference - timedelta(days=1)
            if m["wd2"]:
                wd = WEEKDAYS[m["wd2"]]
                while when.weekday() != wd:
                    when -= timedelta(days=1)
        else:
            wd = WEEKDAYS[m["wd3"]]
            step = -1 if m["rel"] == "الماضي" else 1
            when = reference + timedelta(days=step)
            while when.weekday() != wd:
                when += timedelta(days=step)
        add(m, when, when, "day")
    return _select(found, norm)


def _after_definite_noun(t: str, start: int) -> bool:
    """Whether the word before ``start`` is a definite noun other than اليوم (an ordinal then counts it)."""
    before = t[max(0, start - 30) : start].split()
    return bool(before) and before[-1].startswith("ال") and before[-1] != "اليوم"


def _month(m: re.Match[str]) -> int | None:
    if m["m1"]:
        a, b = MONTHS[" ".join(m["m1"].split())], MONTHS[" ".join(m["m2"].split())]
        return a if a == b else None  # "أيلول/سبتمبر": both halves must name the same month
    return MONTHS[" ".join(m["m"].split())]


def _relative_year(m: re.Match[str], month: int, reference: date) -> int | None:
    groups = m.groupdict()
    if groups.get("relyear"):
        rel = groups["relyear"].split()[-1]
        return reference.year + (-1 if rel in PAST else 1 if rel in NEXT else 0)
    if groups.get("rel"):
        return _year_for_month(month, reference, groups["rel"])
    return None


def _select(
    found: list[tuple[int, int, date, date, Precision, Qualifier | None]], norm: _Normalised
) -> list[MentionedDate]:
    """Leftmost-longest, non-overlapping; spans mapped back to the original text."""
    found.sort(key=lambda f: (f[0], -(f[1] - f[0])))
    out: list[MentionedDate] = []
    taken_until = -1
    for start, end, first, last, precision, qual in found:
        if start < taken_until:
            continue
        taken_until = end
        if precision == "invalid":
            continue
        s, e = norm.span(start, end)
        # a trailing tatweel or diacritic belongs to the last word ("هـ")
        while e < len(norm.original) and _TABLE.get(ord(norm.original[e]), "") is None:
            e += 1
        out.append(MentionedDate(norm.original[s:e], s, e, first, last, precision, qual))
    return out
