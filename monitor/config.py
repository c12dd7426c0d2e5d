"""The three YAML files of a config directory, read, validated and compiled.

``load_config(directory)`` returns a :class:`Config` or raises :class:`ConfigError` listing every
problem as ``config/rules.yaml:14:5: rules[2].published_within: invalid duration …``. Nothing is
accepted silently: unknown keys, unknown channels, unknown aliases and invalid rules are errors.
The models live in :mod:`monitor.settings` (rasad.yaml) and :mod:`monitor.ruleconfig` (rules.yaml);
they are re-exported here.
"""

from __future__ import annotations

import os
import re
import typing
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, Field, field_validator
from pydantic_core import PydanticCustomError

from monitor import yamlfile
from monitor.configtypes import MODEL_CONFIG, ByteSize, Duration, between
from monitor.errors import ConfigError
from monitor.ruleconfig import Escalation, Route, RuleConfig, RulesFile
from monitor.rules import RuleError, RuleSet, compile_rules
from monitor.settings import (
    ConsoleChannel,
    DeliverySettings,
    EmailChannel,
    ExtractionSettings,
    HealthSettings,
    NetworkSettings,
    PollSettings,
    Settings,
    SlackChannel,
    StorySettings,
    WebhookChannel,
)
from monitor.validation import validate

__all__ = [
    "ByteSize",
    "Config",
    "ConsoleChannel",
    "DeliverySettings",
    "Duration",
    "EmailChannel",
    "Escalation",
    "ExtractionSettings",
    "FeedConfig",
    "FeedsFile",
    "HealthSettings",
    "NetworkSettings",
    "PollSettings",
    "Route",
    "RuleConfig",
    "RulesFile",
    "Settings",
    "SlackChannel",
    "StorySettings",
    "WebhookChannel",
    "default_config_dir",
    "load_config",
    "load_rules",
    "load_rules_file",
]


class _Model(BaseModel):
    model_config = MODEL_CONFIG


class FeedConfig(_Model):
    name: str = Field(min_length=1)
    url: str
    interval: Annotated[timedelta, between("1s", "7d")] | None = None
    tags: list[str] = []
    enabled: bool = True

    @field_validator("url")
    @classmethod
    def _http(cls, value: str) -> str:
        if not re.match(r"^https?://[^/\s]+", value):
            raise PydanticCustomError(
                "url", "invalid feed URL '{url}' (use http:// or https://)", {"url": value}
            )
        return value


class FeedsFile(_Model):
    feeds: list[FeedConfig] = Field(min_length=1)


@dataclass(frozen=True)
class Config:
    """A validated config directory."""

    directory: Path
    settings: Settings
    feeds: tuple[FeedConfig, ...]
    rules: RulesFile
    ruleset: RuleSet

    def state_dir(self, environ: typing.Mapping[str, str] = os.environ) -> Path:
        """Where the database lives by default: documented in the README."""
        if self.settings.state_dir is not None:
            return (self.directory / self.settings.state_dir).expanduser()
        if environ.get("STATE_DIRECTORY"):  # set by systemd's StateDirectory=
            return Path(environ["STATE_DIRECTORY"].split(":")[0])
        base = environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
        return Path(base) / "rasad"

    def database_url(self, environ: typing.Mapping[str, str] = os.environ) -> str:
        if environ.get("RASAD_DATABASE_URL"):
            return environ["RASAD_DATABASE_URL"]
        if self.settings.database:
            return self.settings.database
        return f"sqlite:///{self.state_dir(environ) / 'rasad.db'}"

    def secret_path(self, path: Path) -> Path:
        return path if path.is_absolute() else self.directory / path


FILES = ("rasad.yaml", "feeds.yaml", "rules.yaml")


