"""The chaos run, small: the daemon killed with SIGKILL at random moments loses no alert.

`python scripts/chaos.py --kills 30` is the full run (see its docstring); CI runs a few kills."""

import subprocess
import sys

from tests.conftest import ROOT


def test_kills_at_random_moments_lose_no_alert_and_send_none_twice_under_another_key():
    run = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "chaos.py"), "--kills", "4", "--seed", "3"],
        capture_output=True,
        text=True,
        timeout=1800,
        cwd=ROOT,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "lost: 0" in run.stdout and "drained: yes" in run.stdout
    assert "received but not in the store: 0" in run.stdout
