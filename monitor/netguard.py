"""Where Rasad may connect: refuse private destinations, checked on the address actually used.

Feeds link to pages anywhere; a link or a redirect to ``http://169.254.169.254/`` or ``localhost``
must not reach the machine's neighbours (SSRF). The guard sits in the HTTP client's network layer:
it resolves the host itself, refuses loopback, private, link-local, multicast, unspecified and
reserved addresses (unless an operator allow-lists their network), and connects to the very
address it checked — so DNS cannot answer differently between the check and the connection. Every
redirect opens a new connection and is checked again. A refusal says which ``network.allow`` entry
would allow it; :func:`literal_address` lets ``check-config`` warn about such feeds without DNS.
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


# Networks an operator may mean when one of their addresses is refused (link-local, multicast and
# reserved ranges are never suggested whole: 169.254.169.254 is a cloud's metadata service)
_USUAL_NETWORKS = tuple(
    ipaddress.ip_network(n)
    for n in ("127.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7")
)


def allow_suggestion(ip: str) -> str:
    """What to add to ``network.allow`` for ``ip`` to be fetched: the address, and its usual network."""
    addr = _address(ip)
    single = ipaddress.ip_network(addr)
    wider = next((net for net in _USUAL_NETWORKS if addr in net), None)
    also = f" (or {wider})" if wider is not None else ""
    return f"add {single}{also} to network.allow in rasad.yaml"


def literal_address(host: str) -> str | None:
    """The address ``host`` names without asking DNS: an IP literal (also the forms the resolver
    reads, such as ``2130706433`` or ``127.1``), or ``localhost`` (taken as 127.0.0.1); else None."""
    host = host.strip("[]").lower().rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        return "127.0.0.1"
    try:
        return str(_address(host))
    except ValueError:
        pass
    if host and all(c in "0123456789abcdefx." for c in host) and any(c.isdigit() for c in host):
        try:
            return socket.inet_ntoa(socket.inet_aton(host))
        except OSError:
            return None
    return None


def _address(ip: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    addr = ipaddress.ip_address(ip.split("%")[0])
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        return addr.ipv4_mapped
    return addr


class AddressPolicy:
    def __init__(self, allow: Sequence[str] = ()) -> None:
        self.allow: tuple[Network, ...] = tuple(ipaddress.ip_network(n, strict=False) for n in allow)

    def refusal(self, ip: str) -> str | None:
        """Why ``ip`` may not be connected to, or None when it may."""
        addr = _address(ip)
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
            raise httpcore.ConnectError(
                f"{REFUSED}: {host} is {ip} ({self.policy.refusal(ip)} address): "
                f"{allow_suggestion(ip)} if it is yours"
            )
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
