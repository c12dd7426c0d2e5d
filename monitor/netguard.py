"""Where Rasad may connect: refuse private destinations, checked on the address actually used.

Feeds link to pages anywhere; a link or a redirect to ``http://169.254.169.254/`` or ``localhost``
must not reach the machine's neighbours (SSRF). The guard sits in the HTTP client's network layer:
it resolves the host itself, refuses loopback, private, link-local, multicast, unspecified and
reserved addresses (unless an operator allow-lists their network), and connects to the very
address it checked — so DNS cannot answer differently between the check and the connection. Every
redirect opens a new connection and is checked again.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable, Sequence
from typing import Any

import httpcore

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
REFUSED = "destination refused"


class AddressPolicy:
    def __init__(self, allow: Sequence[str] = ()) -> None:
        self.allow: tuple[Network, ...] = tuple(ipaddress.ip_network(n, strict=False) for n in allow)

    def refusal(self, ip: str) -> str | None:
        """Why ``ip`` may not be connected to, or None when it may."""
        addr = ipaddress.ip_address(ip.split("%")[0])
        if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
            addr = addr.ipv4_mapped
        if any(addr in net for net in self.allow):
            return None
        for flag, reason in (
            ("is_unspecified", "unspecified"),
            ("is_loopback", "loopback"),
            ("is_link_local", "link-local"),
            ("is_multicast", "multicast"),
            ("is_reserved", "reserved"),
            ("is_private", "private"),
        ):
            if getattr(addr, flag):
                return reason
        return None


class PermissivePolicy(AddressPolicy):
    """For commands an operator runs by hand on a URL they typed (``rasad match URL``)."""

    def refusal(self, ip: str) -> str | None:
        return None


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """An httpcore network backend that resolves, checks, then connects to the checked address."""

    def __init__(self, inner: httpcore.AsyncNetworkBackend, policy: AddressPolicy) -> None:
        self.inner = inner
        self.policy = policy

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except socket.gaierror as exc:
            raise httpcore.ConnectError(f"cannot resolve {host}: {exc.strerror}") from None
        addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
        allowed = [ip for ip in addresses if self.policy.refusal(ip) is None]
        if not allowed:
            ip = addresses[0] if addresses else host
            raise httpcore.ConnectError(f"{REFUSED}: {host} is {ip} ({self.policy.refusal(ip)} address)")
        last: Exception | None = None
        for ip in allowed:
            try:
                return await self.inner.connect_tcp(
                    ip, port, timeout=timeout, local_address=local_address, socket_options=socket_options
                )
            except httpcore.ConnectError as exc:
                last = exc
        assert last is not None
        raise last

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError(f"{REFUSED}: unix sockets are never fetched")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)
