"""Load YAML safely and remember where every key and list item was written.

``load`` returns plain Python data (dicts, lists, scalars) and a :class:`Positions` index from data
paths to 1-based ``(line, column)``. Errors found later (pydantic, rule compilation) are turned into
``file:line:col: path: message`` with :meth:`Positions.locate`. YAML tags that would construct
objects are never executed: the round-trip loader keeps them as inert tagged values, which
validation then rejects.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq, TaggedScalar
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from monitor.errors import ConfigError

PathT = tuple[str | int, ...]


class Positions:
    """Where each node of one YAML file was written."""

    def __init__(self, file: str) -> None:
        self.file = file
        self._at: dict[PathT, tuple[int, int]] = {(): (1, 1)}

    def add(self, path: PathT, line0: int, col0: int) -> None:
        self._at[path] = (line0 + 1, col0 + 1)

    def locate(self, data: Any, loc: Sequence[str | int]) -> tuple[str, tuple[int, int]]:
        """Map a validation ``loc`` to a printable path (``rules[2].within``) and the nearest position.

        Parts of ``loc`` that are not keys of the data (pydantic's union tags) are skipped.
        """
        path: list[str | int] = []
        node = data
        for i, part in enumerate(loc):
            in_dict = isinstance(node, dict) and part in node
            in_list = isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
            if in_dict or in_list:
                node = node[part]
                path.append(part)
            elif isinstance(node, dict) and node.get("type") == part:
                continue  # a discriminated union's tag
            elif (
                i == len(loc) - 1
                and not path_is_tag(str(part))
                and isinstance(node, dict)
                and isinstance(part, str)
            ):
                # a missing key: point at its parent, but name it
                return format_path([*path, part]), self._nearest(tuple(path))
            # otherwise a union tag pydantic put in the location: not part of the YAML path
        return format_path(path), self._nearest(tuple(path))

    def _nearest(self, path: PathT) -> tuple[int, int]:
        while path not in self._at:
            path = path[:-1]
        return self._at[path]

    def error(self, data: Any, loc: Sequence[str | int], message: str) -> str:
        printable, (line, col) = self.locate(data, loc)
        where = f"{self.file}:{line}:{col}"
        return f"{where}: {printable}: {message}" if printable else f"{where}: {message}"


def path_is_tag(part: str) -> bool:
    """pydantic puts union member names in ``loc``; they are never YAML keys here."""
    return part in {"str", "int", "float", "bool", "list", "dict"} or part[:1].isupper() or "[" in part


def format_path(path: Sequence[str | int]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def display_name(path: Path) -> str:
    """The file name as the user would type it: relative to the working directory when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def load(path: Path) -> tuple[Any, Positions]:
    """Parse one YAML file. Raises ConfigError (with file:line:col) on unreadable or invalid YAML."""
    name = display_name(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            [f"{name}: file not found"], hint="create it from the examples in the project's config/"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([f"{name}: cannot read: {exc}"]) from None
    yaml = YAML(typ="rt")
    try:
        root = yaml.load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = exc.problem or exc.context or "invalid YAML"
        raise ConfigError([f"{name}:{line}:{col}: YAML syntax error: {problem}"]) from None
    except YAMLError as exc:
        raise ConfigError([f"{name}:1:1: YAML syntax error: {exc}"]) from None
    positions = Positions(name)
    return _plain(root, (), positions), positions


def _plain(node: Any, path: PathT, positions: Positions) -> Any:
    tag = getattr(getattr(node, "tag", None), "value", None)
    if tag and isinstance(node, CommentedMap | CommentedSeq):
        return _Tagged(str(tag), str(list(node)))  # an object-constructing tag: never constructed
    if isinstance(node, CommentedMap):
        out: dict[Any, Any] = {}
        for key, value in node.items():
            line, col = node.lc.key(key)
            positions.add((*path, key), line, col)
            out[key] = _plain(value, (*path, key), positions)
        return out
    if isinstance(node, CommentedSeq):
        items = []
        for i, value in enumerate(node):
            line, col = node.lc.item(i)
            positions.add((*path, i), line, col)
            items.append(_plain(value, (*path, i), positions))
        return items
    if isinstance(node, TaggedScalar):
        return _Tagged(str(node.tag), str(node.value))
    if isinstance(node, bool):
        return bool(node)
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    if isinstance(node, str):
        return str(node)
    return node


class _Tagged:
    """A YAML value with an explicit tag (``!!python/object …``): kept inert, rejected by validation."""

    def __init__(self, tag: str, value: str) -> None:
        self.tag, self.value = tag, value

    def __repr__(self) -> str:
        return f"{self.tag} {self.value!r}"
