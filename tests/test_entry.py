"""The ``rasad`` entry point: start-up objects frozen, the collector running afterwards."""

import subprocess
import sys

from tests.conftest import ROOT

# stands in for the CLI: reports the collector's state when the command would start
PROBE = """
import gc, sys
import monitor.cli
monitor.cli.main = lambda: print(gc.isenabled(), gc.get_freeze_count(), "monitor.runtime" in sys.modules)
sys.argv = ["rasad", *sys.argv[1:]]
from monitor.entry import main
main()
"""


def _probe(*args: str) -> tuple[bool, int, bool]:
    out = subprocess.run(
        [sys.executable, "-c", PROBE, *args], capture_output=True, text=True, cwd=ROOT, check=True
    ).stdout.split()
    return out[0] == "True", int(out[1]), out[2] == "True"


def test_start_up_is_frozen_and_garbage_is_still_collected_after_it():
    enabled, frozen, pipeline = _probe("once", "--no-deliver")
    assert enabled  # the collector runs for the command itself
    assert frozen > 20_000  # the imports' objects: skipped by every later pass
    assert pipeline  # `once` needs the pipeline: imported before the freeze


def test_a_light_command_does_not_import_the_pipeline():
    enabled, frozen, pipeline = _probe("feeds")
    assert enabled and frozen > 20_000
    assert not pipeline


def test_importing_the_cli_leaves_the_callers_collector_alone():
    import gc

    before = gc.get_freeze_count()
    import monitor.cli  # noqa: F401

    assert gc.isenabled() and gc.get_freeze_count() == before
