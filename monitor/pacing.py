"""When an alert may go out: delivery modes, quiet hours (pure).

A rule routes each match to channels in a mode:

- ``immediate``: as soon as it is stored;
- ``batch 15m``: collected and sent as one message at the end of the current 15-minute window;
- ``digest daily 08:00`` / ``digest weekly mon 08:00``: one message at that local time.

Local times use the configured time zone. A channel's quiet hours (``22:00-07:00``) hold every alert
until they end. Times are computed from ``now``; nothing here reads the clock.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta, tzinfo

from monitor.units import parse_duration

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DIGEST = re.compile(r"digest\s+(daily|weekly\s+(mon|tue|wed|thu|fri|sat|sun))\s+([01]?\d|2[0-3]):([0-5]\d)$")
_BATCH = re.compile(r"batch\s+(\S+)$")
_QUIET = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)\s*-\s*([01]?\d|2[0-3]):([0-5]\d)$")


@dataclass(frozen=True)
class Mode:
    kind: str  # immediate | batch | digest
    every: timedelta | None = None  # batch window
    at: time | None = None  # digest local time
    weekday: int | None = None  # weekly digest: 0 = Monday

    @property
    def collects(self) -> bool:
        return self.kind != "immediate"


IMMEDIATE = Mode("immediate")


def parse_mode(text: str) -> Mode:
    """``immediate`` | ``batch 15m`` | ``digest daily 08:00`` | ``digest weekly mon 08:00``."""
    text = " ".join(text.lower().split())
    if text == "immediate":
        return IMMEDIATE
    if m := _BATCH.match(text):
        every = parse_duration(m.group(1))
        if every < timedelta(minutes=1):
            raise ValueError(f"invalid mode '{text}': a batch window is at least 1m")
        return Mode("batch", every=every)
    if m := _DIGEST.match(text):
        at = time(int(m.group(3)), int(m.group(4)))
        weekday = WEEKDAYS.index(m.group(2)) if m.group(2) else None
        return Mode("digest", at=at, weekday=weekday)
    raise ValueError(
        f"invalid mode '{text}' (use immediate, 'batch 15m', 'digest daily 08:00' "
        "or 'digest weekly mon 08:00')"
    )


def first_due(mode: Mode, now: datetime, tz: tzinfo) -> datetime:
    """When an alert stored at ``now`` in ``mode`` is due."""
    if mode.kind == "batch":
        assert mode.every is not None
        step = mode.every.total_seconds()
        return datetime.fromtimestamp((now.timestamp() // step + 1) * step, tz=now.tzinfo)
    if mode.kind == "digest":
        assert mode.at is not None
        local = now.astimezone(tz)
        due = local.replace(hour=mode.at.hour, minute=mode.at.minute, second=0, microsecond=0)
        if mode.weekday is not None:
            due += timedelta(days=(mode.weekday - local.weekday()) % 7)
        if due <= local:
            due += timedelta(days=7 if mode.weekday is not None else 1)
        return due.astimezone(now.tzinfo)
    return now


@dataclass(frozen=True)
class Quiet:
    start: time
    end: time


def parse_quiet(text: str) -> Quiet:
    m = _QUIET.match(text.strip())
    if not m:
        raise ValueError(f"invalid quiet hours '{text}' (use e.g. '22:00-07:00')")
    return Quiet(time(int(m.group(1)), int(m.group(2))), time(int(m.group(3)), int(m.group(4))))


def quiet_until(quiet: Quiet | None, now: datetime, tz: tzinfo) -> datetime | None:
    """The end of the quiet period ``now`` falls in, or None when alerts may go out."""
    if quiet is None:
        return None
    local = now.astimezone(tz)
    t = local.time()
    inside = quiet.start <= t < quiet.end if quiet.start < quiet.end else (t >= quiet.start or t < quiet.end)
    if not inside:
        return None
    end = local.replace(hour=quiet.end.hour, minute=quiet.end.minute, second=0, microsecond=0)
    if end <= local:
        end += timedelta(days=1)
    return end.astimezone(now.tzinfo)
