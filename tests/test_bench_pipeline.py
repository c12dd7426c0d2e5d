"""The benchmarks run (small farms, no timing asserted): the sequential script and `rasad once` see
the same articles and match the same ones; the latency benchmark's daemon alerts what it publishes."""

import re
import subprocess
import sys

from tests.conftest import ROOT


def test_the_pipeline_benchmark_runs_and_both_sides_agree():
    out = subprocess.run(
        [
            sys.executable,
            "benchmarks/bench_pipeline.py",
            "--feeds",
            "3",
            "--items",
            "4",
            "--hosts",
            "2",
            "--runs",
            "1",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    rows = {
        m[1]: (int(m[2]), int(m[3]))
        for m in re.finditer(r"^(\w[\w -]*?) {2,}.*?(\d+) / (\d+)$", out.stdout, re.M)
    }
    assert rows["naive script"][0] == rows["rasad once"][0] == 12  # every article, once
    assert rows["rasad re-poll"] == (0, 0)  # nothing new the second time
    assert "rasad / script" in out.stdout


def test_the_latency_benchmark_runs():
    out = subprocess.run(
        [sys.executable, "benchmarks/bench_latency.py", "--items", "3", "--interval", "2s"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "3 items published" in out.stdout and "publish → alert: p50" in out.stdout
