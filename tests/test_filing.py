"""A matched article's story decision runs in a thread under the story lock: a cancelled caller
keeps the lock until that thread is done, so that two decisions never run side by side."""

import asyncio
import threading

import pytest

from monitor.filing import held_through


def test_a_cancelled_decision_keeps_the_lock_until_its_thread_is_done():
    async def go() -> None:
        lock = asyncio.Lock()
        started, release = threading.Event(), threading.Event()
        done: list[str] = []

        def decide() -> str:
            started.set()
            assert release.wait(120), "never released"  # only a guard against a hang
            done.append("decided")
            return "filed"

        async def caller() -> str:
            async with lock:
                return await held_through(asyncio.to_thread(decide))

        task = asyncio.create_task(caller())
        while not started.is_set():
            await asyncio.sleep(0.01)
        task.cancel()
        for _ in range(10):  # the cancellation reaches the caller
            await asyncio.sleep(0)
        assert lock.locked() and not task.done()  # its thread still runs: the lock is still held
        release.set()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert done == ["decided"] and not lock.locked()

    asyncio.run(go())


def test_an_uncancelled_decision_returns_its_result_and_raises_its_error():
    def boom() -> None:
        raise ValueError("store down")

    async def go() -> str:
        with pytest.raises(ValueError, match="store down"):
            await held_through(asyncio.to_thread(boom))
        return await held_through(asyncio.to_thread(lambda: "filed"))

    assert asyncio.run(go()) == "filed"
