"""Extraction workers: results come back, a call past its deadline is killed, the pool recovers."""

import asyncio
import time

import pytest

from monitor.errors import ExtractError
from monitor.workers import ProcessPool
from tests.helpers import allocate, boom, pid_after, sleep_then


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


def test_memory_limit_stops_a_runaway_page():
    async def go():
        pool = ProcessPool(1, deadline=20, memory_limit=400 * 1024 * 1024)
        try:
            with pytest.raises(ExtractError, match="out of memory"):
                await pool.run(allocate, 1000)
            assert await pool.run(allocate, 10) == 10 * 1024 * 1024
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


def test_work_is_spread_over_workers():
    async def go():
        pool = ProcessPool(2, deadline=10)
        try:
            return await asyncio.gather(pool.run(pid_after, 0.5), pool.run(pid_after, 0.5))
        finally:
            pool.close()

    first, second = asyncio.run(go())
    assert first != second  # two processes worked at once
