"""Structured logging: one line per event, ``noun.verb key=value …``, to stdout for journald.

httpx and httpcore log every request URL at INFO; a Slack webhook URL is a secret, so they are
held at WARNING.
"""

from __future__ import annotations

import logging
import sys
from typing import Any


def event(logger: logging.Logger, name: str, level: int = logging.INFO, **fields: Any) -> None:
    """Log event ``name`` with ``fields`` as ``key=value`` pairs (None values left out)."""
    if not logger.isEnabledFor(level):
        return
    parts = [name]
    for key, value in fields.items():
        if value is None:
            continue
        text = str(value)
        if not text or any(c.isspace() for c in text) or '"' in text or "=" in text:
            text = '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
        parts.append(f"{key}={text}")
    logger.log(level, " ".join(parts))


def setup(level: str = "info", stream: Any = None) -> None:
    handler = logging.StreamHandler(stream or sys.stdout)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    quiet_libraries()


def quiet_libraries() -> None:
    """httpx/httpcore log request URLs (a Slack webhook URL is a secret); the others are chatty."""
    for noisy in ("httpx", "httpcore", "trafilatura", "htmldate", "apscheduler", "charset_normalizer"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
