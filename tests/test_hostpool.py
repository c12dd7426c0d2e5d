"""One small connection pool per host, all sharing one TLS context, all behind the address guard."""

import asyncio

import pytest

from monitor.errors import FetchError
from monitor.fetch import Fetcher, Limits
from monitor.netguard import AddressPolicy


def test_each_host_gets_its_own_pool_and_they_share_one_tls_context(site):
    async def go():
        async with Fetcher(Limits(timeout=10), policy=AddressPolicy(["127.0.0.0/8"])) as fetcher:
            for url in (site.url("/feed.xml"), site.url("/feed.xml").replace("127.0.0.1", "localhost")):
                assert (await fetcher.get(url, max_size=10**6)).status == 200
            transport = fetcher._client._transport
            pools = list(transport._hosts.values())
            contexts = {id(p._pool._ssl_context) for p in pools}
            return len(pools), len(contexts)

    assert asyncio.run(go()) == (2, 1)


def test_every_hosts_pool_keeps_the_address_guard(site):
    async def go():
        async with Fetcher(Limits(timeout=10), policy=AddressPolicy()) as fetcher:  # loopback refused
            await fetcher.get(site.url("/feed.xml"), max_size=10**6)

    with pytest.raises(FetchError, match="refused"):
        asyncio.run(go())
