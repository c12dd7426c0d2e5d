"""The worker slots' wait list: free items at once, then waiters by priority, then by arrival."""

import asyncio

from monitor.waitlist import Budget, WaitList


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


def test_a_budget_lets_one_waiter_in_per_unit_done_by_priority():
    async def go():
        budget = Budget(2)
        await budget.room()
        await budget.room()  # two units taken: the limit
        budget.add(3)  # work the first two took on: 5 outstanding
        entered: list[str] = []

        async def wait(name: str, priority: int) -> None:
            await budget.room(priority)
            entered.append(name)

        tasks = {n: asyncio.create_task(wait(n, p)) for n, p in (("late", 2), ("urgent", 0), ("gone", 1))}
        await asyncio.sleep(0)
        tasks["gone"].cancel()
        for _ in range(3):  # 5 → 2 outstanding: still at the limit, no one enters
            budget.done()
        await asyncio.sleep(0)
        assert entered == [] and budget.count == 2
        budget.done()  # under the limit: the most urgent waiter enters (and counts)
        await asyncio.sleep(0)
        assert entered == ["urgent"] and budget.count == 2
        budget.done()
        await tasks["late"]  # the cancelled one was skipped
        assert entered == ["urgent", "late"] and budget.count == 2
        budget.done()
        budget.done()
        await budget.room()  # nothing outstanding, no one waiting: at once
        return budget.count

    assert asyncio.run(go()) == 1


def test_a_guess_counts_until_settled_and_gives_its_units_back_once():
    async def go():
        budget = Budget(3)
        await budget.room()
        guess = budget.guess(4)  # a feed's new items, expected: 5 outstanding
        entered: list[str] = []

        async def wait(name: str) -> None:
            await budget.room()
            entered.append(name)

        tasks = [asyncio.create_task(wait(n)) for n in "ab"]
        await asyncio.sleep(0)
        assert entered == [] and budget.count == 5
        budget.add(1)  # the feed had one new item
        guess.settle()  # 6 - 4 = 2 outstanding: one waiter let in
        await asyncio.sleep(0)
        guess.settle()  # once only
        await asyncio.sleep(0)
        assert entered == ["a"] and budget.count == 3
        budget.done()
        await asyncio.gather(*tasks)
        assert entered == ["a", "b"] and budget.count == 3

    asyncio.run(go())
