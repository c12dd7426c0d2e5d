"""The worker slots' wait list: free items at once, then waiters by priority, then by arrival."""

import asyncio

from monitor.waitlist import WaitList


def test_waiters_are_served_by_priority_then_arrival_and_a_cancelled_one_is_skipped():
    async def go():
        slots = WaitList(["a"])
        assert await slots.take() == "a"
        order: list[str] = []

        async def wait(name: str, priority: int) -> None:
            item = await slots.take(priority)
            order.append(name)
            slots.give(item)

        tasks = {n: asyncio.create_task(wait(n, p)) for n, p in (("x", 2), ("y", 1), ("z", 1), ("gone", 0))}
        await asyncio.sleep(0)
        tasks["gone"].cancel()
        slots.give("a")
        await asyncio.gather(*(t for n, t in tasks.items() if n != "gone"))
        assert slots.waiting == 0 and await slots.take() == "a"
        return order

    assert asyncio.run(go()) == ["y", "z", "x"]
