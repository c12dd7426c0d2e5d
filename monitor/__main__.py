"""``python -m monitor`` is the same as the ``rasad`` command."""

from monitor.cli import main

main()
