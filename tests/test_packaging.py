"""The systemd unit, the README and the CI script say what the project promises."""

import re
import subprocess
import sys
from pathlib import Path

from monitor.cli import main

ROOT = Path(__file__).resolve().parent.parent


def unit() -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for line in (ROOT / "systemd" / "rasad.service").read_text().splitlines():
        if "=" in line and not line.startswith("#"):
            key, _, value = line.partition("=")
            out.setdefault(key, []).append(value)
    return out


def test_unit_has_notify_watchdog_state_config_secrets_and_sandboxing():
    u = unit()
    assert u["Type"] == ["notify"]
    assert u["Restart"] == ["on-failure"]
    for key in (
        "WatchdogSec",
        "StateDirectory",
        "ConfigurationDirectory",
        "EnvironmentFile",
        "ProtectSystem",
        "ProtectHome",
        "PrivateTmp",
        "NoNewPrivileges",
        "RestrictAddressFamilies",
        "SystemCallFilter",
    ):
        assert key in u, key
    assert u["ProtectSystem"] == ["strict"]
    assert "@system-service" in u["SystemCallFilter"]


def test_every_unit_directive_is_explained_by_a_comment():
    lines = (ROOT / "systemd" / "rasad.service").read_text().splitlines()
    for i, line in enumerate(lines):
        if "=" in line and not line.startswith("#"):
            # the directive belongs to a block whose first line is a comment
            j = i
            while j > 0 and lines[j - 1] and not lines[j - 1].startswith("#"):
                j -= 1
            assert j > 0 and lines[j - 1].startswith("#"), f"line {i + 1} has no comment: {line}"


def test_readme_quick_start_has_two_commands_and_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    quick = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"```(?:sh|bash)\n(.*?)```", quick, re.S)
    assert len(commands) == 2
    test_command = commands[1].strip()
    ci = (ROOT / ".ci" / "run").read_text()
    assert test_command in ci


def test_readme_cli_reference_covers_every_command():
    readme = (ROOT / "README.md").read_text()
    commands = main.commands
    for name in commands:
        assert f"rasad {name}" in readme, name
    assert "rasad deliveries retry" in readme


def test_python_dash_m_monitor_is_the_cli():
    out = subprocess.run(
        [sys.executable, "-m", "monitor", "--help"], capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0
    assert "Rasad watches Arabic news feeds" in out.stdout


def test_lint_and_types_are_clean():
    """ruff and mypy run with the tests, so one command runs every check."""
    ruff = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "."], capture_output=True, text=True, cwd=ROOT
    )
    assert ruff.returncode == 0, ruff.stdout
    fmt = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--check", "monitor", "alerts"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert fmt.returncode == 0, fmt.stdout
    mypy = subprocess.run([sys.executable, "-m", "mypy"], capture_output=True, text=True, cwd=ROOT)
    assert mypy.returncode == 0, mypy.stdout


def test_systemd_accepts_the_unit(tmp_path):
    import shutil

    if shutil.which("systemd-analyze") is None:
        import pytest

        pytest.skip("systemd-analyze is not installed")
    text = (ROOT / "systemd" / "rasad.service").read_text().replace("/opt/rasad/bin/rasad", "/bin/true")
    (tmp_path / "rasad.service").write_text(text)
    out = subprocess.run(
        ["systemd-analyze", "verify", str(tmp_path / "rasad.service")], capture_output=True, text=True
    )
    assert out.returncode == 0 and out.stderr == "", out.stderr
