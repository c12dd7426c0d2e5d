"""One connection pool per host, behind one httpx transport.

httpx keeps every keep-alive connection in one pool and, on each request added or finished, asks
each idle connection whether the server closed it (a socket poll and a peer-name lookup apiece):
with sixteen hosts' connections idle, that was a sixth of the daemon's main thread in a first poll
of 200 feeds. Here each host (scheme, name, port) gets its own small pool, created on its first
request, so a request looks only at its own host's few connections. The per-host and global caps
stay in :class:`monitor.fetch.Fetcher`; each pool is guarded by the same address policy, and all
share one TLS context (loading the CA bundle takes 20 ms: once, not once per host).
"""

from __future__ import annotations

import ssl

import httpx

from monitor.netguard import AddressPolicy, GuardedBackend
from monitor.netstream import AsyncioBackend


def guarded_transport(
    max_connections: int, policy: AddressPolicy, tls: ssl.SSLContext | None = None
) -> httpx.AsyncHTTPTransport:
    """An httpx transport whose connections go only where ``policy`` allows."""
    transport = httpx.AsyncHTTPTransport(
        verify=tls if tls is not None else True,
        limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections),
        trust_env=False,
    )
    # httpx has no public hook for the network layer; its pool keeps the backend here
    pool = transport._pool
    pool._network_backend = GuardedBackend(AsyncioBackend(), policy)
    return transport


class PerHostTransport(httpx.AsyncBaseTransport):
    def __init__(self, per_host: int, policy: AddressPolicy) -> None:
        self._per_host = per_host
        self._policy = policy
        self._hosts: dict[tuple[bytes, bytes, int | None], httpx.AsyncHTTPTransport] = {}
        self._tls: ssl.SSLContext | None = None  # made with the first host's pool

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        key = (url.raw_scheme, url.raw_host, url.port)
        transport = self._hosts.get(key)
        if transport is None:
            if self._tls is None:
                self._tls = httpx.create_ssl_context(trust_env=False)
            transport = self._hosts[key] = guarded_transport(self._per_host, self._policy, self._tls)
        return await transport.handle_async_request(request)

    async def aclose(self) -> None:
        for transport in self._hosts.values():
            await transport.aclose()
        self._hosts.clear()
