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


def getpid() -> int:
    import os

    return os.getpid()


def slow_warmup() -> None:
    """A start-up that takes longer than the tests' deadlines, however fast the machine."""
    time.sleep(3)


def wait_for_file(path: str, limit: float) -> None:
    """A warm-up only the test can end (by creating ``path``); gives up after ``limit`` seconds."""
    import os

    end = time.monotonic() + limit
    while not os.path.exists(path):
        if time.monotonic() > end:
            raise TimeoutError(f"{path} never appeared")
        time.sleep(0.01)


def hang(*args: object) -> None:
    """A job (a page's extraction) that never ends by itself: only the deadline stops it."""
    time.sleep(3600)


def fill_memory(megabytes: int, swallow: bool) -> int:
    """Allocate 1 MB blocks, as a parser building a huge tree does; ``swallow`` the MemoryError, as
    trafilatura does, and return normally."""
    blocks = []
    try:
        for _ in range(megabytes):
            blocks.append(bytearray(1024 * 1024))
    except MemoryError:
        if not swallow:
            raise
    return len(blocks)


def mark_then_hang(path: str) -> None:
    """Says it has started (creates ``path``), then works for an hour."""
    open(path, "w").close()
    time.sleep(3600)
