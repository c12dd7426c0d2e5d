"""Extraction workers: results come back, a call past its deadline is killed, the pool recovers.

No deadline here includes a worker's start-up: the pool warms each worker before handing it a job.
"""

import asyncio
import logging
import os
import re
import time
from functools import partial

import pytest

from monitor.errors import ExtractError
from monitor.workers import DEPTH, ProcessPool
from tests.helpers import (
    allocate,
    boom,
    fill_memory,
    getpid,
    pid_after,
    sleep_then,
    slow_warmup,
    wait_for_file,
)

MB = 1024 * 1024


def test_deadline_kills_the_worker_and_the_pool_carries_on():
    async def go():
        pool = ProcessPool(1, deadline=1.0)
        try:
            assert await pool.run(sleep_then, "warm", 0) == "warm"
            start = time.monotonic()
            with pytest.raises(ExtractError, match="gave up after 1s; worker stopped"):
                await pool.run(sleep_then, "never", 30)
            assert time.monotonic() - start < 10  # not the 30 s the job wanted
            assert await pool.run(sleep_then, "ok", 0) == "ok"  # a fresh worker took its place
        finally:
            pool.close()

    asyncio.run(go())


def test_a_job_handed_over_behind_one_killed_at_its_deadline_runs_in_the_replacement():
    async def go():
        pool = ProcessPool(1, deadline=1.0)
        try:
            first = await pool.run(getpid)
            stuck = asyncio.create_task(pool.run(sleep_then, "never", 30))
            behind = asyncio.create_task(pool.run(getpid))  # sent to the same worker, after it
            with pytest.raises(ExtractError, match="gave up after 1s; worker stopped"):
                await stuck
            assert await behind not in (first, None)  # done, by the worker that took its place
        finally:
            pool.close()

    asyncio.run(go())


def test_a_job_handed_over_behind_another_is_not_timed_while_it_waits():
    async def go():
        pool = ProcessPool(1, deadline=5.0)
        try:
            await pool.run(getpid)  # warm
            # each job takes 3 s of the worker's 5; the second waits 3 s for the first, in the worker
            return await asyncio.gather(pool.run(sleep_then, "a", 3), pool.run(sleep_then, "b", 3))
        finally:
            pool.close()

    assert asyncio.run(go()) == ["a", "b"]


def test_the_deadline_starts_when_the_job_reaches_a_warm_worker():
    async def go():
        # each worker's start-up (a new interpreter, then a 3 s warm-up) is longer than the deadline
        pool = ProcessPool(1, deadline=2.0, warmup=slow_warmup)
        try:
            assert await pool.run(sleep_then, "first", 0) == "first"
            with pytest.raises(ExtractError, match="gave up after 2s; worker stopped"):
                await pool.run(sleep_then, "never", 600)
            # the replacement was warmed before it got this job, too
            assert await pool.run(sleep_then, "after", 0) == "after"
        finally:
            pool.close()

    asyncio.run(go())


def test_starting_workers_never_blocks_the_event_loop(tmp_path):
    flag = tmp_path / "warm"

    async def go():
        # the warm-up ends only when this coroutine creates the file: if making the pool or handing it
        # a job waited for the warm-up on the event loop, the file would never come (until the limit)
        pool = ProcessPool(1, deadline=10, warmup=partial(wait_for_file, str(flag), 120))
        try:
            job = asyncio.create_task(pool.run(sleep_then, "ok", 0))
            for _ in range(5):
                await asyncio.sleep(0)
            assert not job.done()  # waiting for its worker to be warm
            flag.touch()
            assert await job == "ok"
        finally:
            pool.close()

    asyncio.run(go())


def test_a_worker_that_cannot_start_fails_its_job_and_the_next_job_tries_again():
    async def go():
        pool = ProcessPool(1, deadline=10, warmup=boom)
        try:
            for _ in range(2):
                with pytest.raises(ExtractError, match="worker could not start: ValueError: bad page"):
                    await pool.run(sleep_then, "never", 0)
        finally:
            pool.close()

    asyncio.run(go())


def test_a_memory_limit_too_low_to_start_a_worker_says_so():
    async def go():
        pool = ProcessPool(1, memory_limit=100 * MB, warmup=partial(allocate, 200))
        try:
            with pytest.raises(
                ExtractError, match=r"^extract: worker could not start: out of memory$"
            ) as exc:
                await pool.run(sleep_then, "never", 0)
            assert (
                exc.value.hint
                == "raise extraction.memory_limit in rasad.yaml: a warm worker takes about 50MB"
            )
        finally:
            pool.close()

    asyncio.run(go())


def test_memory_limit_stops_a_runaway_page():
    async def go():
        pool = ProcessPool(1, deadline=20, memory_limit=400 * MB)
        try:
            with pytest.raises(ExtractError, match="out of memory"):
                await pool.run(allocate, 1000)
            assert await pool.run(allocate, 10) == 10 * MB
        finally:
            pool.close()

    asyncio.run(go())


