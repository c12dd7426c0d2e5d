"""The watch rules of ``rules.yaml`` as pydantic models: aliases, rules, routes, escalation (pure).

The models check each rule's shape (keys, types, ids, durations, dates); the conditions themselves
(terms, groups, regexes) are checked when :func:`monitor.rules.compile_rules` compiles them.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from monitor.configtypes import MODEL_CONFIG, between
from monitor.pacing import parse_mode

_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
FieldLiteral = Literal["title", "summary", "body", "url", "source"]


class _Model(BaseModel):
    model_config = MODEL_CONFIG


class Route(_Model):
    """A channel, and how alerts reach it: immediate, 'batch 15m', 'digest daily 08:00' …"""

    channel: str
    mode: str = "immediate"

    @field_validator("mode")
    @classmethod
    def _mode(cls, value: str) -> str:
        try:
            parse_mode(value)
        except ValueError as exc:
            raise PydanticCustomError("mode", str(exc)) from None
        return value


class Escalation(_Model):
    """Send the story's alert to one more channel once this many outlets have reported it."""

    outlets: int = Field(ge=2)
    within: Annotated[timedelta, between("1m", "30d")] = timedelta(hours=6)
    channel: str


LANGUAGES = ("ar", "fa", "ckb", "ur", "other")


def _languages(value: object) -> object:
    """One clear error instead of one per member of the union (a list, or 'any')."""
    if value == "any":
        return value
    if isinstance(value, list) and value and all(v in LANGUAGES for v in value):
        return value
    raise PydanticCustomError(
        "languages",
        "must be a list of {known}, or 'any' (got {got})",
        {"known": ", ".join(LANGUAGES), "got": repr(value)},
    )


def _route(value: object) -> object:
    return {"channel": value} if isinstance(value, str) else value


class RuleConfig(_Model):
    id: str
    name: str | None = None
    description: str | None = None
    channels: list[Annotated[Route, BeforeValidator(_route)]] = []  # "email" or {channel: email, mode: …}
    fields: list[FieldLiteral] = ["title", "summary", "body"]
    field_weights: dict[FieldLiteral, float] = {}  # defaults: title 3, summary 2, body 1, url 1, source 1
    all: list[Any] | None = None
    any: list[Any] | None = None
    none: list[Any] | None = None
    published_within: Annotated[timedelta, between("1m", "3650d")] | None = None
    published_after: date | None = None
    published_before: date | None = None
    mentions_date: dict[str, Any] | None = None  # {between: [2025-09, 2026-12]} or {after: …, before: …}
    # ar, fa, ckb, ur, other (what monitor.language tells apart); "any" turns the guard off
    languages: Annotated[list[str] | Literal["any"], BeforeValidator(_languages)] = ["ar"]
    threshold: float = 0.0
    escalate: Escalation | None = None  # needs story grouping (on unless rasad.yaml turns it off)
    enabled: bool = True

    @field_validator("id")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not _SLUG.match(value):
            raise PydanticCustomError(
                "rule_id",
                "invalid rule id '{id}' (use lower-case letters, digits, '-' and '_')",
                {"id": value},
            )
        return value

    @model_validator(mode="after")
    def _has_terms(self) -> RuleConfig:
        if not (self.all or self.any or self.mentions_date):
            raise PydanticCustomError("rule_empty", "a rule needs an 'all' or an 'any' list of terms")
        return self

    @field_validator("field_weights")
    @classmethod
    def _positive(cls, value: dict[str, float]) -> dict[str, float]:
        bad = {k: v for k, v in value.items() if v < 0}
        if bad:
            raise PydanticCustomError("weight", "field weights cannot be negative: {bad}", {"bad": bad})
        return value


class RulesFile(_Model):
    aliases: dict[str, list[Any]] = {}  # terms: strings, or {term: …, weight: …}
    rules: list[RuleConfig] = Field(min_length=1)
