"""APScheduler's warnings about skipped runs, counted instead of logged one by one."""

from __future__ import annotations

import logging


class SkippedRuns(logging.Filter):
    """APScheduler warns once per skipped run ("maximum number of running instances reached", "was
    missed by"): with a thousand feeds behind, thousands of lines. They are counted instead, and the
    daemon reports the count once a minute (``poll.behind``)."""

    def __init__(self) -> None:
        super().__init__()
        self.count = 0
        self.jobs: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        if "maximum number of running instances" in text or "was missed by" in text:
            self.count += 1
            self.jobs.add(text.split('"', 2)[1] if text.count('"') >= 2 else "?")
            return False
        return True

    def take(self) -> tuple[int, int]:
        count, feeds = self.count, len(self.jobs)
        self.count, self.jobs = 0, set()
        return count, feeds
