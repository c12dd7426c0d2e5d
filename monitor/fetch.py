"""The only HTTP in Rasad: one shared ``httpx.AsyncClient``, caps, conditional GET, size limits.

``Fetcher.get(url, max_size=…, etag=…, last_modified=…)`` returns a :class:`Response` or raises
:class:`FetchError`; every httpx exception is translated here and nowhere else. Limits: a global
concurrency cap, a per-host cap (politeness), a connect timeout, a total deadline per request, and a
cap on the decoded body size enforced while streaming. The transport is injectable for tests.
"""

from __future__ import annotations

import asyncio
import email.utils
import time
import zlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

import httpx

from monitor.decoding import BoundedDecoder, TooLarge, UnsupportedEncoding
from monitor.errors import FetchError
from monitor.hostpool import PerHostTransport
from monitor.netguard import REFUSED, AddressPolicy
from monitor.waitlist import Gate

MAX_REDIRECTS = 5


@dataclass(frozen=True)
class Response:
    url: str  # after redirects
    status: int
    headers: dict[str, str]  # lower-case names
    content: bytes

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    @property
    def etag(self) -> str | None:
        return self.headers.get("etag")

    @property
    def last_modified(self) -> str | None:
        return self.headers.get("last-modified")

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()


@dataclass(frozen=True)
class Limits:
    timeout: float = 30.0  # whole request
    connect_timeout: float = 10.0
    max_connections: int = 16
    per_host: int = 2
    user_agent: str = "Rasad/0.1"


class Fetcher:
    """Owns the HTTP client. Use as ``async with Fetcher(limits) as fetcher``."""

    def __init__(
        self,
        limits: Limits,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        policy: AddressPolicy | None = None,
    ) -> None:
        self.limits = limits
        if transport is None:
            # each host its own small pool (monitor.hostpool); a redirect's hop may be a second request
            # to the same host while the first is still open, hence one connection more than the cap
            transport = PerHostTransport(limits.per_host + 1, policy or AddressPolicy())
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(limits.timeout, connect=limits.connect_timeout),
            limits=httpx.Limits(
                max_connections=limits.max_connections, max_keepalive_connections=limits.max_connections
            ),
            follow_redirects=True,
            max_redirects=MAX_REDIRECTS,
            headers={"User-Agent": limits.user_agent, "Accept-Encoding": "gzip, deflate"},
            transport=transport,
            trust_env=False,  # a proxy from the environment must not silently reroute monitoring traffic
        )
        # requests wait their turn by priority (monitor.waitlist.PRIORITY): under a backlog a likely
        # alert's page is fetched before a thousand ordinary ones
        self._global = Gate(limits.max_connections)
        self._hosts: dict[str, Gate] = {}

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._client.aclose()

    def _host(self, url: str) -> Gate:
        host = (urlsplit(url).hostname or "").lower()
        if host not in self._hosts:
            self._hosts[host] = Gate(self.limits.per_host)
        return self._hosts[host]

    async def get(
        self,
        url: str,
        *,
        max_size: int,
        etag: str | None = None,
        last_modified: str | None = None,
        accept: str = "*/*",
        admit: Callable[[], Awaitable[object]] | None = None,
    ) -> Response:
        """GET ``url``. 304 is a normal answer when validators are given; other 4xx/5xx raise.

        ``admit``: awaited once the whole answer is read, before this request's places under the
        global and per-host caps are given up (its wait is not part of the request's deadline). A
        caller that can take on only so many pages waits there for room: while it waits, no
        further page is fetched in its place, so the pages held stay bounded, and the pages
        fetched meanwhile come from every host with a free place, not only from the one whose
        articles came first."""
        headers = {"Accept": accept}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        async with self._host(url).enter(), self._global.enter():
            response = await self._timed(url, headers, max_size)
            if admit is not None:
                await admit()
            return response

    async def _timed(self, url: str, headers: dict[str, str], max_size: int) -> Response:
        """One request within the whole-request deadline, every failure a :class:`FetchError`."""
        try:
            async with asyncio.timeout(self.limits.timeout):
                return await self._get(url, headers, max_size)
        except TimeoutError:
            raise FetchError(f"{url}: no complete answer within {self.limits.timeout:g}s") from None
        except httpx.TooManyRedirects:
            raise FetchError(f"{url}: more than {MAX_REDIRECTS} redirects", temporary=False) from None
        except httpx.TimeoutException:
            raise FetchError(f"{url}: timed out") from None
        except httpx.ConnectError as exc:
            reason = _reason(exc)
            if reason.startswith(REFUSED):
                raise FetchError(
                    f"{url}: {reason}",
                    temporary=False,
                    hint="network.allow in rasad.yaml lists the private networks Rasad may fetch from: "
                    "add only your own",
                ) from None
            raise FetchError(f"{url}: cannot connect: {reason}") from None
        except httpx.InvalidURL as exc:
            raise FetchError(f"{url}: invalid URL: {exc}", temporary=False) from None
        except httpx.UnsupportedProtocol:
            raise FetchError(f"{url}: only http and https are fetched", temporary=False) from None
        except httpx.DecodingError as exc:
            raise FetchError(f"{url}: cannot decode the response: {_reason(exc)}") from None
        except httpx.HTTPError as exc:
            raise FetchError(f"{url}: {type(exc).__name__}: {_reason(exc)}") from None

    async def _get(self, url: str, headers: dict[str, str], max_size: int) -> Response:
        async with self._client.stream("GET", url, headers=headers) as resp:
            status = resp.status_code
            if status >= 400:
                raise _status_error(url, resp)
            chunks: list[bytes] = []
            if status == 304:
                # no body, but reading its end is what returns the connection to the pool for the
                # next request (unread, httpx closes it: each re-poll paid a new connection per feed)
                async for _ in resp.aiter_raw():
                    pass
            else:
                encoding = resp.headers.get("content-encoding", "")
                declared = resp.headers.get("content-length")
                if declared and declared.isdigit() and int(declared) > max_size and not encoding:
                    raise FetchError(
                        f"{url}: response of {int(declared)} bytes exceeds the {max_size}-byte cap"
                    )
                try:
                    decoder = BoundedDecoder(encoding, max_size)
                    async for raw in resp.aiter_raw():  # decoded here, in bounded steps
                        chunks.extend(decoder.feed(raw))
                except TooLarge:
                    raise FetchError(
                        f"{url}: response exceeds the {max_size}-byte cap once decoded"
                    ) from None
                except UnsupportedEncoding as exc:
                    raise FetchError(
                        f"{url}: unsupported content-encoding '{exc}'", temporary=False
                    ) from None
                except zlib.error as exc:
                    raise FetchError(f"{url}: corrupt {encoding} body: {exc}") from None
            return Response(
                url=str(resp.url),
                status=status,
                headers={k.lower(): v for k, v in resp.headers.items()},
                content=b"".join(chunks),
            )


def _status_error(url: str, resp: httpx.Response) -> FetchError:
    status = resp.status_code
    retry_after = parse_retry_after(resp.headers.get("retry-after"), time.time())
    temporary = status in (408, 425, 429) or status >= 500
    reason = resp.reason_phrase or ""
    return FetchError(
        f"{url}: HTTP {status} {reason}".rstrip(), status=status, temporary=temporary, retry_after=retry_after
    )


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - now)


def _reason(exc: Exception) -> str:
    text = str(exc) or type(exc).__name__
    return text.splitlines()[0]


def http_date(when: datetime) -> str:
    return email.utils.format_datetime(when.astimezone(UTC), usegmt=True)
