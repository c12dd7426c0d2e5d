"""Worker processes for CPU-heavy, untrusted work (page extraction), killable at a deadline.

``ProcessPool.run(func, *args)`` runs a picklable module-level function in one of N worker processes
and returns its result. A call that outlives ``deadline`` has its worker killed (and replaced), so a
pathological page can never stall the daemon; each worker's address space is capped too. Workers
are started with ``spawn`` so they never inherit the daemon's threads, sockets or event loop.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import resource
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from monitor.errors import ExtractError

_CTX = multiprocessing.get_context("spawn")


def _serve(conn: Connection, memory_limit: int | None) -> None:
    if memory_limit:
        resource.setrlimit(resource.RLIMIT_AS, (memory_limit, memory_limit))
    while True:
        try:
            func, args = conn.recv()
        except (EOFError, KeyboardInterrupt):
            return
        try:
            conn.send((True, func(*args)))
        except MemoryError:
            conn.send((False, "out of memory"))
        except Exception as exc:  # the worker reports every failure; the caller decides
            conn.send((False, f"{type(exc).__name__}: {exc}"))


class _Worker:
    def __init__(self, memory_limit: int | None) -> None:
        self.conn, child = _CTX.Pipe()
        self.process = _CTX.Process(
            target=_serve, args=(child, memory_limit), daemon=True, name="rasad-extract"
        )
        self.process.start()
        child.close()

    def call(self, func: Callable[..., Any], args: tuple[Any, ...], deadline: float) -> Any:
        """Blocking: send one job and wait for its answer (runs in a thread)."""
        self.conn.send((func, args))
        if not self.conn.poll(deadline):
            self.kill()
            raise ExtractError(f"gave up after {deadline:g}s; worker stopped")
        try:
            ok, value = self.conn.recv()
        except (EOFError, OSError):
            self.kill()
            raise ExtractError("worker died (out of memory or crashed)") from None
        if not ok:
            raise ExtractError(str(value))
        return value

    @property
    def alive(self) -> bool:
        return self.process.is_alive()

    def kill(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(5)
        self.conn.close()


class ProcessPool:
    def __init__(
        self, workers: int | None = None, *, deadline: float = 30.0, memory_limit: int | None = None
    ) -> None:
        self.size = workers or os.cpu_count() or 1
        self.deadline = deadline
        self.memory_limit = memory_limit
        self._idle: asyncio.Queue[_Worker] | None = None
        self._all: list[_Worker] = []
        self._closed = False

    def _start(self) -> asyncio.Queue[_Worker]:
        if self._idle is None:
            self._idle = asyncio.Queue()
            for _ in range(self.size):
                w = _Worker(self.memory_limit)
                self._all.append(w)
                self._idle.put_nowait(w)
        return self._idle

    async def run(self, func: Callable[..., Any], *args: Any) -> Any:
        if self._closed:
            raise ExtractError("worker pool is closed")
        idle = self._start()
        worker = await idle.get()
        try:
            return await asyncio.to_thread(worker.call, func, args, self.deadline)
        finally:
            if not worker.alive and not self._closed:
                self._all.remove(worker)
                worker = _Worker(self.memory_limit)
                self._all.append(worker)
            idle.put_nowait(worker)

    def close(self) -> None:
        self._closed = True
        for w in self._all:
            w.kill()
        self._all.clear()
