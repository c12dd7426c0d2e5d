"""Publication times as their source gave them: kept, stored and shown without moving the day (pure).

A source gives one of three things, and ``published`` (an aware datetime) says which by its zone:

- an instant with its offset (``2020-12-25T01:59:50+02:00``, or a feed's RFC 822 date): the
  datetime keeps the source's own offset, so its ``date()`` is the source's day (25 December, where
  UTC would say the 24th) and comparisons are by instant;
- a wall-clock time without an offset (``2020-12-01 02:00:00``): kept in ``WALL_CLOCK``, a zone at
  UTC's offset named "local", so the day never moves and it is shown without a zone;
- a date only (``2020-06-03``): midnight in ``DATE_ONLY`` (UTC's offset, named "date"), shown as the
  date.

The zones compare equal to UTC (``timezone`` compares offsets), so ``form`` reads their names.
The store keeps UTC in ``published_at`` and the source's notation in a text column
(``stored``/``restored``), so an article read back is the article that was saved.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Literal

Form = Literal["instant", "local", "date"]

WALL_CLOCK = timezone(timedelta(0), "local")
DATE_ONLY = timezone(timedelta(0), "date")


def day_only(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=DATE_ONLY)


def wall_clock(when: datetime) -> datetime:
    """A time the source gave without an offset."""
    return when.replace(tzinfo=WALL_CLOCK)


def form(when: datetime) -> Form:
    name = when.tzname()
    return "date" if name == "date" else "local" if name == "local" else "instant"


def stored(when: datetime | None) -> str | None:
    """The source's notation: ``2020-06-03``, ``2020-12-01T02:00:00`` or ISO 8601 with the offset."""
    if when is None:
        return None
    kind = form(when)
    if kind == "date":
        return when.date().isoformat()
    if kind == "local":
        return when.replace(tzinfo=None).isoformat()
    return when.isoformat()


def restored(text: str | None, utc: datetime | None) -> datetime | None:
    """The datetime ``stored`` wrote; ``utc`` (the store's instant) when there is no notation or it
    does not denote the same instant (a row written before the notation was kept, or edited)."""
    if not text:
        return utc
    try:
        if len(text) == 10:
            when = day_only(date.fromisoformat(text))
        else:
            parsed = datetime.fromisoformat(text)
            when = wall_clock(parsed) if parsed.tzinfo is None else parsed
    except ValueError:
        return utc
    return when if utc is None or abs(when - utc) < timedelta(seconds=1) else utc


def shown(when: datetime) -> str:
    """``2020-06-03``, ``2020-12-01 02:00`` (no offset given), ``2020-12-24 23:59 UTC`` or
    ``2020-12-25 01:59 UTC+02:00``: the source's own day and time, never moved to another day."""
    kind = form(when)
    if kind == "date":
        return when.strftime("%Y-%m-%d")
    if kind == "local":
        return when.strftime("%Y-%m-%d %H:%M")
    offset = when.utcoffset() or timedelta(0)
    if not offset:
        return when.strftime("%Y-%m-%d %H:%M UTC")
    sign, rest = ("-", -offset) if offset < timedelta(0) else ("+", offset)
    hours, minutes = divmod(int(rest.total_seconds()) // 60, 60)
    return when.strftime("%Y-%m-%d %H:%M UTC") + f"{sign}{hours:02d}:{minutes:02d}"


def plausible(
    when: datetime, now: datetime, oldest: datetime | None, *, ahead: timedelta, before: timedelta
) -> bool:
    """A page's date is believed unless it is more than ``ahead`` in the future, or more than
    ``before`` earlier than the oldest date its feed gives (a related article's date, a misread)."""
    if when > now + ahead:
        return False
    return oldest is None or when >= oldest.astimezone(UTC) - before