def default_config_dir(environ: typing.Mapping[str, str] = os.environ) -> Path:
    """``$RASAD_CONFIG``, else systemd's ``$CONFIGURATION_DIRECTORY``, else the user's, else /etc/rasad."""
    if environ.get("RASAD_CONFIG"):
        return Path(environ["RASAD_CONFIG"])
    if environ.get("CONFIGURATION_DIRECTORY"):
        return Path(environ["CONFIGURATION_DIRECTORY"].split(":")[0])
    base = Path(environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    user = base / "rasad"
    return user if user.is_dir() else Path("/etc/rasad")


def load_config(directory: Path, *, rules_file: Path | None = None) -> Config:
    """Load and validate ``rasad.yaml``, ``feeds.yaml`` and ``rules.yaml`` from ``directory``."""
    problems: list[str] = []
    if not directory.is_dir():
        raise ConfigError(
            [f"{yamlfile.display_name(directory)}: config directory not found"],
            hint="pass --config DIR or set RASAD_CONFIG; the project's config/ holds examples",
        )
    settings = _validate(directory / "rasad.yaml", Settings, problems, optional=True)
    feeds = _validate(directory / "feeds.yaml", FeedsFile, problems)
    rules_path = rules_file or directory / "rules.yaml"
    rules, ruleset = load_rules(rules_path, problems, channels=set(settings.channels) if settings else None)
    if feeds is not None:
        problems.extend(_duplicate_feeds(directory / "feeds.yaml", feeds))
    if problems or settings is None or feeds is None or rules is None or ruleset is None:
        raise ConfigError(problems, hint="fix the lines above; `rasad check-config` checks again")
    return Config(directory, settings, tuple(feeds.feeds), rules, ruleset)


def load_rules(
    path: Path, problems: list[str], *, channels: set[str] | None = None
) -> tuple[RulesFile | None, RuleSet | None]:
    """Validate and compile a rules file; problems are appended, never raised."""
    found: list[str] = []
    try:
        data, positions = yamlfile.load(path)
    except ConfigError as exc:
        problems.extend(exc.problems)
        return None, None
    rules = validate(data, positions, RulesFile, found)
    if rules is None:
        problems.extend(found)
        return None, None
    try:
        ruleset = compile_rules(rules.rules, rules.aliases)
    except RuleError as exc:
        problems.extend(positions.error(data, loc, msg) for loc, msg in exc.problems)
        return rules, None
    if channels is not None:
        for i, rule in enumerate(rules.rules):
            routes: list[tuple[tuple[str | int, ...], str]] = [
                (("rules", i, "channels", j), r.channel) for j, r in enumerate(rule.channels)
            ]
            if rule.escalate is not None:
                routes.append((("rules", i, "escalate", "channel"), rule.escalate.channel))
            for where, channel in routes:
                if channel not in channels:
                    known = ", ".join(sorted(channels)) or "none configured in rasad.yaml"
                    problems.append(
                        positions.error(data, where, f"unknown channel '{channel}' (known: {known})")
                    )
    return rules, ruleset


def load_rules_file(path: Path) -> RuleSet:
    """Load a rules file alone (for ``rasad match --rules``): raises ConfigError."""
    problems: list[str] = []
    _, ruleset = load_rules(path, problems)
    if problems or ruleset is None:
        raise ConfigError(problems)
    return ruleset


def _validate(path: Path, model: type[Any], problems: list[str], *, optional: bool = False) -> Any:
    if optional and not path.exists():
        return model()
    try:
        data, positions = yamlfile.load(path)
    except ConfigError as exc:
        problems.extend(exc.problems)
        return None
    return validate(data, positions, model, problems)


def _duplicate_feeds(path: Path, feeds: FeedsFile) -> list[str]:
    out, seen_names, seen_urls = [], set(), set()
    name = yamlfile.display_name(path)
    for i, feed in enumerate(feeds.feeds):
        if feed.name in seen_names:
            out.append(f"{name}: feeds[{i}].name: duplicate feed name '{feed.name}'")
        if feed.url in seen_urls:
            out.append(f"{name}: feeds[{i}].url: duplicate feed URL '{feed.url}'")
        seen_names.add(feed.name)
        seen_urls.add(feed.url)
    return out
