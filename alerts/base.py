"""The one small interface every channel implements, and the rendered alert it is given."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from monitor.model import Article


@dataclass(frozen=True)
class Alert:
    """One match, rendered for every channel. ``key`` is stable across resends (idempotency)."""

    key: str
    rule_id: str
    rule_name: str
    article: Article | None  # None for a notice about Rasad itself (source health)
    score: float
    terms: tuple[str, ...]
    subject: str
    text: str
    html: str
    slack: dict[str, Any]
    data: dict[str, Any]  # the alert as plain data, for the webhook


class Channel(Protocol):
    """Sends an alert or raises :class:`monitor.errors.AlertError` (``temporary`` says whether to retry)."""

    name: str

    async def send(self, alert: Alert) -> None: ...

    async def aclose(self) -> None: ...