@pytest.mark.parametrize("swallow", [False, True], ids=["raised", "swallowed"])
def test_a_worker_that_hits_its_memory_limit_is_replaced(swallow, caplog):
    """trafilatura catches MemoryError and carries on: the cap is hit all the same, and the worker,
    left near its cap (and holding what it allocated until a garbage collection), is replaced."""
    caplog.set_level(logging.INFO, logger="monitor.workers")

    async def go():
        pool = ProcessPool(2, deadline=60, memory_limit=256 * MB)
        try:
            first = await asyncio.gather(pool.run(getpid), pool.run(getpid))
            for outcome in await asyncio.gather(
                pool.run(fill_memory, 2000, swallow),
                pool.run(fill_memory, 2000, swallow),
                return_exceptions=True,
            ):
                assert isinstance(outcome, ExtractError) and str(outcome) == "extract: out of memory"
            after = await asyncio.gather(pool.run(getpid), pool.run(getpid))
            assert set(after).isdisjoint(first)
            assert await pool.run(fill_memory, 100, swallow) == 100  # the replacements work
        finally:
            pool.close()

    asyncio.run(go())
    peaks = [
        int(m) for m in re.findall(r"worker.stopped .*reason=\"out of memory\" peak_mb=(\d+)", caplog.text)
    ]
    assert len(peaks) == 2 and all(120 < peak <= 256 for peak in peaks)  # each worker held to its cap


def test_a_cancelled_caller_leaves_its_worker_to_finish_before_the_next_job():
    async def go():
        pool = ProcessPool(1, deadline=30)
        try:
            first = asyncio.create_task(pool.run(sleep_then, "first", 0.5))
            for _ in range(5):
                await asyncio.sleep(0)
            first.cancel()
            # the next job waits for the worker to answer the first, and gets its own answer
            assert await pool.run(sleep_then, "second", 0) == "second"
            assert first.cancelled()
        finally:
            pool.close()

    asyncio.run(go())


def test_an_exception_in_the_worker_is_reported():
    async def go():
        pool = ProcessPool(1)
        try:
            with pytest.raises(ExtractError, match="ValueError: bad page"):
                await pool.run(boom)
        finally:
            pool.close()

    asyncio.run(go())


@pytest.mark.skipif(not hasattr(os, "SCHED_BATCH"), reason="Linux scheduling policy")
def test_workers_run_as_batch_jobs_and_the_daemon_does_not():
    # a worker handed a page must not preempt the event loop that feeds it (chrt -p shows it)
    async def go():
        pool = ProcessPool(1)
        try:
            return await pool.run(os.sched_getscheduler, 0)
        finally:
            pool.close()

    assert asyncio.run(go()) == os.SCHED_BATCH
    assert os.sched_getscheduler(0) == os.SCHED_OTHER


def test_work_is_spread_over_workers():
    async def go():
        pool = ProcessPool(2, deadline=10)
        try:
            return await asyncio.gather(pool.run(pid_after, 0.5), pool.run(pid_after, 0.5))
        finally:
            pool.close()

    first, second = asyncio.run(go())
    assert first != second  # two processes worked at once


DAEMON = """
import asyncio, sys
from monitor.workers import ProcessPool
from tests.helpers import getpid, mark_then_hang

async def main():
    pool = ProcessPool(1, deadline=3600)
    print(await pool.run(getpid), flush=True)  # the worker's pid
    await pool.run(mark_then_hang, sys.argv[1])  # busy for an hour, when the daemon is killed

asyncio.run(main())
"""


def test_a_worker_dies_with_a_daemon_killed_in_the_middle_of_a_job(tmp_path):
    """SIGKILL gives the daemon no chance to stop its workers; without the parent-death signal the
    worker would go on with its job (up to the deadline) and stay behind."""
    import os
    import signal
    import subprocess
    import sys

    from tests.conftest import ROOT

    busy = tmp_path / "busy"
    daemon = subprocess.Popen(
        [sys.executable, "-c", DAEMON, str(busy)], stdout=subprocess.PIPE, text=True, cwd=ROOT
    )
    assert daemon.stdout is not None
    worker = int(daemon.stdout.readline())
    deadline = time.monotonic() + 120  # only a guard against a hang
    while not busy.exists():
        assert time.monotonic() < deadline, "the job never started"
        time.sleep(0.05)
    os.kill(daemon.pid, signal.SIGKILL)
    daemon.wait(timeout=60)
    daemon.stdout.close()
    while os.path.exists(f"/proc/{worker}") and _state(worker) != "Z":
        assert time.monotonic() < deadline, "the worker outlived its daemon"
        time.sleep(0.05)


def _state(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "gone"


def test_when_every_worker_is_busy_the_most_urgent_job_goes_next(tmp_path):
    """A backlog of pages: the one that looks like an alert (priority 0) is extracted before the
    pages waiting ahead of it (priority 1); only the jobs already handed to the worker, next after the
    one it is on, go before it."""
    free = tmp_path / "free"

    async def go():
        pool = ProcessPool(1, deadline=600)
        try:
            blocker = asyncio.create_task(pool.run(wait_for_file, str(free), 300))  # the worker is busy
            done: list[str] = []

            async def job(name: str, priority: int) -> None:
                done.append(await pool.run(sleep_then, name, 0, priority=priority))

            # the worker's next jobs, sent already (it holds DEPTH in all)
            handed = [asyncio.create_task(job(f"handed{n}", 1)) for n in range(DEPTH - 1)]
            while pool._places.waiting or pool._slots[0].jobs != DEPTH:
                await asyncio.sleep(0.01)
            jobs = [asyncio.create_task(job(n, p)) for n, p in (("first", 1), ("second", 1), ("urgent", 0))]
            while pool._places.waiting < 3:  # all three wait for a place in the busy worker
                await asyncio.sleep(0.01)
            free.touch()
            await asyncio.gather(blocker, *handed, *jobs)
            return done
        finally:
            pool.close()

    assert asyncio.run(go()) == [*(f"handed{n}" for n in range(DEPTH - 1)), "urgent", "first", "second"]
