from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from monitor.pacing import first_due, parse_mode, parse_quiet, quiet_until

BAGHDAD = ZoneInfo("Asia/Baghdad")  # UTC+3
NOW = datetime(2026, 11, 22, 12, 7, tzinfo=UTC)  # a Sunday, 15:07 in Baghdad


@pytest.mark.parametrize(
    ("mode", "due"),
    [
        ("immediate", NOW),
        ("batch 15m", datetime(2026, 11, 22, 12, 15, tzinfo=UTC)),
        ("batch 1h", datetime(2026, 11, 22, 13, 0, tzinfo=UTC)),
        ("digest daily 08:00", datetime(2026, 11, 23, 5, 0, tzinfo=UTC)),  # 08:00 Baghdad tomorrow
        ("digest daily 16:30", datetime(2026, 11, 22, 13, 30, tzinfo=UTC)),  # later today
        ("digest weekly mon 08:00", datetime(2026, 11, 23, 5, 0, tzinfo=UTC)),
        ("digest weekly sun 08:00", datetime(2026, 11, 29, 5, 0, tzinfo=UTC)),  # today's has passed
    ],
)
def test_first_due(mode, due):
    assert first_due(parse_mode(mode), NOW, BAGHDAD) == due


@pytest.mark.parametrize("bad", ["soon", "batch 10s", "digest daily 25:00", "digest weekly xyz 08:00"])
def test_invalid_modes(bad):
    with pytest.raises(ValueError, match="invalid mode"):
        parse_mode(bad)


def test_quiet_hours_across_midnight():
    quiet = parse_quiet("22:00-07:00")
    night = datetime(2026, 11, 22, 20, 0, tzinfo=UTC)  # 23:00 in Baghdad
    assert quiet_until(quiet, night, BAGHDAD) == datetime(2026, 11, 23, 4, 0, tzinfo=UTC)
    assert quiet_until(quiet, NOW, BAGHDAD) is None
    early = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # 05:00 in Baghdad
    assert quiet_until(quiet, early, BAGHDAD) == early + timedelta(hours=2)
    assert (
        quiet_until(parse_quiet("13:00-14:00"), datetime(2026, 11, 22, 10, 30, tzinfo=UTC), BAGHDAD)
        is not None
    )
    with pytest.raises(ValueError, match="invalid quiet hours"):
        parse_quiet("late")
