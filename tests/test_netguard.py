"""A refused destination says which network.allow entry would allow it; check-config warns beforehand."""

import asyncio
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from monitor.cli import main
from monitor.errors import FetchError
from monitor.fetch import Fetcher, Limits
from monitor.netguard import AddressPolicy

ROOT = Path(__file__).resolve().parent.parent


def refusal(url: str, allow: list[str] | None = None) -> FetchError:
    async def go():
        async with Fetcher(Limits(timeout=5), policy=AddressPolicy(allow or [])) as f:
            return await f.get(url, max_size=1000)

    with pytest.raises(FetchError) as exc:
        asyncio.run(go())
    return exc.value


@pytest.mark.parametrize(
    ("host", "said"),
    [
        ("127.0.0.1", "127.0.0.1 is 127.0.0.1 (loopback address): add 127.0.0.1/32 (or 127.0.0.0/8)"),
        ("10.1.2.3", "10.1.2.3 is 10.1.2.3 (private address): add 10.1.2.3/32 (or 10.0.0.0/8)"),
        ("172.20.0.9", "172.20.0.9 is 172.20.0.9 (private address): add 172.20.0.9/32 (or 172.16.0.0/12)"),
        ("[fd00::7]", "fd00::7 is fd00::7 (private address): add fd00::7/128 (or fc00::/7)"),
        # the metadata service of cloud machines: only ever the one address
        (
            "169.254.169.254",
            "169.254.169.254 is 169.254.169.254 (link-local address): add 169.254.169.254/32",
        ),
    ],
)
def test_a_refused_address_says_which_network_allow_entry_would_allow_it(host, said):
    # refused before any connection is made: nothing is sent to these addresses
    err = refusal(f"http://{host}:9/feed.xml")
    assert str(err) == (
        f"fetch: http://{host}:9/feed.xml: destination refused: {said} to network.allow in rasad.yaml if it is yours"
    )
    assert (
        err.hint
        == "network.allow in rasad.yaml lists the private networks Rasad may fetch from: add only your own"
    )
    assert not err.temporary


def test_check_config_warns_about_feeds_at_private_addresses_without_dns(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    cfg = tmp_path / "config"
    shutil.copytree(ROOT / "tests" / "fixtures" / "config", cfg)
    text = (cfg / "rasad.yaml").read_text(encoding="utf-8")
    text = text.replace("  user_agent:", "  allow: [10.0.0.0/8]\n  user_agent:")
    (cfg / "rasad.yaml").write_text(text, encoding="utf-8")
    (cfg / "feeds.yaml").write_text(
        "feeds:\n"
        "  - {name: a, url: 'http://127.0.0.1:8080/feed.xml'}\n"
        "  - {name: b, url: 'http://localhost/rss'}\n"
        "  - {name: c, url: 'http://10.20.0.5/rss'}\n"  # allowed
        "  - {name: d, url: 'http://[::1]:8080/rss'}\n"
        "  - {name: e, url: 'http://2130706433/rss'}\n"  # 127.0.0.1 as the resolver reads it
        "  - {name: f, url: 'https://www.example.org/rss'}\n",  # a name: never looked up here
        encoding="utf-8",
    )
    result = CliRunner().invoke(
        main,
        ["check-config", "--config", "config"],
        env={"RASAD_SMTP_PASSWORD": "x", "RASAD_SLACK_WEBHOOK": "y"},
    )
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == [
        "warning: config/feeds.yaml:2:15: feeds[0].url: 127.0.0.1 is a loopback address, refused when fetched: "
        "add 127.0.0.1/32 (or 127.0.0.0/8) to network.allow in rasad.yaml",
        "warning: config/feeds.yaml:3:15: feeds[1].url: localhost (127.0.0.1) is a loopback address, refused when "
        "fetched: add 127.0.0.1/32 (or 127.0.0.0/8) to network.allow in rasad.yaml",
        "warning: config/feeds.yaml:5:15: feeds[3].url: ::1 is a loopback address, refused when fetched: "
        "add ::1/128 to network.allow in rasad.yaml",
        "warning: config/feeds.yaml:6:15: feeds[4].url: 2130706433 (127.0.0.1) is a loopback address, refused when "
        "fetched: add 127.0.0.1/32 (or 127.0.0.0/8) to network.allow in rasad.yaml",
    ]
