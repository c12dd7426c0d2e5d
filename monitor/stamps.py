"""A date written as one value, as pages and feeds write them (pure).

``parse_stamp`` reads ISO 8601 (``2020-06-03T03:01+0400``: an offset with or without a colon, ``Z``,
fractions of a second), RFC 822 (``Tue, 07 Apr 2020 17:38:00 +0000``), epoch seconds or
milliseconds, and date lines in Arabic or English; ``dateline`` reads the latter: the first day with
its year that ``monitor.dates`` finds (every region's month names, both digit systems, numeric
forms), with the time written after or before it, ص/م (am/pm), GMT or an offset.

The result has the forms of ``monitor.published``: an offset given makes an instant at that offset,
GMT or UTC an instant in UTC, no zone a wall-clock time, no time a date alone.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime

from monitor.arabic import normalize
from monitor.dates import mentioned_dates
from monitor.published import day_only, wall_clock

_ISO = re.compile(
    r"^(\d{4})-(\d\d)-(\d\d)(?:[T ](\d\d):(\d\d)(?::(\d\d)(?:[.,]\d+)?)?\s*(Z|[+-]\d\d:?\d\d|GMT|UTC)?)?\s*$",
    re.IGNORECASE,
)
_EPOCH = re.compile(r"^\d{10}(?:\d{3})?$")
_TIME = r"(?P<h>\d{1,2}):(?P<mi>\d\d)(?::(?P<se>\d\d))?"
_MERIDIEM = r"(?P<ap>صباحا|صباح|ص|مساءا|مساء|م|am|pm|a\.m\.|p\.m\.)"
_GMT = r"gmt|utc|بتوقيت غرينتش|بتوقيت جرينتش"
_ZONE = rf"\(?\s*(?P<zone>{_GMT})?\s*(?P<off>[+-]\d{{1,2}}(?::?\d\d)?)?\s*\)?"
_TIME_AFTER = re.compile(rf"^[\s,|\-–—/:]*(?:الساعه\s*)?{_TIME}\s*{_MERIDIEM}?(?![^\W_])\s*{_ZONE}")
_TIME_BEFORE = re.compile(
    rf"(?P<zone>{_GMT})?\s*{_TIME}\s*{_MERIDIEM}?(?![^\W_])\s*(?P<zone2>{_GMT})?[\s,|\-–]*$"
)
_YEAR = re.compile(r"(?:19|20)\d\d|1[34]\d\d")
_REFERENCE = date(2000, 1, 1)  # dates read here always carry their year; this is never used


def parse_stamp(text: str) -> datetime | None:
    """A date written in metadata: ISO 8601 (offsets with or without a colon), RFC 822, epoch seconds
    or milliseconds, or a date line in Arabic or English."""
    text = text.strip()
    if not text or len(text) > 200:
        return None
    if _EPOCH.match(text):
        seconds = int(text[:10])
        return datetime.fromtimestamp(seconds, tz=UTC) if seconds > 0 else None
    m = _ISO.match(text)
    if m:
        return _iso(m)
    if re.match(r"^[A-Za-z]{3},", text):
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            when = None
        if when is not None:
            return when if when.tzinfo is not None else wall_clock(when)
    return dateline(text)


def _iso(m: re.Match[str]) -> datetime | None:
    y, mo, d, h, mi, se, zone = m.groups()
    try:
        if h is None:
            return day_only(date(int(y), int(mo), int(d)))
        when = datetime(int(y), int(mo), int(d), int(h), int(mi), int(se or 0))
    except ValueError:
        return None
    if zone is None:
        return wall_clock(when)
    return when.replace(tzinfo=_offset(zone))


def _offset(zone: str) -> timezone:
    if zone.upper() in ("Z", "GMT", "UTC"):
        return UTC
    sign = -1 if zone[0] == "-" else 1
    digits = zone[1:].replace(":", "")
    hours, minutes = (digits, "0") if len(digits) <= 2 else (digits[:-2], digits[-2:])
    if int(hours) > 14 or int(minutes) > 59:
        return UTC  # not an offset anyone uses
    return timezone(sign * timedelta(hours=int(hours), minutes=int(minutes)))


def dateline(text: str) -> datetime | None:
    """The first day with its year that ``text`` names, with the time written next to it."""
    for found in mentioned_dates(text, _REFERENCE):
        if found.precision != "day" or not _YEAR.search(normalize(found.text)):
            continue
        return _with_time(found.first, text[: found.start], text[found.end :])
    return None


def _with_time(day: date, before: str, after: str) -> datetime:
    m = _TIME_AFTER.match(normalize(after[:60]))
    if m:
        zone, offset = m["zone"], m["off"]
    else:
        m = _TIME_BEFORE.search(normalize(before[-40:]))
        if m is None:
            return day_only(day)
        zone, offset = m["zone"] or m["zone2"], None
    hour, minute = int(m["h"]), int(m["mi"])
    meridiem = (m["ap"] or "").lower()
    if meridiem in ("م", "مساء", "مساءا", "pm", "p.m.") and hour < 12:
        hour += 12
    elif meridiem in ("ص", "صباح", "صباحا", "am", "a.m.") and hour == 12:
        hour = 0
    try:
        when = datetime(day.year, day.month, day.day, hour, minute, int(m["se"] or 0))
    except ValueError:
        return day_only(day)
    if offset:
        return when.replace(tzinfo=_offset(offset))
    return when.replace(tzinfo=UTC) if zone else wall_clock(when)
