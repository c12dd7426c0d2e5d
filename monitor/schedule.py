"""When to poll a feed next, from what its last poll said (pure).

- A healthy feed: its interval, or longer when the server asks (``Cache-Control: max-age``,
  ``Retry-After``), never more than a day.
- A failing feed: exponential backoff with jitter, capped at a day — never a silent stop; the next
  attempt is stored on the feed and shown by ``rasad feeds``.
- Validators are trusted for a few hours only: a server that answers 304 forever while its content
  changed is caught by a forced full fetch.
"""

from __future__ import annotations

import random
import re
from datetime import datetime, timedelta

MAX_DELAY = timedelta(hours=24)
FULL_FETCH_EVERY = timedelta(hours=6)
_MAX_AGE = re.compile(r"(?:^|,)\s*(?:s-)?max-age\s*=\s*\"?(\d+)", re.IGNORECASE)


def max_age(cache_control: str | None) -> float | None:
    """Seconds from ``Cache-Control: max-age=N`` (None with no-cache / no-store or without max-age)."""
    if not cache_control or re.search(r"no-cache|no-store", cache_control, re.IGNORECASE):
        return None
    m = _MAX_AGE.search(cache_control)
    return float(m.group(1)) if m else None


def next_poll(
    now: datetime,
    interval: timedelta,
    *,
    failed: bool,
    error_count: int = 0,
    retry_after: float | None = None,
    cache_max_age: float | None = None,
    rng: random.Random,
) -> datetime:
    if failed:
        delay = interval * 2 ** min(max(error_count - 1, 0), 16)
        delay = min(delay, MAX_DELAY) * rng.uniform(0.8, 1.2)  # failing feeds do not retry in lockstep
    else:
        delay = interval
        if cache_max_age is not None:
            delay = max(delay, timedelta(seconds=cache_max_age))
    if retry_after is not None:
        delay = max(delay, timedelta(seconds=retry_after))
    return now + min(delay, MAX_DELAY * 1.2)


def trust_validators(last_full_fetch: datetime | None, now: datetime) -> bool:
    """Send If-None-Match / If-Modified-Since only if a full fetch happened recently."""
    return last_full_fetch is not None and now - last_full_fetch < FULL_FETCH_EVERY


CADENCE_WINDOW = timedelta(days=7)


def cadence(published: list[datetime], now: datetime) -> timedelta | None:
    """A feed's publishing cadence from its items' dates: the time since the oldest item of the last
    week divided by the number of items in that week (as Miniflux's entry-frequency scheduler
    counts a week's entries); a week when none is that recent. None when no item is dated: nothing
    to learn from."""
    if not published:
        return None
    recent = [p for p in published if now - CADENCE_WINDOW <= p <= now]
    if not recent:
        return CADENCE_WINDOW  # quiet: polled at the ceiling
    gap = max(now - min(recent), timedelta(seconds=1)) / len(recent)
    return timedelta(seconds=round(gap.total_seconds()))  # to the second: it paces a poll


def poll_interval(
    *,
    fixed: timedelta | None,
    priority: bool,
    learned: timedelta | None,
    default: timedelta,
    adaptive: bool,
    floor: timedelta,
    ceiling: timedelta,
) -> timedelta:
    """How often a feed is polled: its own ``interval`` when it has one; a priority feed at the floor;
    with ``adaptive``, its learned cadence within floor and ceiling (the default, within them, until
    its first poll has taught it); otherwise the default."""
    if fixed is not None:
        return fixed
    if priority:
        return floor
    if not adaptive:
        return default
    return min(max(learned if learned is not None else default, floor), ceiling)
