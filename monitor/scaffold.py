"""``rasad init``: a new config directory from the project's examples, never over existing files.

The examples are the project's ``config/`` (a wheel ships them as ``monitor/demo_config``, as
:func:`monitor.demo.resource` finds them for the demo).
"""

from __future__ import annotations

from pathlib import Path

from monitor.config import FILES
from monitor.errors import ConfigError
from monitor.yamlfile import display_name


def examples() -> Path:
    """The example config directory: inside an installed wheel, else in the source checkout."""
    here = Path(__file__).resolve().parent
    packaged = here / "demo_config"
    return packaged if packaged.is_dir() else here.parent / "config"


def init(directory: Path, source: Path | None = None) -> list[Path]:
    """Copy the example files into ``directory`` (created if needed). Raises ConfigError, writing
    nothing, when any of them exists already."""
    source = source or examples()
    targets = [directory / name for name in FILES]
    existing = [t for t in targets if t.exists()]
    if existing:
        raise ConfigError(
            [f"{display_name(t)}: already exists" for t in existing],
            hint="rasad init never overwrites a file: edit it, or move it away and run rasad init again",
        )
    try:
        directory.mkdir(parents=True, exist_ok=True)
        for name, target in zip(FILES, targets, strict=True):
            with target.open("x", encoding="utf-8") as out:  # "x": never over a file made meanwhile
                out.write((source / name).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError([f"{display_name(directory)}: cannot write the example config: {exc}"]) from None
    return targets
