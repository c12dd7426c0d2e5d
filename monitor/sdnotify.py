"""systemd's notify protocol in a few lines: READY=1, WATCHDOG=1, STOPPING=1, STATUS=…

Does nothing when ``NOTIFY_SOCKET`` is unset (not under systemd, or Type= is not notify).
"""

from __future__ import annotations

import contextlib
import os
import socket
from collections.abc import Mapping


class Notifier:
    def __init__(self, environ: Mapping[str, str] = os.environ) -> None:
        address = environ.get("NOTIFY_SOCKET", "")
        self.address = "\0" + address[1:] if address.startswith("@") else address
        usec = environ.get("WATCHDOG_USEC", "")
        pid = environ.get("WATCHDOG_PID", "")
        ours = not pid or pid == str(os.getpid())
        self.watchdog_interval: float | None = int(usec) / 2e6 if usec.isdigit() and ours else None

    @property
    def enabled(self) -> bool:
        return bool(self.address)

    def notify(self, *states: str) -> None:
        if not self.address:
            return
        # systemd gone, socket unreachable or its queue full: never fatal, and never a wait (the
        # event loop calls this; a reader that stopped reading must not freeze the daemon)
        with (
            socket.socket(
                socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC | socket.SOCK_NONBLOCK
            ) as sock,
            contextlib.suppress(OSError),
        ):
            sock.sendto("\n".join(states).encode(), self.address)
