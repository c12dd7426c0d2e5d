"""Value types of the config files: durations and sizes as people write them, within sane bounds (pure).

``Duration`` and ``ByteSize`` accept any valid value; ``between("1s", "7d")`` and
``size_between("100KB", "100MB")`` also refuse values a setting cannot sensibly take (a poll interval
of ``0s`` would stop the daemon at start), with the message ``must be at least 1s (got 0s)``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from pydantic import BeforeValidator, ConfigDict
from pydantic_core import PydanticCustomError

from monitor.units import format_duration, parse_duration, parse_size

# every config model: unknown keys are errors, values never change after loading
MODEL_CONFIG = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def _duration(value: object) -> timedelta:
    try:
        return parse_duration(value)
    except ValueError as exc:
        raise PydanticCustomError("duration", str(exc)) from None


def _size(value: object) -> int:
    try:
        return parse_size(value)
    except ValueError as exc:
        raise PydanticCustomError("size", str(exc)) from None


def _written(value: object, parsed: timedelta | int) -> str:
    """The value as the user wrote it, for messages."""
    if isinstance(value, str):
        return value.strip()
    return format_duration(parsed) if isinstance(parsed, timedelta) else str(parsed)


def _out_of_range(value: object, parsed: timedelta | int, low: bool, bound: str) -> PydanticCustomError:
    return PydanticCustomError(
        "out_of_range",
        "must be at {which} {bound} (got {got})",
        {"which": "least" if low else "most", "bound": bound, "got": _written(value, parsed)},
    )


def between(lo: str, hi: str) -> BeforeValidator:
    """A duration from ``lo`` to ``hi`` (both included), e.g. ``between("1s", "7d")``."""
    low, high = parse_duration(lo), parse_duration(hi)

    def check(value: object) -> timedelta:
        delta = _duration(value)
        if delta < low or delta > high:
            raise _out_of_range(value, delta, delta < low, lo if delta < low else hi)
        return delta

    return BeforeValidator(check)


def size_between(lo: str, hi: str) -> BeforeValidator:
    """A size in bytes from ``lo`` to ``hi`` (both included), e.g. ``size_between("100KB", "100MB")``."""
    low, high = parse_size(lo), parse_size(hi)

    def check(value: object) -> int:
        size = _size(value)
        if size < low or size > high:
            raise _out_of_range(value, size, size < low, lo if size < low else hi)
        return size

    return BeforeValidator(check)


Duration = Annotated[timedelta, BeforeValidator(_duration)]
ByteSize = Annotated[int, BeforeValidator(_size)]
