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
    reply_to: str | None = None  # a follow-up: the key of the alert it follows (email threads on it)
    thread: str | None = None  # a follow-up: the channel's id of that alert's message (a Slack ts)


class Channel(Protocol):
    """Sends an alert or raises :class:`monitor.errors.AlertError` (``temporary`` says whether to retry).
    Returns the channel's id of the message when it has one that later messages can refer to."""

    name: str

    async def send(self, alert: Alert) -> str | None: ...

    async def aclose(self) -> None: ...
