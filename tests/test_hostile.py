"""Hostile destinations and bodies: private addresses, redirects, compression bombs."""

import asyncio
import gzip
import tracemalloc
import zlib

import pytest

from monitor.decoding import BoundedDecoder, TooLarge
from monitor.errors import FetchError
from monitor.fetch import Fetcher, Limits
from monitor.netguard import AddressPolicy
from monitor.site import send


@pytest.mark.parametrize(
    ("ip", "reason"),
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("10.1.2.3", "private"),
        ("192.168.1.1", "private"),
        ("172.16.0.1", "private"),
        ("169.254.169.254", "link-local"),
        ("fe80::1", "link-local"),
        ("224.0.0.1", "multicast"),
        ("0.0.0.0", "unspecified"),
        ("::ffff:10.0.0.1", "private"),
        ("::ffff:127.0.0.1", "loopback"),
        ("240.0.0.1", "reserved"),
        ("8.8.8.8", None),
        ("2001:4860:4860::8888", None),
    ],
)
def test_address_policy(ip, reason):
    assert AddressPolicy().refusal(ip) == reason


def test_allow_list():
    policy = AddressPolicy(["10.20.0.0/16", "127.0.0.1"])
    assert policy.refusal("10.20.3.4") is None and policy.refusal("127.0.0.1") is None
    assert policy.refusal("10.21.0.1") == "private" and policy.refusal("127.0.0.2") == "loopback"


def get(url, policy, max_size=5_000_000):
    async def go():
        async with Fetcher(Limits(timeout=5), policy=policy) as f:
            return await f.get(url, max_size=max_size)

    return asyncio.run(go())


def test_private_destinations_are_refused_by_default(site):
    for url in (site.url("/feed.xml"), site.url("/feed.xml").replace("127.0.0.1", "localhost")):
        with pytest.raises(FetchError) as exc:
            get(url, AddressPolicy())
        assert "destination refused" in str(exc.value) and "(loopback address)" in str(exc.value)
        assert not exc.value.temporary
        assert "network.allow" in (exc.value.hint or "")
    assert site.requests == []  # nothing was sent


def test_a_redirect_to_a_private_address_is_refused(site):
    def to_metadata(h):
        h.send_response(302)
        h.send_header("Location", f"http://127.0.0.2:{site._server.server_address[1]}/feed.xml")
        h.send_header("Content-Length", "0")
        h.end_headers()

    site.routes["/innocent"] = to_metadata
    with pytest.raises(FetchError, match=r"destination refused: 127.0.0.2 is 127.0.0.2 \(loopback address\)"):
        get(site.url("/innocent"), AddressPolicy(["127.0.0.1/32"]))
    assert [r.path for r in site.requests] == ["/innocent"]


def bomb(layers: int, size: int = 200_000_000) -> bytes:
    data = b"\0" * size
    for _ in range(layers):
        data = gzip.compress(data, compresslevel=9)
    return data


@pytest.mark.parametrize("layers", [1, 2], ids=["gzip", "gzip, gzip"])
def test_compression_bombs_stop_at_the_cap_with_little_memory(site, layers):
    payload = bomb(layers)
    encoding = ", ".join(["gzip"] * layers)
    site.routes["/bomb"] = lambda h: send(h, 200, payload, "text/html", {"Content-Encoding": encoding})
    tracemalloc.start()
    with pytest.raises(FetchError, match="exceeds the 1000000-byte cap once decoded"):
        get(site.url("/bomb"), AddressPolicy(["127.0.0.0/8"]), max_size=1_000_000)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 10_000_000  # 200 MB of zeros never existed in memory


def test_bounded_decoder_decodes_stacked_encodings_and_raw_deflate():
    text = "مهمة التحالف الدولي ".encode() * 1000
    stacked = gzip.compress(gzip.compress(text))
    d = BoundedDecoder("gzip, gzip", 10**6)
    assert b"".join(d.feed(stacked[:100]) + d.feed(stacked[100:])) == text
    raw = zlib.compressobj(wbits=-15)
    deflated = raw.compress(text) + raw.flush()
    assert b"".join(BoundedDecoder("deflate", 10**6).feed(deflated)) == text
    with pytest.raises(TooLarge):
        BoundedDecoder("gzip", 1000).feed(gzip.compress(text))


def entity_feed() -> bytes:
    refs = "&big;" * 30_000
    return (
        f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY big "{"x" * 10_000}">]><rss version="2.0"><channel>'
        f"<title>t</title><item><title>a</title><link>https://x.example/1</link><description>{refs}</description>"
        "</item></channel></rss>"
    ).encode()


def test_a_feed_declaring_one_large_entity_referenced_many_times_stays_small_and_fast():
    import time

    from monitor.parse import parse_feed

    feed = entity_feed()
    assert 150_000 < len(feed) < 170_000  # 160 KB that would expand to 300 MB
    start = time.perf_counter()
    (item,) = parse_feed(feed, url="https://x.example/f")
    assert time.perf_counter() - start < 1.5
    assert "x" * 100 not in item.summary  # never expanded
    tracemalloc.start()
    parse_feed(feed, url="https://x.example/f")
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 30_000_000
