"""httpcore's network layer on asyncio's own streams, without anyio in between.

httpcore talks to the network through a backend; under asyncio its default is anyio's, which wraps
every read and write in a cancel scope with its own deadline, pauses and resumes the transport
around every read, and answers "is this idle connection readable?" (asked before each reuse) by
building the socket's whole attribute table. That was about a tenth of the daemon's main process
in a first poll of 200 feeds, on the process every page passes through. Here a connection is an
asyncio :class:`asyncio.StreamReader`/:class:`asyncio.StreamWriter` pair, each read and write
bounded by ``asyncio.timeout``; TLS is ``StreamWriter.start_tls``. Errors are httpcore's, as from
its own backends: a connection that cannot be made is a ``ConnectError``/``ConnectTimeout``, a
broken or stalled one a ``ReadError``/``WriteError`` or ``ReadTimeout``/``WriteTimeout``.
:class:`monitor.netguard.GuardedBackend` decides where it may connect; this only connects.
"""

from __future__ import annotations

import asyncio
import select
import socket
import ssl
from collections.abc import Iterable
from typing import Any

import httpcore


def _late(what: str, timeout: float | None) -> str:
    return f"{what} timed out" if timeout is None else f"{what}: nothing within {timeout:g}s"


class AsyncioStream(httpcore.AsyncNetworkStream):
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        try:
            async with asyncio.timeout(timeout):
                return await self._reader.read(max_bytes)
        except TimeoutError:
            raise httpcore.ReadTimeout(_late("read", timeout)) from None
        except (OSError, ssl.SSLError) as exc:
            raise httpcore.ReadError(str(exc) or type(exc).__name__) from exc

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if not buffer:
            return
        try:
            async with asyncio.timeout(timeout):
                self._writer.write(buffer)
                await self._writer.drain()
        except TimeoutError:
            raise httpcore.WriteTimeout(_late("write", timeout)) from None
        except (OSError, ssl.SSLError, RuntimeError) as exc:  # RuntimeError: written after a close
            raise httpcore.WriteError(str(exc) or type(exc).__name__) from exc

    async def aclose(self) -> None:
        if self._writer.get_extra_info("ssl_object") is not None:
            # TLS's closing handshake is not waited for (nor is it by httpcore's own backends): a
            # close would wait for the server's answer, and a server that is slow to give it left
            # the socket open past the event loop's end, for the garbage collector to find
            self._writer.transport.abort()
        else:
            self._writer.close()

    async def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.AsyncNetworkStream:
        try:
            async with asyncio.timeout(timeout):
                await self._writer.start_tls(ssl_context, server_hostname=server_hostname)
        except TimeoutError:
            self._writer.close()
            raise httpcore.ConnectTimeout(_late("TLS handshake", timeout)) from None
        except (OSError, ssl.SSLError) as exc:
            self._writer.close()
            raise httpcore.ConnectError(str(exc) or type(exc).__name__) from exc
        return self

    def get_extra_info(self, info: str) -> Any:
        if info == "ssl_object":
            return self._writer.get_extra_info("ssl_object")
        if info == "client_addr":
            return self._writer.get_extra_info("sockname")
        if info == "server_addr":
            return self._writer.get_extra_info("peername")
        if info == "socket":
            return self._writer.get_extra_info("socket")
        if info == "is_readable":  # asked of an idle connection: has the server closed it, or sent junk?
            return self._readable()
        return None

    def _readable(self) -> bool:
        if self._reader.at_eof() or self._writer.is_closing():
            return True
        sock = self._writer.get_extra_info("socket")
        if sock is None or sock.fileno() < 0:
            return True
        poll = select.poll()
        poll.register(sock.fileno(), select.POLLIN)
        return bool(poll.poll(0))


class AsyncioBackend(httpcore.AsyncNetworkBackend):
    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            async with asyncio.timeout(timeout):
                reader, writer = await asyncio.open_connection(
                    host, port, local_addr=(local_address, 0) if local_address else None
                )
        except TimeoutError:
            raise httpcore.ConnectTimeout(_late("connect", timeout)) from None
        except OSError as exc:
            raise httpcore.ConnectError(str(exc) or type(exc).__name__) from exc
        sock = writer.get_extra_info("socket")
        for option in socket_options or ():
            sock.setsockopt(*option)
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return AsyncioStream(reader, writer)

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("unix sockets are not fetched")

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)
