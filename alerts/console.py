"""Prints alerts to a stream (standard output by default): the demo's channel, and handy for trying rules."""

from __future__ import annotations

import sys
from typing import TextIO

from alerts.base import Alert


class ConsoleChannel:
    def __init__(self, name: str = "console", stream: TextIO | None = None) -> None:
        self.name = name
        self.stream = stream or sys.stdout

    async def send(self, alert: Alert) -> str | None:
        self.stream.write(f"── {self.name}: {alert.rule_name} " + "─" * 40 + f"\n{alert.text}\n")
        self.stream.flush()
        return None

    async def aclose(self) -> None:
        return None
