"""Worker processes for CPU-heavy, untrusted work (page extraction), killable at a deadline.

``await ProcessPool.run(func, *args)`` runs a picklable module-level function in one of N worker
processes and returns its result; every failure of the job or its worker is an :class:`ExtractError`.

- **Fed from the event loop.** A job goes to its worker, and its answer comes back, over a socket
  the event loop reads and writes itself: no thread is woken per page, and the event loop never
  blocks on a worker (it waits for a socket to be ready, like for any network peer).
- **Never idle between jobs.** Each worker is handed its next job while it works on the one before
  (``DEPTH`` jobs at most, a new job going to the worker with fewest): it starts the next as soon as
  it has answered, without waiting for a busy event loop to read that answer and send another
  (milliseconds a page under a backlog, when the event loop has much else to do).
- **Warm before work.** The workers are launched by ``start()`` (or by their first job), and each
  runs the pool's ``warmup`` (for extraction: import trafilatura, extract a tiny page) on its own
  before it is handed a job. A job's ``deadline`` starts when the job reaches a ready worker, so
  neither process start-up nor imports count against a page, however loaded the machine; a job
  handed over behind another starts its clock when the one before has been answered.
- **Killed at the deadline.** A job that outlives it has its worker killed; a job waiting behind it
  in that worker had not started, and goes to the replacement.
- **Capped memory.** ``memory_limit`` caps each worker's address space (RLIMIT_AS, which bounds its
  resident memory too), set before the warm-up. A job that hits the cap gets "out of memory", also
  when the job swallowed the MemoryError (trafilatura does): a worker whose address space came within
  1/16 of the cap is treated as having hit it. Its worker is replaced: after an allocation failed it
  may hold memory it never gives back.
- **Replaced, warm.** A killed or spent worker's replacement is started at once and warms while
  idle. A worker that could not start is not restarted in a loop: the next job starts a fresh one
  and waits for it (without a deadline).

A worker is a fresh interpreter (``python -c``) with the daemon's import path, running
:func:`monitor.worker_loop.serve` over a socket pair (multiprocessing's message format: a length,
then a pickle). It is not multiprocessing's ``spawn``, which would re-run the daemon's main module
in every worker (for ``rasad``: all of the CLI's imports). Linux: the cap and the peak figures read
/proc.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import pickle
import socket
import struct
import subprocess
import sys
from collections import deque
from collections.abc import Callable
from functools import partial
from operator import attrgetter
from typing import Any

from monitor.errors import ExtractError
from monitor.logs import event
from monitor.waitlist import PRIORITY, WaitList
from monitor.worker_loop import Answer, status_bytes

log = logging.getLogger(__name__)

# A worker's whole program: the daemon's import path, then serve() on the socket it was handed.
_BOOT = (
    "import sys; sys.path[:] = sys.argv[2:]; from monitor.worker_loop import serve; serve(int(sys.argv[1]))"
)
_LOW_LIMIT = 128 * 1024 * 1024  # under this cap, a failed start is most likely the cap: say so
_LOW_LIMIT_HINT = "raise extraction.memory_limit in rasad.yaml: a warm worker takes about 50MB"
DEPTH = 3  # jobs handed to one worker at once: the one it works on, and the next two
_NOT_STARTED = object()  # a job whose worker was stopped before the job's turn came


def _framed(obj: object) -> bytes:
    """``obj`` as multiprocessing's Connection sends it: a signed 32-bit length (−1, then a 64-bit
    one, for 2 GB and over), then its pickle."""
    data = pickle.dumps(obj, pickle.HIGHEST_PROTOCOL)
    size = len(data)
    head = struct.pack("!i", size) if size <= 0x7FFFFFFF else struct.pack("!iQ", -1, size)
    return head + data


class _Process:
    """One worker process and the daemon's end of its socket; used by one job at a time."""

    def __init__(self, memory_limit: int | None, warmup: Callable[[], object] | None) -> None:
        parent, child = socket.socketpair()
        try:
            with child:
                self.popen = subprocess.Popen(
                    [sys.executable, "-c", _BOOT, str(child.fileno()), *sys.path],
                    pass_fds=(child.fileno(),),
                    stdin=subprocess.DEVNULL,
                )
        except OSError as exc:
            parent.close()
            raise ExtractError(f"could not start a worker: {exc}") from None
        # the warm-up job goes pickled inside the first message, so that the worker unpickles it (and
        # imports its module) only after its memory cap is set; a few bytes: the socket takes them
        parent.sendall(_framed((memory_limit, None if warmup is None else pickle.dumps((warmup, ())))))
        parent.setblocking(False)
        self.sock = parent
        self.memory_limit = memory_limit
        self.ready = False
        self.closed = False
        self._streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        self._starting = asyncio.Lock()  # the jobs handed to a starting worker wait for it together
        self._failed: ExtractError | None = None  # why it could not start
        # the jobs sent and not yet answered, in the order sent: each one's turn to be answered
        # (its clock starts then); the first is the one the worker is on
        self._turns: deque[asyncio.Future[None]] = deque()

    @property
    def pid(self) -> int:
        return self.popen.pid

    async def _io(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self._streams is None:
            self._streams = await asyncio.open_unix_connection(sock=self.sock)
        return self._streams

    async def _receive(self) -> Answer:
        reader, _ = await self._io()
        (size,) = struct.unpack("!i", await reader.readexactly(4))
        if size == -1:
            (size,) = struct.unpack("!Q", await reader.readexactly(8))
        answer: Answer = pickle.loads(await reader.readexactly(size))
        return answer

    async def wait_ready(self, timeout: float) -> None:
        """Wait for the warm-up to be done (no job deadline runs meanwhile)."""
        if self.ready:
            return
        async with self._starting:
            if self.ready:
                return
            if self._failed is not None:  # another job waited for the same start
                raise ExtractError(self._failed.message, hint=self._failed.hint)
            try:
                await self._warmed(timeout)
            except ExtractError as exc:
                self._failed = exc
                raise
            self.ready = True

    async def _warmed(self, timeout: float) -> None:
        try:
            async with asyncio.timeout(timeout):
                ok, value, _ = await self._receive()
        except TimeoutError:
            raise ExtractError(f"worker did not start within {timeout:g}s") from None
        except (EOFError, OSError, asyncio.IncompleteReadError):
            raise ExtractError("worker exited while starting") from None
        if not ok:
            low = value == "out of memory" or (self.memory_limit or _LOW_LIMIT) < _LOW_LIMIT
            hint = _LOW_LIMIT_HINT if low else None
            raise ExtractError(f"worker could not start: {value}", hint=hint)

    async def call(self, func: Callable[..., Any], args: tuple[Any, ...], deadline: float) -> Answer:
        """Send one job and wait for its answer. It may be sent while the worker is on another job:
        its clock starts when that one has been answered (the worker goes on to it at once then).
        ``(False, _NOT_STARTED, False)`` when the worker was stopped before the job's turn came."""
        turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        try:
            _, writer = await self._io()
            if self.closed:
                return False, _NOT_STARTED, False
            if not self._turns:
                turn.set_result(None)
            self._turns.append(turn)  # in the order the jobs are written: the order of the answers
            writer.write(_framed((func, args)))
            with contextlib.suppress(OSError):  # a worker that died on the job before: told below
                await writer.drain()
            await turn
            if self.closed:  # stopped for the job before it (or the pool closed)
                return False, _NOT_STARTED, False
            async with asyncio.timeout(deadline):
                return await self._receive()
        except TimeoutError:
            return False, f"gave up after {deadline:g}s; worker stopped", True
        except (EOFError, OSError, asyncio.IncompleteReadError):
            if self.closed:
                return False, _NOT_STARTED, False
            return False, "worker died (out of memory or crashed)", True
        finally:
            self._next_turn(turn)

    def _next_turn(self, turn: asyncio.Future[None]) -> None:
        """``turn``'s job is over: the next job's turn comes."""
        if turn in self._turns:
            self._turns.remove(turn)
        if self._turns and not self._turns[0].done():
            self._turns[0].set_result(None)

    def stop(self) -> int | None:
        """Kill the worker and close its socket; returns its peak resident memory (read before the
        kill) in bytes. A job reading the socket meanwhile gets the end of it."""
        self.closed = True
        for turn in self._turns:  # the jobs sent after the one in hand: they were never started
            if not turn.done():
                turn.set_result(None)
        peak = status_bytes(self.popen.pid, "VmHWM")
        if self.popen.poll() is None:
            self.popen.kill()
        self.popen.wait()  # a killed process is gone at once
        try:
            if self._streams is not None:
                self._streams[1].close()  # closes the socket too
                return peak
        except RuntimeError:  # the event loop is already closed
            pass
        self.sock.close()
        return peak


class _Slot:
    """A place in the pool for one worker; the process in it is replaced when it is spent."""

    def __init__(self, pool: ProcessPool) -> None:
        self.pool = pool
        self.closed = False
        self.process: _Process | None = None
        self.jobs = 0  # handed to this slot and not yet answered

    def _new(self) -> _Process:
        return _Process(self.pool.memory_limit, self.pool.warmup)

    def _start(self) -> _Process | None:
        """Start a worker ahead of its job; when that fails, the job tries again and says why."""
        with contextlib.suppress(ExtractError):
            return self._new()
        return None

    def start(self) -> None:
        if self.process is None and not self.closed:
            self.process = self._start()

    async def warm(self) -> _Process:
        """This slot's worker, once it is up and warm (started now if there is none)."""
        if self.closed:
            raise ExtractError("worker pool is closed")
        if self.process is None:
            self.process = self._new()
        process = self.process
        try:
            await process.wait_ready(self.pool.startup_timeout)
        except ExtractError as exc:
            self._retire(process, exc.message, replace=False)  # the next job starts a fresh one
            raise
        return process

    async def run(self, func: Callable[..., Any], args: tuple[Any, ...]) -> Any:
        """Run one job in this slot's worker, once it is warm; in its replacement when the worker was
        stopped for the job before this one."""
        while True:
            process = await self.warm()
            ok, value, spent = await process.call(func, args, self.pool.deadline)
            if spent:
                self._retire(process, str(value), replace=True)
            elif self.closed:
                raise ExtractError("worker pool is closed")
            if value is not _NOT_STARTED:
                break
        if not ok:
            raise ExtractError(str(value))
        return value

    def _retire(self, process: _Process, reason: str, *, replace: bool) -> None:
        if self.closed:
            raise ExtractError("worker pool is closed")
        if process is not self.process:  # another job of the same worker retired it already
            return
        peak = process.stop()
        event(log, "worker.stopped", logging.INFO, pid=process.pid, reason=reason, peak_mb=_mb(peak))
        self.process = None
        if replace:
            self.process = self._start()  # warms while idle, before it is handed a job

    def close(self) -> None:
        self.closed = True
        process, self.process = self.process, None
        if process is not None:
            peak = process.stop()
            event(log, "worker.stopped", logging.DEBUG, pid=process.pid, reason="closed", peak_mb=_mb(peak))


def _mb(size: int | None) -> int | None:
    return None if size is None else round(size / 1_048_576)


class ProcessPool:
    """N warm worker processes; ``run`` hands a job to an idle one. Close it when done."""

    def __init__(
        self,
        workers: int | None = None,
        *,
        deadline: float = 30.0,
        memory_limit: int | None = None,
        warmup: Callable[[], object] | None = None,
        startup_timeout: float = 300.0,
    ) -> None:
        self.size = workers or os.cpu_count() or 1
        self.deadline = deadline
        self.memory_limit = memory_limit
        self.warmup = warmup
        self.startup_timeout = startup_timeout  # a worker that is not warm by then is broken
        self._closed = False
        self._slots = [_Slot(self) for _ in range(self.size)]
        self._places = WaitList(list(range(self.size * DEPTH)))  # jobs the workers may hold at once

    def _release(self, slot: _Slot, place: int, job: asyncio.Future[Any]) -> None:
        if not job.cancelled():
            job.exception()  # retrieved: a cancelled caller would leave it unread
        slot.jobs -= 1
        self._places.give(place)

    async def run(self, func: Callable[..., Any], *args: Any, priority: int | None = None) -> Any:
        """Run ``func(*args)`` in a worker; when all are busy, lower ``priority`` numbers go first
        (default: the task's :data:`monitor.waitlist.PRIORITY`)."""
        if self._closed:
            raise ExtractError("worker pool is closed")
        place = await self._places.take(PRIORITY.get() if priority is None else priority)
        # the worker with fewest jobs: an idle one if there is one (and none holds more than DEPTH)
        slot = min(self._slots, key=attrgetter("jobs"))
        slot.jobs += 1
        task = asyncio.ensure_future(slot.run(func, args))
        # the place is free again when the job is done, even if this caller was cancelled meanwhile:
        # the worker's answer is read all the same, before the answer to the job after it
        task.add_done_callback(partial(self._release, slot, place))
        return await asyncio.shield(task)

    def start(self) -> None:
        """Launch the workers now, without waiting: they warm while the caller goes on. Otherwise each
        starts with its first job."""
        for slot in self._slots:
            slot.start()

    async def started(self) -> None:
        """Wait until every worker is up and warm. Jobs need not: each waits for its own worker."""
        if self._closed:
            raise ExtractError("worker pool is closed")
        # shielded: a cancelled wait must not cut a warm-up answer in half
        await asyncio.shield(asyncio.gather(*(slot.warm() for slot in self._slots)))

    def close(self) -> None:
        self._closed = True
        for slot in self._slots:
            slot.close()
