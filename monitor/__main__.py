"""``python -m monitor`` is the same as the ``rasad`` command."""

from monitor.entry import main

main()
