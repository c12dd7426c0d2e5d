"""A rules file read, each rule checked on its own, compiled; every problem reported with its place.

``read_rules(path, channels=…)`` returns a :class:`RulesRead`: the valid rules, the compiled
:class:`RuleSet` when nothing is wrong, and one ``file:line:col: path: message`` line per problem,
in the order of the file. One rule's problem never hides another's: each rule is validated alone,
the valid ones are compiled together (so every unknown alias, bad regex and duplicate id is
reported), and every rule's channels are checked, whatever else is wrong with it.

Bounds: the file itself is bounded by :mod:`monitor.yamlfile` (2 MB); it holds at most
``MAX_RULES`` rules.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from monitor import yamlfile
from monitor.configtypes import MODEL_CONFIG
from monitor.errors import ConfigError
from monitor.ruleconfig import RuleConfig, RulesFile
from monitor.rules import RuleError, RuleSet, compile_rules
from monitor.validation import Report

# Watch lists of a few hundred rules are large; 5,000 compile in a few seconds (see the README) and
# leave room for generated rule sets. More is a mistake (a file concatenated with itself …) or abuse.
MAX_RULES = 5_000


class _Outline(BaseModel):
    """The file's shape; each rule is validated on its own afterwards."""

    model_config = MODEL_CONFIG
    aliases: dict[str, list[Any]] = {}
    rules: list[Any] = Field(min_length=1)


@dataclass(frozen=True)
class RulesRead:
    rules: RulesFile | None  # the rules that are valid on their own (None when there are none)
    ruleset: RuleSet | None  # None when anything is wrong
    problems: list[str] = field(default_factory=list)
    hint: str | None = None  # from reading the file (e.g. how to create a missing one)


def read_rules(path: Path, *, channels: set[str] | None = None) -> RulesRead:
    """Read, validate and compile a rules file. ``channels``: the names rules may route to (None: not
    checked)."""
    try:
        data, positions = yamlfile.load(path)
    except ConfigError as exc:
        return RulesRead(None, None, exc.problems, exc.hint)
    report = Report(data, positions)
    raw = report.data
    if not isinstance(raw, dict) or not isinstance(raw.get("rules"), list):
        report.validate(raw, _Outline)
        return RulesRead(None, None, report.lines())
    if len(raw["rules"]) > MAX_RULES:
        report.add(
            ("rules",),
            f"{len(raw['rules']):,} rules, more than the {MAX_RULES:,} one file may hold",
        )
        return RulesRead(None, None, report.lines())
    outline = report.validate(raw, _Outline)  # unknown top-level keys, malformed aliases
    configs: list[RuleConfig] = []
    places: list[int] = []
    for i, item in enumerate(raw["rules"]):
        config = report.validate(item, RuleConfig, ("rules", i))
        if config is not None:
            configs.append(config)
            places.append(i)
    _duplicate_ids(raw["rules"], set(places), report)
    ruleset = None
    if outline is not None and configs:
        try:
            ruleset = compile_rules(configs, outline.aliases, places=places)
        except RuleError as exc:
            for loc, message in exc.problems:
                report.add(loc, message)
    if channels is not None:
        for i, item in enumerate(raw["rules"]):
            _check_channels(item, i, channels, report)
    rules = (
        RulesFile.model_validate({"aliases": outline.aliases, "rules": configs})
        if outline and configs
        else None
    )
    return RulesRead(rules, None if report else ruleset, report.lines())


def _duplicate_ids(items: list[Any], valid: set[int], report: Report) -> None:
    """Duplicate ids where one of the two rules is invalid (the compiler reports the others)."""
    first: dict[str, int] = {}
    for i, item in enumerate(items):
        rule_id = item.get("id") if isinstance(item, dict) else None
        if not isinstance(rule_id, str):
            continue
        if rule_id in first and not (i in valid and first[rule_id] in valid):
            report.add(
                ("rules", i, "id"), f"duplicate rule id '{rule_id}' (first used by rules[{first[rule_id]}])"
            )
        first.setdefault(rule_id, i)


def _check_channels(item: Any, i: int, channels: set[str], report: Report) -> None:
    """The channels a rule routes to, read from the file, so a rule with other problems is checked too."""
    if not isinstance(item, dict):
        return
    routes: list[tuple[tuple[str | int, ...], Any]] = []
    if isinstance(item.get("channels"), list):
        for j, route in enumerate(item["channels"]):
            name = route.get("channel") if isinstance(route, dict) else route
            routes.append((("rules", i, "channels", j), name))
    if isinstance(item.get("escalate"), dict):
        routes.append((("rules", i, "escalate", "channel"), item["escalate"].get("channel")))
    for where, channel in routes:
        if isinstance(channel, str) and channel not in channels:
            known = ", ".join(sorted(channels)) or "none configured in rasad.yaml"
            report.add(where, f"unknown channel '{channel}' (known: {known})")


def load_rules_file(path: Path) -> RuleSet:
    """Load a rules file alone (for ``rasad match --rules``): raises ConfigError."""
    read = read_rules(path)
    if read.problems or read.ruleset is None:
        raise ConfigError(read.problems, hint=read.hint)
    return read.ruleset
