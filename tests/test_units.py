from datetime import timedelta

import pytest

from monitor.units import format_duration, parse_duration, parse_size


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90s", timedelta(seconds=90)),
        ("15m", timedelta(minutes=15)),
        ("36h", timedelta(hours=36)),
        ("7d", timedelta(days=7)),
        ("2w", timedelta(weeks=2)),
        ("1h30m", timedelta(minutes=90)),
        ("1.5h", timedelta(minutes=90)),
        ("250ms", timedelta(milliseconds=250)),
    ],
)
def test_durations(text, expected):
    assert parse_duration(text) == expected


@pytest.mark.parametrize("bad", ["3 dayz", "", "7", "h", "1x", "7d!", True])
def test_invalid_durations_name_the_input(bad):
    with pytest.raises(ValueError, match=r"invalid duration .* \(use e.g. '36h' or '7d'\)"):
        parse_duration(bad)


def test_format_duration_round_trips():
    for text in ("1d12h", "15m", "90s", "2d"):
        assert format_duration(parse_duration(text)) == ("1m30s" if text == "90s" else text)


@pytest.mark.parametrize(
    ("text", "expected"), [("10MB", 10_000_000), ("512KiB", 524_288), (4096, 4096), ("1gb", 10**9)]
)
def test_sizes(text, expected):
    assert parse_size(text) == expected


def test_invalid_size():
    with pytest.raises(ValueError, match="invalid size '10 parsecs'"):
        parse_size("10 parsecs")
