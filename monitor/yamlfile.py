"""Load YAML safely and remember where every key and list item was written.

``load`` returns plain Python data (dicts, lists, scalars) and a :class:`Positions` index from data
paths to 1-based ``(line, column)``. Errors found later (pydantic, rule compilation) are turned into
``file:line:col: path: message`` with :meth:`Positions.locate`. YAML tags that would construct
objects are never executed: the round-trip loader keeps them as inert tagged values, which
validation then rejects.

Bounded: a file is at most ``MAX_BYTES``; nesting at most ``MAX_DEPTH`` levels; and the data at most
``MAX_VALUES`` values, counting every value an alias repeats, so a "billion laughs" document (anchors
of aliases of anchors …) is refused after a few hundred thousand values instead of growing to
gigabytes. ruamel keeps an alias as one shared node: its composer is stopped when the tree it builds
passes the limits, and the conversion to plain data, which repeats each alias, counts again.

Fast: with ruamel.yaml.clib installed (it is a dependency on CPython), libyaml reads the text into
events, and ruamel's composer (bounded as above) and round-trip constructor build the tree from them:
a 200-feed list loads in a fifth of the time of ruamel's pure-Python scanner, with the same data and
positions (tests/test_yaml_limits.py compares the two). A file that declares its YAML version
(``%YAML 1.1``) is read by the pure-Python scanner, which honours the declaration.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq, TaggedScalar
from ruamel.yaml.composer import Composer
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import AliasEvent, CollectionStartEvent

from monitor.errors import ConfigError

try:
    from _ruamel_yaml import CParser  # ruamel.yaml.clib: libyaml's scanner and parser
except ImportError:  # not on this interpreter: ruamel's pure-Python scanner, slower, same result
    CParser = None

PathT = tuple[str | int, ...]

# 5,000 rules (the cap of a rules file) of a typical size are 1.4 MB and 100,000 values; read from
# libyaml's events about 450 KB a second (ruamel's pure-Python parser: 75 KB), so a file at the byte
# cap costs about 5 s (30 s without ruamel.yaml.clib; measured: see the README).
MAX_BYTES = 2_000_000
MAX_VALUES = 250_000  # every scalar, list and mapping, aliases expanded: 2.5x those 5,000 rules
MAX_DEPTH = 64  # mappings and lists inside each other; rule conditions need about 2 per level


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

    def at(self, path: PathT) -> tuple[int, int]:
        """The 0-based line and column of ``path`` (or of its nearest recorded parent)."""
        line, col = self._nearest(path)
        return line - 1, col - 1

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
    """Parse one YAML file. Raises ConfigError (with file:line:col) on unreadable or invalid YAML, or
    on a file past the limits above."""
    name = display_name(path)
    try:
        with path.open("rb") as f:
            raw = f.read(MAX_BYTES + 1)
        text = raw.decode("utf-8")
    except FileNotFoundError:
        raise ConfigError(
            [f"{name}: file not found"], hint="create it from the examples in the project's config/"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([f"{name}: cannot read: {exc}"]) from None
    if len(raw) > MAX_BYTES:
        raise ConfigError([f"{name}: larger than {MAX_BYTES:,} bytes, the most a config file may be"])
    try:
        root = _read(text)
    except _Limit as exc:
        raise ConfigError([f"{name}:{exc.mark.line + 1}:{exc.mark.column + 1}: {exc}"]) from None
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = exc.problem or exc.context or "invalid YAML"
        raise ConfigError([f"{name}:{line}:{col}: YAML syntax error: {problem}"]) from None
    except YAMLError as exc:
        raise ConfigError([f"{name}:1:1: YAML syntax error: {exc}"]) from None
    positions = Positions(name)
    return _Plain(positions).convert(root, (), (0, 0), 1, None), positions


def _read(text: str) -> Any:
    """The round-trip tree of ``text``, built by the bounded composer."""
    if CParser is not None and not _DIRECTIVE.search(text):
        try:
            return _FastLoader(text).constructor.get_single_data()
        except YAMLError:
            pass  # read again below: the pure-Python parser says more precisely what is wrong
    yaml = YAML(typ="rt")
    yaml.Composer = _BoundedComposer
    return yaml.load(text)


_DIRECTIVE = re.compile(r"^%YAML", re.MULTILINE)


class _FastLoader(YAML):
    """ruamel's round-trip loader with libyaml's events in place of its pure-Python scanner and
    parser (ruamel itself combines the two only for its plain-data loader, and composes there in C,
    where the limits below cannot apply)."""

    def __init__(self, text: str) -> None:
        super().__init__(typ="rt")
        self.Composer = _BoundedComposer
        self._parser = CParser(text)  # where ruamel keeps the parser it made (the composer reads it)
        # where ruamel's resolver looks for a %YAML directive, for each scalar; such files do not
        # come here (see _read): without it, the look-up failed and fell back, slowly, every time
        self._scanner = _NO_DIRECTIVE


_NO_DIRECTIVE = SimpleNamespace(yaml_version=None)


class _Limit(Exception):
    def __init__(self, message: str, mark: Any) -> None:
        super().__init__(message)
        self.mark = mark


_TOO_DEEP = f"nested more than {MAX_DEPTH} levels deep; flatten it"


class _BoundedComposer(Composer):
    """ruamel's composer, stopped as soon as the tree it builds grows past the limits: it recurses
    once per level (a few hundred levels exhaust Python's stack), and holds every node in memory."""

    def __init__(self, loader: Any = None) -> None:
        super().__init__(loader)
        self.nodes = 0
        self.level = 0

    # ruamel looks the parser and the resolver up through the loader's properties for every event
    # and node (half the time of composing a large file): once is enough, they do not change
    @functools.cached_property
    def parser(self) -> Any:
        return super().parser

    @functools.cached_property
    def resolver(self) -> Any:
        return super().resolver

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.parser.peek_event()
        if isinstance(event, AliasEvent):  # the anchor's node again: nothing new is built
            return super().compose_node(parent, index)
        self.nodes += 1
        if self.nodes > MAX_VALUES:
            raise _Limit(f"more than {MAX_VALUES:,} values in one file", event.start_mark)
        if not isinstance(event, CollectionStartEvent):
            return super().compose_node(parent, index)
        self.level += 1
        try:
            if self.level > MAX_DEPTH:
                raise _Limit(_TOO_DEEP, event.start_mark)
            return super().compose_node(parent, index)
        finally:
            self.level -= 1


_At = tuple[int, int]  # 0-based line and column
_Alias = tuple[PathT, _At, str]  # where an alias was used, and its name


class _Plain:
    """ruamel's round-trip tree → plain data, recording positions and counting values.

    An alias is one shared node in ruamel's tree: each place it is used is converted again, so the
    count includes what aliases repeat, and stops a document that would expand without end. (An
    alias inside its own anchor is no loop: ruamel reads it as null.)"""

    def __init__(self, positions: Positions) -> None:
        self.positions = positions
        self.count = 0
        self.seen: set[int] = set()  # containers converted at least once: meeting one again is an alias

    def convert(self, node: Any, path: PathT, at: _At, depth: int, alias: _Alias | None) -> Any:
        """``alias``: where the outermost alias being expanded was used, if any."""
        self.count += 1
        if self.count > MAX_VALUES:
            raise self._too_many(path, at, alias)
        if not isinstance(node, CommentedMap | CommentedSeq):
            return _scalar(node)
        tag = getattr(getattr(node, "tag", None), "value", None)
        if tag:
            return _Tagged(str(tag), str(list(node)))  # an object-constructing tag: never constructed
        if depth > MAX_DEPTH:  # aliases inside aliases can nest what the file itself does not
            raise self._error(path, at, _TOO_DEEP)
        key = id(node)
        if alias is None and key in self.seen:
            anchor = getattr(getattr(node, "anchor", None), "value", None)
            used, used_at = path, at
            if path and isinstance(path[-1], int):
                # ruamel places an alias listed in a sequence where its anchor is: name the list
                used, used_at = path[:-1], self.positions.at(path[:-1])
            alias = (used, used_at, f"*{anchor}" if anchor else "an alias")
        self.seen.add(key)
        return self._children(node, path, at, depth, alias)

    def _children(
        self, node: CommentedMap | CommentedSeq, path: PathT, at: _At, depth: int, alias: _Alias | None
    ) -> Any:
        if isinstance(node, CommentedMap):
            out: dict[Any, Any] = {}
            for k, value in node.items():
                # a key merged in from another mapping (<<: *base) has no position of its own here
                where = (node.lc.data or {}).get(k, at)[:2]
                self.positions.add((*path, k), *where)
                out[k] = self.convert(value, (*path, k), where, depth + 1, alias)
            return out
        items = []
        for i, value in enumerate(node):
            where = node.lc.item(i)
            self.positions.add((*path, i), *where)
            items.append(self.convert(value, (*path, i), where, depth + 1, alias))
        return items

    def _too_many(self, path: PathT, at: _At, alias: _Alias | None) -> ConfigError:
        if alias is None:
            return self._error(path, at, f"more than {MAX_VALUES:,} values in one file")
        path, at, name = alias
        return self._error(
            path,
            at,
            f"{name} takes the file past {MAX_VALUES:,} values (aliases of aliases multiply); "
            "write the values out",
        )

    def _error(self, path: PathT, at: _At, message: str) -> ConfigError:
        where = f"{self.positions.file}:{at[0] + 1}:{at[1] + 1}"
        printable = format_path(path)
        return ConfigError([f"{where}: {printable}: {message}" if printable else f"{where}: {message}"])


def _scalar(node: Any) -> Any:
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
