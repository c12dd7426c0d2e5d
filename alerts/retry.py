"""When a failed alert is tried again: exponential backoff with jitter, the server's
``Retry-After`` honoured, dead-lettered after too many attempts or a permanent failure."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from monitor.errors import AlertError


@dataclass(frozen=True)
class RetryPolicy:
    base: timedelta = timedelta(seconds=30)
    cap: timedelta = timedelta(hours=1)
    max_attempts: int = 12

    def next_attempt(
        self, attempts: int, now: datetime, error: AlertError, rng: random.Random
    ) -> datetime | None:
        """When to try again after failed attempt number ``attempts``; None means dead-letter."""
        if not error.temporary or attempts >= self.max_attempts:
            return None
        delay = min(self.cap.total_seconds(), self.base.total_seconds() * 2 ** (attempts - 1))
        delay *= rng.uniform(0.8, 1.2)  # jitter: many failed alerts do not all retry at the same second
        if error.retry_after is not None:
            delay = max(delay, error.retry_after)
        return now + timedelta(seconds=delay)
