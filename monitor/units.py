"""Durations and byte sizes as people write them in YAML: ``36h``, ``7d``, ``1h30m``, ``10MB`` (pure)."""

from __future__ import annotations

import re
from datetime import timedelta

_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)")
_UNIT_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
DURATION_HELP = "(use e.g. '36h' or '7d')"


def parse_duration(value: object) -> timedelta:
    """``'36h'`` → 36 hours. Raises ValueError naming the bad input."""
    if isinstance(value, timedelta):
        return value
    text = str(value).strip().lower().replace(" ", "")
    pos, total = 0, 0.0
    for m in _DURATION.finditer(text):
        if m.start() != pos:
            break
        total += float(m.group(1)) * _UNIT_SECONDS[m.group(2)]
        pos = m.end()
    if not text or pos != len(text) or isinstance(value, bool):
        raise ValueError(f"invalid duration '{value}' {DURATION_HELP}")
    try:
        return timedelta(seconds=total)
    except (OverflowError, ValueError):  # more days than timedelta holds, or an infinite float
        raise ValueError(f"duration '{value}' is too long {DURATION_HELP}") from None


def format_duration(delta: timedelta) -> str:
    """The inverse of :func:`parse_duration`, shortest form: ``timedelta(hours=36)`` → ``'1d12h'``."""
    millis = round(delta.total_seconds() * 1000)
    if millis == 0:
        return "0s"
    sign, millis = ("-", -millis) if millis < 0 else ("", millis)
    seconds, millis = divmod(millis, 1000)
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count}{unit}")
    if millis:
        parts.append(f"{millis}ms")
    return sign + "".join(parts)


_SIZE = re.compile(r"(\d+(?:\.\d+)?)\s*(b|kb|mb|gb|kib|mib|gib)?")
_SIZE_FACTOR = {
    None: 1,
    "b": 1,
    "kb": 10**3,
    "mb": 10**6,
    "gb": 10**9,
    "kib": 2**10,
    "mib": 2**20,
    "gib": 2**30,
}


MAX_SIZE = 2**60  # far beyond any limit Rasad checks; keeps absurd numbers from overflowing


def parse_size(value: object) -> int:
    """``'10MB'`` → 10_000_000 bytes; a bare integer is bytes."""
    if isinstance(value, int) and not isinstance(value, bool):
        if value < 0:
            raise ValueError(f"invalid size '{value}' (use e.g. '10MB' or '512KiB')")
        return value
    m = _SIZE.fullmatch(str(value).strip().lower())
    if not m:
        raise ValueError(f"invalid size '{value}' (use e.g. '10MB' or '512KiB')")
    size = float(m.group(1)) * _SIZE_FACTOR[m.group(2)]
    if size > MAX_SIZE:  # also catches a number too long for a float (inf)
        raise ValueError(f"size '{value}' is too large (use e.g. '10MB' or '512KiB')")
    return int(size)
