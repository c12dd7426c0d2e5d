"""The fetcher against a real HTTP server on 127.0.0.1: validators, caps, deadlines, errors."""

import asyncio
import time

import pytest

from monitor.errors import FetchError
from monitor.fetch import Fetcher, Limits, parse_retry_after
from monitor.netguard import AddressPolicy

LOOPBACK = AddressPolicy(["127.0.0.0/8"])  # the test servers are on loopback, refused by default


def fetch(url: str, limits: Limits | None = None, policy: AddressPolicy = LOOPBACK, **kw):
    async def go():
        async with Fetcher(limits or Limits(timeout=5), policy=policy) as f:
            return await f.get(url, max_size=kw.pop("max_size", 5_000_000), **kw)

    return asyncio.run(go())


def test_conditional_get_is_answered_304(site):
    first = fetch(site.url("/feed.xml"))
    assert first.status == 200 and first.etag and first.last_modified
    assert b"<rss" in first.content
    again = fetch(site.url("/feed.xml"), etag=first.etag)
    assert again.not_modified and again.content == b""
    by_date = fetch(site.url("/feed.xml"), last_modified=first.last_modified)
    assert by_date.not_modified
    assert [r.status for r in site.requests] == [200, 304, 304]
    assert site.requests[1].headers["if-none-match"] == first.etag


def test_a_not_modified_answer_leaves_the_connection_open_for_the_next_request(site):
    """A re-poll of many unchanged feeds on one site goes over one kept-alive connection, not a new
    connection (and, on https, a new TLS handshake) for each."""

    async def go():
        async with Fetcher(Limits(timeout=5, per_host=1), policy=LOOPBACK) as f:
            first = await f.get(site.url("/feed.xml"), max_size=10**6)
            for _ in range(3):
                assert (await f.get(site.url("/feed.xml"), max_size=10**6, etag=first.etag)).not_modified

    asyncio.run(go())
    assert [r.status for r in site.requests] == [200, 304, 304, 304]
    assert len({r.port for r in site.requests}) == 1


def test_server_errors_are_temporary_client_errors_are_not(site):
    with pytest.raises(FetchError) as e500:
        fetch(site.url("/broken/500.xml"))
    assert e500.value.temporary and e500.value.status == 500
    assert str(e500.value) == f"fetch: {site.url('/broken/500.xml')}: HTTP 500 Internal Server Error"
    with pytest.raises(FetchError) as e404:
        fetch(site.url("/broken/404.xml"))
    assert not e404.value.temporary


def test_429_carries_retry_after(site):
    with pytest.raises(FetchError) as exc:
        fetch(site.url("/broken/429.xml"))
    assert exc.value.temporary and exc.value.retry_after == 120


def test_total_deadline_cuts_a_slow_server(site):
    start = time.monotonic()
    with pytest.raises(FetchError, match="no complete answer within 1s"):
        fetch(site.url("/slow.xml"), Limits(timeout=1))
    assert time.monotonic() - start < 5  # not the 10 s the server takes


def test_decoded_size_cap_stops_a_compression_bomb(site):
    with pytest.raises(FetchError, match="exceeds the 1000000-byte cap"):
        fetch(site.url("/bomb.html"), max_size=1_000_000)


def test_redirect_loop(site):
    with pytest.raises(FetchError, match="more than 5 redirects"):
        fetch(site.url("/redirect-loop"))


def test_connection_refused_is_a_clear_temporary_error():
    with pytest.raises(FetchError) as exc:
        fetch("http://127.0.0.1:9/feed.xml")
    assert exc.value.temporary
    assert str(exc.value).startswith("fetch: http://127.0.0.1:9/feed.xml: cannot connect")


def test_only_http_and_https():
    with pytest.raises(FetchError, match="only http and https are fetched"):
        fetch("file:///etc/passwd")


def test_per_host_cap_limits_concurrency(site):
    active, peak = 0, 0
    import threading

    lock = threading.Lock()

    def slowish(h):
        nonlocal active, peak
        with lock:
            active += 1
            peak = max(peak, active)
        time.sleep(0.2)
        with lock:
            active -= 1
        from monitor.site import send

        send(h, 200, b"ok", "text/plain")

    site.routes["/slowish"] = slowish

    async def go():
        async with Fetcher(Limits(per_host=2, max_connections=10), policy=LOOPBACK) as f:
            await asyncio.gather(*(f.get(site.url("/slowish"), max_size=100) for _ in range(6)))

    asyncio.run(go())
    assert peak == 2


@pytest.mark.parametrize(
    ("value", "expected"),
    [("120", 120.0), (None, None), ("soon", None), ("Wed, 21 Oct 2015 07:28:00 GMT", 10.0)],
)
def test_parse_retry_after(value, expected):
    now = 1445412470.0  # 10 s before the HTTP date above
    assert parse_retry_after(value, now) == expected


def test_a_trickling_server_cannot_hold_a_request_past_its_deadline(site):
    def trickle(h):
        h.send_response(200)
        h.send_header("Content-Type", "application/rss+xml")
        h.send_header("Content-Length", "100000")
        h.end_headers()
        for _ in range(200):  # one byte every 0.2 s: 40 s in all
            try:
                h.wfile.write(b"<")
                h.wfile.flush()
            except OSError:
                return
            time.sleep(0.2)

    site.routes["/trickle.xml"] = trickle
    start = time.monotonic()
    with pytest.raises(FetchError, match="no complete answer within 2s"):
        fetch(site.url("/trickle.xml"), Limits(timeout=2))
    assert time.monotonic() - start < 4


def test_a_fetched_page_waiting_for_room_keeps_its_hosts_place(site):
    """``admit`` is awaited after the whole answer is read and before the request's place under
    the per-host cap is given up: while the first page waits for room, the second request to the
    same host is still waiting for that place and has not been sent (the pages held stay
    bounded); once room is made, it is sent."""
    from monitor.site import send

    site.routes["/page"] = lambda h: send(h, 200, b"<html>page</html>", "text/html")
    room = asyncio.Event()
    while_waiting: list[tuple[int, int]] = []  # (requests waiting for the host, requests sent)

    async def go():
        async with Fetcher(Limits(per_host=1, timeout=60), policy=LOOPBACK) as f:
            gate = f._host(site.url("/page"))

            async def admit() -> None:
                while_waiting.append((gate._tokens.waiting, len(site.requests)))
                await room.wait()

            first = asyncio.create_task(f.get(site.url("/page"), max_size=1000, admit=admit))
            second = asyncio.create_task(f.get(site.url("/page"), max_size=1000))
            while not while_waiting:
                assert not first.done() and not second.done()
                await asyncio.sleep(0.01)
            room.set()
            return await asyncio.gather(first, second)

    pages = asyncio.run(go())
    assert while_waiting == [(1, 1)]
    assert len(site.requests) == 2 and [p.content for p in pages] == [b"<html>page</html>"] * 2
