"""pydantic's validation errors as users read them: ``file:line:col: path: message`` (pure).

A :class:`Report` collects the problems of one YAML file, from pydantic (``report.validate(value,
Model, at=loc)``) or from later checks (``report.add(loc, message)``), and prints them in the order
of the file. Unknown keys get a "did you mean" from the model's own fields.
"""

from __future__ import annotations

import difflib
import types
import typing
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ValidationError

from monitor import yamlfile

Loc = tuple[str | int, ...]


class Report:
    """The problems found in one YAML file (``data`` as loaded, with its ``positions``)."""

    def __init__(self, data: Any, positions: yamlfile.Positions) -> None:
        self.data = {} if data is None else data
        self.positions = positions
        self._found: list[tuple[Loc, str]] = []
        self.hints: list[str] = []  # how to fix, when a validator said (its error's ``hint``)

    def add(self, loc: Loc, message: str) -> None:
        self._found.append((loc, message))

    def validate(self, value: Any, model: type[Any], at: Loc = ()) -> Any:
        """``value`` (found at ``at`` in the file) as ``model``, or None after adding its problems."""
        try:
            return model.model_validate({} if value is None else value)
        except ValidationError as exc:
            for err in exc.errors():
                self.add((*at, *err["loc"]), _message(err, model))
                hint = (err.get("ctx") or {}).get("hint")
                if hint:
                    self.hints.append(str(hint))
            return None

    def __bool__(self) -> bool:
        return bool(self._found)

    def lines(self) -> list[str]:
        """One ``file:line:col: path: message`` line per problem, in the order of the file."""
        located = [(self.positions.locate(self.data, loc), msg) for loc, msg in self._found]
        located.sort(key=lambda item: item[0][1])  # stable: one place keeps its problems' order
        file = self.positions.file
        return [
            f"{file}:{line}:{col}: {path}: {msg}" if path else f"{file}:{line}:{col}: {msg}"
            for (path, (line, col)), msg in located
        ]


def _message(err: Any, model: type[Any]) -> str:
    kind = err["type"]
    loc = err["loc"]
    if kind == "extra_forbidden":
        key = loc[-1]
        known = _known_keys(model, loc[:-1])
        close = difflib.get_close_matches(str(key), known, n=1)
        hint = (
            f" (did you mean '{close[0]}'?)"
            if close
            else (f" (allowed: {', '.join(known)})" if known else "")
        )
        return f"unknown key '{key}'{hint}"
    if kind == "missing":
        return f"missing required key '{loc[-1]}'"
    if kind in {"literal_error", "union_tag_invalid"}:
        return f"invalid value {err.get('input')!r}: {err['msg'].lower()}"
    msg: str = err["msg"]
    msg = msg.removeprefix("Value error, ")
    if kind.startswith(("int_", "float_", "bool_", "string_", "list_", "dict_", "model_")):
        msg = f"{msg[:1].lower()}{msg[1:]} (got {err.get('input')!r})"
    return msg


def _known_keys(model: type[Any], loc: tuple[Any, ...]) -> list[str]:
    """The keys allowed at ``loc``, found by walking the model's annotations (best effort)."""
    current: Any = model
    for part in loc:
        current = _descend(current, part)
        if current is None:
            return []
    if isinstance(current, type) and issubclass(current, BaseModel):
        return [f.alias or name for name, f in current.model_fields.items()]
    return []


def _descend(tp: Any, part: Any) -> Any:
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        field = tp.model_fields.get(part)
        return _strip(field.annotation) if field else None
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is list and isinstance(part, int):
        return _strip(args[0])
    if origin is dict and args:
        return _strip(args[1])
    for member in args:  # a union: the tag names the member
        if (
            isinstance(member, type)
            and issubclass(member, BaseModel)
            and (
                member.__name__ == part
                or getattr(member.model_fields.get("type"), "annotation", None) == Literal[part]
            )
        ):
            return member
    return None


def _strip(tp: Any) -> Any:
    while typing.get_origin(tp) is Annotated:
        tp = typing.get_args(tp)[0]
    args = [a for a in typing.get_args(tp) if a is not type(None)]
    if typing.get_origin(tp) in (typing.Union, types.UnionType) and len(args) == 1:
        return _strip(args[0])
    return tp
