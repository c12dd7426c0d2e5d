"""The ``rasad`` command's entry point: start-up without the garbage collector walking it.

Start-up makes some 85,000 objects that live as long as the process (modules, click's commands,
compiled regular expressions) and no garbage among them; each collection pass walked them again, and
importing the CLI set off some two hundred passes: a fifth of a re-poll's time went to them. So the
collector waits while the CLI is imported (with what the command asked for needs most: the daemon or
the pipeline), and what the imports made is then frozen (``gc.freeze``): later passes, the daemon's
too, skip it. Everything made afterwards is collected as usual. Only this entry point does this;
the CLI imported by a test or a program leaves their collector alone.
"""

from __future__ import annotations

import gc
import importlib
import sys

# a command's heavy imports, made before the freeze (a guess from the command line: a wrong one
# only costs or saves an import)
_HEAVY = {"run": "monitor.daemon", "once": "monitor.runtime"}


def main() -> None:
    gc.disable()
    try:
        from monitor.cli import main as cli

        command = next((arg for arg in sys.argv[1:] if not arg.startswith("-")), None)
        if command in _HEAVY:
            importlib.import_module(_HEAVY[command])
    finally:
        gc.enable()
    gc.freeze()
    cli()
