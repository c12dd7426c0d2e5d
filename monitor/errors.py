"""One error hierarchy for Rasad.

Every error carries a message that starts with the step that failed (``fetch: …``) and, where the
user can do something about it, a ``hint``. Third-party exceptions are translated into these in
exactly one place per step; the CLI is the only place that turns them into text for a person.
"""

from __future__ import annotations


class RasadError(Exception):
    """Base class. ``str(err)`` is the one-line message; ``hint`` says how to fix it."""

    step = "rasad"

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.step}: {self.message}"


class ConfigError(RasadError):
    """The configuration is invalid. ``problems`` holds one ``file:line:col: path: message`` each."""

    step = "config"

    def __init__(self, problems: list[str], *, hint: str | None = None) -> None:
        super().__init__("; ".join(problems), hint=hint)
        self.problems = problems

    def __str__(self) -> str:
        return "\n".join(self.problems)


class FetchError(RasadError):
    """An HTTP request failed. ``temporary`` tells whether trying again later may help."""

    step = "fetch"

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        temporary: bool = True,
        retry_after: float | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.status = status
        self.temporary = temporary
        self.retry_after = retry_after


class ParseError(RasadError):
    """A feed could not be parsed into entries."""

    step = "parse"


class ExtractError(RasadError):
    """An article page could not be turned into text."""

    step = "extract"


class StoreError(RasadError):
    """The database could not be read or written. ``temporary``: the server is unreachable or the
    file cannot be written for now (trying again later may work); otherwise it is broken."""

    step = "store"

    def __init__(self, message: str, *, hint: str | None = None, temporary: bool = False) -> None:
        super().__init__(message, hint=hint)
        self.temporary = temporary


class StoreLost(StoreError):
    """The database Rasad was writing to is gone: its file was deleted or replaced, or its tables
    vanished. Carrying on would write into nothing; the daemon stops."""


class AlertError(RasadError):
    """An alert could not be delivered. ``temporary`` errors are retried; the others are dead-lettered."""

    step = "alert"

    def __init__(
        self,
        message: str,
        *,
        temporary: bool = True,
        retry_after: float | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.temporary = temporary
        self.retry_after = retry_after
