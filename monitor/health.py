"""Is a source healthy? (pure)

A feed is unhealthy when it has failed ``failures`` times in a row, or when it has been silent (no
new article) for much longer than its usual publishing cadence: ``silence_factor`` times the median
gap between its recent articles, and at least ``min_silence``. The store turns a change of state into
one notice (unhealthy, then recovered), never one per failure.
"""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

MIN_HISTORY = 5  # articles needed before silence means anything


@dataclass(frozen=True)
class HealthRules:
    failures: int = 5
    silence_factor: float = 6.0
    min_silence: timedelta = timedelta(hours=12)


def cadence(first_seen: Sequence[datetime]) -> timedelta | None:
    """The median gap between consecutive new articles, or None with too little history."""
    times = sorted(first_seen)
    if len(times) < MIN_HISTORY:
        return None
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(times)]
    return timedelta(seconds=statistics.median(gaps))


def problem(
    now: datetime,
    rules: HealthRules,
    *,
    error_count: int,
    last_error: str | None,
    first_seen: Sequence[datetime],
) -> str | None:
    """What is wrong with the feed, in one line, or None when it is healthy."""
    if error_count >= rules.failures:
        return f"failed {error_count} times in a row: {last_error}"
    usual = cadence(first_seen)
    if usual is not None:
        silent = now - max(first_seen)
        limit = max(rules.min_silence, usual * rules.silence_factor)
        if silent > limit:
            hours = silent.total_seconds() / 3600
            return (
                f"no new article for {hours:.0f} h; it usually publishes every "
                f"{usual.total_seconds() / 60:.0f} min"
            )
    return None
