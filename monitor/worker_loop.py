"""What runs inside an extraction worker process (see :mod:`monitor.workers`, which starts it).

``serve(fd)`` reads ``(memory_limit, warm-up job)`` from the socket, caps the process's address
space (RLIMIT_AS), runs the warm-up, then answers pickled ``(func, args)`` jobs one at a time with
``(ok, result or error text, spent)`` until the socket closes. ``spent`` asks the pool to replace
this worker: it hit its memory cap. This module imports little, so that a worker starts small
(monitor.workers' asyncio and subprocess would cost each worker 10 MB).
"""

from __future__ import annotations

import contextlib
import os
import pickle
import resource
from multiprocessing.connection import Connection
from typing import Any

from monitor.errors import RasadError

Answer = tuple[bool, Any, bool]  # (ok, result or error text, worker spent: replace it)
_NEAR = 16  # within limit/16 of its cap, a worker may have lost an allocation the job never reported


def status_bytes(pid: int | str, key: str) -> int | None:
    """A ``Vm…`` line of /proc/<pid>/status in bytes; None when it cannot be read (not Linux, gone)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def _answer(memory_limit: int | None, job: bytes) -> Answer:
    """Run one pickled ``(func, args)`` job; unpickling it (which imports its module) is part of it."""
    try:
        func, args = pickle.loads(job)
        ok, value, spent = True, func(*args), False
    except MemoryError:
        ok, value, spent = False, "out of memory", True
    except RasadError as exc:
        ok, value, spent = False, exc.message, False
    except Exception as exc:  # the worker reports every failure; the caller decides
        ok, value, spent = False, f"{type(exc).__name__}: {exc}", False
    peak = status_bytes("self", "VmPeak") if memory_limit else None
    if memory_limit and peak is not None and peak >= memory_limit - memory_limit // _NEAR:
        return False, "out of memory", True
    return ok, value, spent


def _die_with_parent() -> None:
    """Linux: SIGKILL this worker when the daemon dies, even by SIGKILL (the socket's EOF would
    only be read after the job in hand, which may take its whole deadline)."""
    import ctypes
    import signal
    import sys

    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _batch_scheduling() -> None:
    """Linux: schedule this worker as a batch job (SCHED_BATCH): the same share of the CPU as
    any process, but a worker handed a page does not preempt the daemon on waking, so the event
    loop that feeds every worker, fetches and stores is not put aside each time it hands one a page."""
    with contextlib.suppress(AttributeError, OSError):  # not Linux, or not permitted: as it was
        os.sched_setscheduler(0, os.SCHED_BATCH, os.sched_param(0))


def serve(fd: int) -> None:
    """A worker's main loop: cap its memory, warm up, answer jobs until EOF."""
    _die_with_parent()
    _batch_scheduling()
    conn = Connection(fd)
    try:
        memory_limit, warmup = conn.recv()  # plain data: nothing is imported before the cap is set
        if memory_limit:
            resource.setrlimit(resource.RLIMIT_AS, (memory_limit, memory_limit))
        conn.send((True, None, False) if warmup is None else _answer(memory_limit, warmup))
        while True:
            answer = _answer(memory_limit, conn.recv_bytes())
            try:
                conn.send(answer)
            except (pickle.PicklingError, TypeError, AttributeError) as exc:
                conn.send((False, f"result cannot be sent back: {exc}", False))
    except MemoryError:  # outside a job (receiving one): this worker is done
        conn.send((False, "out of memory", True))
    except (EOFError, OSError, KeyboardInterrupt):
        return
