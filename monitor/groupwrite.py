"""Group commit: the writes of many tasks in one transaction.

``Batcher(write_many)``: ``await batcher.submit(item)`` queues ``item`` and returns its own result
once the transaction that holds it has committed. While one transaction runs (in a thread), the
items that arrive meanwhile wait and go together in the next, up to ``limit`` at a time: under a
backlog one commit (one sync to disk) serves dozens of articles; an item that comes alone is
written at once, so nothing waits for a batch to fill. ``write_many`` writes each item whole (an
article with its matches and deliveries), so the outbox's guarantee holds per item; when it raises,
every item of that transaction gets the exception, as each would have alone.

``linger``: an item that is not ``urgent`` may wait that long for others to share its transaction
(most of a backlog comes one article at a time, each write over before the next arrives: a
transaction each). An urgent item (an article with an alert to send) cuts the wait short, and
so does a full batch.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class Batcher(Generic[T, R]):
    def __init__(
        self, write_many: Callable[[Sequence[T]], Sequence[R]], limit: int = 200, linger: float = 0.0
    ) -> None:
        self._write_many = write_many
        self._limit = limit
        self._linger = linger
        self._waiting: list[tuple[T, asyncio.Future[R]]] = []
        self._task: asyncio.Task[None] | None = None
        self._now = asyncio.Event()  # set: write what is waiting without lingering

    async def submit(self, item: T, *, urgent: bool = False) -> R:
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._waiting.append((item, future))
        if urgent or len(self._waiting) >= self._limit:
            self._now.set()
        if self._task is None:
            self._task = asyncio.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        try:
            while self._waiting:
                if self._linger and not self._now.is_set():
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(self._linger):
                            await self._now.wait()
                self._now.clear()
                batch, self._waiting = self._waiting[: self._limit], self._waiting[self._limit :]
                try:
                    results = await asyncio.to_thread(self._write_many, [item for item, _ in batch])
                except Exception as exc:
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(exc)
                    continue
                except BaseException:  # cancelled (shutdown): no one is left waiting forever
                    for _, future in batch:
                        future.cancel()
                    raise
                for (_, future), result in zip(batch, results, strict=True):
                    if not future.done():
                        future.set_result(result)
        finally:
            self._task = None
            waiting, self._waiting = self._waiting, []
            for _, future in waiting:  # only when cancelled: the loop above empties the list
                future.cancel()
