"""Group commit: items that arrive while a transaction runs go together in the next one; each caller
gets its own result, or its transaction's error."""

import asyncio
import threading

import pytest

from monitor.groupwrite import Batcher


def test_items_arriving_during_a_write_share_the_next_transaction():
    calls: list[list[int]] = []
    first_started, release = threading.Event(), threading.Event()

    def write_many(items):
        calls.append(list(items))
        if len(calls) == 1:
            first_started.set()
            release.wait()
        return [i * 10 for i in items]

    async def go():
        batcher: Batcher[int, int] = Batcher(write_many)
        first = asyncio.create_task(batcher.submit(1))
        await asyncio.to_thread(first_started.wait)  # the first transaction is running
        rest = [asyncio.create_task(batcher.submit(i)) for i in range(2, 7)]
        await asyncio.sleep(0)  # they are queued
        release.set()
        return await first, await asyncio.gather(*rest)

    first, rest = asyncio.run(go())
    assert calls == [[1], [2, 3, 4, 5, 6]]  # two commits for six articles
    assert first == 10 and rest == [20, 30, 40, 50, 60]


def test_a_transaction_is_capped_and_the_rest_follows():
    calls: list[int] = []

    def write_many(items):
        calls.append(len(items))
        return list(items)

    async def go():
        batcher: Batcher[int, int] = Batcher(write_many, limit=3)
        return await asyncio.gather(*(batcher.submit(i) for i in range(7)))

    assert asyncio.run(go()) == list(range(7))
    assert sum(calls) == 7 and max(calls) <= 3


def test_a_failed_transaction_fails_its_items_and_the_next_one_still_runs():
    calls: list[list[str]] = []

    def write_many(items):
        calls.append(list(items))
        if "bad" in items:
            raise OSError("disk full")
        return [f"ok:{i}" for i in items]

    async def go():
        batcher: Batcher[str, str] = Batcher(write_many)
        with pytest.raises(OSError, match="disk full"):
            await batcher.submit("bad")
        return await batcher.submit("good")

    assert asyncio.run(go()) == "ok:good"
    assert calls == [["bad"], ["good"]]


def test_a_lingering_write_waits_for_company_until_an_urgent_item_comes():
    """Articles that match nothing wait (here: up to an hour) to share a transaction; an article
    with an alert to send is written at once, and takes the waiting ones with it."""
    calls: list[list[int]] = []

    def write_many(items):
        calls.append(list(items))
        return list(items)

    async def go():
        batcher: Batcher[int, int] = Batcher(write_many, linger=3600)
        first = asyncio.create_task(batcher.submit(1))
        for _ in range(3):
            await asyncio.sleep(0)
        second = asyncio.create_task(batcher.submit(2))
        for _ in range(3):
            await asyncio.sleep(0)
        assert calls == []  # both still waiting for company
        urgent = asyncio.create_task(batcher.submit(3, urgent=True))
        # the guard only fails when the urgent item did not cut the hour short
        done, _ = await asyncio.wait({first, second, urgent}, timeout=120)
        assert len(done) == 3
        return [t.result() for t in (first, second, urgent)]

    assert asyncio.run(go()) == [1, 2, 3]
    assert calls == [[1, 2, 3]]  # one transaction for the three


def test_a_full_batch_does_not_linger():
    calls: list[list[int]] = []

    def write_many(items):
        calls.append(list(items))
        return list(items)

    async def go():
        batcher: Batcher[int, int] = Batcher(write_many, limit=3, linger=3600)
        jobs = [asyncio.create_task(batcher.submit(i)) for i in range(3)]
        done, _ = await asyncio.wait(jobs, timeout=120)
        assert len(done) == 3

    asyncio.run(go())
    assert calls == [[0, 1, 2]]
