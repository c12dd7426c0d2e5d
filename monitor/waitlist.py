"""A free list of interchangeable things (worker slots) that waiting callers get by priority.

``await take(priority)`` returns a free item at once, or waits; ``give(item)`` hands a returned item
to the waiter with the lowest priority number (then the earliest), else keeps it. Under a backlog
this is what lets an article that looks like a match be extracted before a thousand that do not.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import Generic, TypeVar

T = TypeVar("T")

# The priority of the work the current task asks for (lower goes first): the pipeline sets it per
# article, the fetcher and the worker pool read it, so their callers' signatures need not carry it.
# Feeds are fetched at 1 (the default): a likely alert's page (0) goes before them, the other
# pages (2) after, since a feed is what tells which pages are likely alerts.
PRIORITY: ContextVar[int] = ContextVar("rasad_priority", default=1)
URGENT, FEED, ORDINARY = 0, 1, 2


class _Waiters(Generic[T]):
    """Callers waiting for a value, served by priority (lower first), then by arrival."""

    def __init__(self) -> None:
        self._heap: list[tuple[int, int, asyncio.Future[T]]] = []
        self._order = itertools.count()

    def __bool__(self) -> bool:
        return bool(self._heap)

    def __len__(self) -> int:
        return sum(1 for _, _, f in self._heap if not f.done())

    async def wait(self, priority: int, unused: Callable[[T], None]) -> T:
        """The value handed to this caller; ``unused`` takes it back when it arrives just as the
        caller is cancelled, so that it goes to the next one."""
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._heap, (priority, next(self._order), future))
        try:
            return await future
        except asyncio.CancelledError:
            if future.done() and not future.cancelled():
                unused(future.result())
            raise

    def wake(self, value: T) -> bool:
        """Hand ``value`` to the first caller still waiting; False when there is none."""
        while self._heap:
            _, _, future = heapq.heappop(self._heap)
            if not future.done():
                future.set_result(value)
                return True
        return False


class WaitList(Generic[T]):
    def __init__(self, items: list[T]) -> None:
        self._free = list(items)
        self._waiters: _Waiters[T] = _Waiters()

    async def take(self, priority: int = 0) -> T:
        if self._free and not self._waiters:
            return self._free.pop()
        return await self._waiters.wait(priority, self.give)

    def give(self, item: T) -> None:
        if not self._waiters.wake(item):
            self._free.append(item)

    @property
    def waiting(self) -> int:
        return len(self._waiters)


class Gate:
    """A semaphore whose waiters enter by :data:`PRIORITY` (then by arrival)."""

    def __init__(self, size: int) -> None:
        self._tokens = WaitList(list(range(size)))

    @asynccontextmanager
    async def enter(self) -> AsyncIterator[None]:
        token = await self._tokens.take(PRIORITY.get())
        try:
            yield
        finally:
            self._tokens.give(token)


class Budget:
    """Work outstanding (feeds being polled, new articles not yet stored) against a limit:
    ``await room(priority)`` takes one unit (the caller's own) while the count is under the limit,
    else waits its turn by priority. ``add(n)`` counts more work taken on, ``done()`` one unit
    finished; each finished unit lets one waiter in, so a backlog is taken on as capacity frees, not
    all at once."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.count = 0
        self._waiters: _Waiters[None] = _Waiters()

    async def room(self, priority: int = FEED) -> None:
        if self.count < self.limit and not self._waiters:
            self.count += 1
            return
        # its unit is counted when it is let in; let in just as it gave up, the next one goes instead
        await self._waiters.wait(priority, lambda _: self.done())

    def add(self, n: int) -> None:
        self.count += n

    def done(self) -> None:
        self.count -= 1
        if self.count < self.limit and self._waiters.wake(None):
            self.count += 1

    def guess(self, n: int) -> Guess:
        """Count ``n`` units of work expected but not yet known, until the :class:`Guess` is settled."""
        self.count += n
        return Guess(self, n)


class Guess:
    """Units a :class:`Budget` counts for work expected; ``settle()`` gives them back (once)."""

    def __init__(self, budget: Budget, units: int) -> None:
        self._budget = budget
        self._units = units

    def settle(self) -> None:
        units, self._units = self._units, 0
        for _ in range(units):
            self._budget.done()
