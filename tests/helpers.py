"""Functions run in worker processes by the tests (they must be importable by module path)."""

import time


def sleep_then(value: str, seconds: float) -> str:
    time.sleep(seconds)
    return value


def allocate(megabytes: int) -> int:
    return len(bytearray(megabytes * 1024 * 1024))


def boom() -> None:
    raise ValueError("bad page")


def pid_after(seconds: float) -> int:
    import os

    time.sleep(seconds)
    return os.getpid()
