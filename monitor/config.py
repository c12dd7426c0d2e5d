"""The three YAML files of a config directory, read, validated and compiled.

``load_config(directory)`` returns a :class:`Config` or raises :class:`ConfigError` listing every
problem of the three files as ``config/rules.yaml:14:5: rules[2].published_within: invalid duration …``.
Nothing is accepted silently: unknown keys, unknown channels, unknown aliases and invalid rules are
errors; what works but is likely not meant (a feed at a private address) is in ``Config.warnings``.
The models live in :mod:`monitor.settings` (rasad.yaml) and :mod:`monitor.ruleconfig` (rules.yaml),
re-exported here; the rules file is read by :mod:`monitor.rulesfile`, the database URL resolved by
:mod:`monitor.dburl`. ``find_config_dir`` says where the directory is.
"""

from __future__ import annotations

import functools
import os
import re
import typing
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import BaseModel, Field, field_validator
from pydantic_core import PydanticCustomError

from monitor import dburl, yamlfile
from monitor.configtypes import MODEL_CONFIG, ByteSize, Duration, between
from monitor.errors import ConfigError
from monitor.netguard import AddressPolicy, allow_suggestion, literal_address
from monitor.ruleconfig import Escalation, Route, RuleConfig, RulesFile
from monitor.rules import RuleSet
from monitor.rulesfile import load_rules_file, read_rules
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
from monitor.validation import Report

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
    "find_config_dir",
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
    priority: bool = False  # polled at poll.min_interval: news from it cannot wait

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
    warnings: tuple[str, ...] = ()  # file:line:col lines about what works, but likely not as meant

    def state_dir(self, environ: typing.Mapping[str, str] = os.environ) -> Path:
        """Where the database lives by default: documented in the README."""
        if self.settings.state_dir is not None:
            return (self.directory / self.settings.state_dir).expanduser()
        if environ.get("STATE_DIRECTORY"):  # set by systemd's StateDirectory=
            return Path(environ["STATE_DIRECTORY"].split(":")[0])
        base = environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
        return Path(base) / "rasad"

    def feed(self, name: str) -> FeedConfig | None:
        """The feed called ``name`` (a daemon with a thousand feeds asks once per poll)."""
        return self._feeds_by_name.get(name)

    @functools.cached_property
    def _feeds_by_name(self) -> dict[str, FeedConfig]:
        return {f.name: f for f in self.feeds}

    def database_url(self, environ: typing.Mapping[str, str] = os.environ) -> str:
        """``$RASAD_DATABASE_URL``, else ``database``, ``database_url_env`` or ``database_url_file``,
        else SQLite in the state directory. Raises ConfigError (:class:`dburl.UnsetSecret` when the
        variable or file is missing) naming the variable or file; never shows a password."""
        s = self.settings
        return dburl.resolve(
            database=s.database,
            url_env=s.database_url_env,
            url_file=self.secret_path(s.database_url_file) if s.database_url_file else None,
            default=f"sqlite:///{self.state_dir(environ) / 'rasad.db'}",
            source=yamlfile.display_name(self.directory / "rasad.yaml"),
            environ=environ,
        )

    def secret_path(self, path: Path) -> Path:
        return path if path.is_absolute() else self.directory / path


FILES = ("rasad.yaml", "feeds.yaml", "rules.yaml")
DATABASE_KEYS = ("database", "database_url_env", "database_url_file")  # where the URL comes from: one
SYSTEM_CONFIG = Path("/etc/rasad")


def user_config_dir(environ: typing.Mapping[str, str] = os.environ) -> Path:
    """``$XDG_CONFIG_HOME/rasad``, else ``~/.config/rasad``."""
    return Path(environ.get("XDG_CONFIG_HOME") or Path.home() / ".config") / "rasad"


def find_config_dir(environ: typing.Mapping[str, str] = os.environ) -> Path:
    """``$RASAD_CONFIG``, else systemd's ``$CONFIGURATION_DIRECTORY``, else the user's if it exists,
    else /etc/rasad if it exists. Raises ConfigError naming every place it looked when none does."""
    if environ.get("RASAD_CONFIG"):
        return Path(environ["RASAD_CONFIG"])
    if environ.get("CONFIGURATION_DIRECTORY"):
        return Path(environ["CONFIGURATION_DIRECTORY"].split(":")[0])
    user = user_config_dir(environ)
    for candidate in (user, SYSTEM_CONFIG):
        if candidate.is_dir():
            return candidate
    raise ConfigError(
        [
            "no config directory found: looked in $RASAD_CONFIG (not set), $CONFIGURATION_DIRECTORY "
            f"(not set), {user}, {SYSTEM_CONFIG}"
        ],
        hint=f"`rasad init` writes the example config to {user}; or pass --config DIR",
    )


def load_config(directory: Path, *, rules_file: Path | None = None) -> Config:
    """Load and validate ``rasad.yaml``, ``feeds.yaml`` and ``rules.yaml`` from ``directory``.

    Raises ConfigError listing the problems of all three files at once."""
    if not directory.is_dir():
        raise ConfigError(
            [f"{yamlfile.display_name(directory)}: config directory not found"],
            hint="pass --config DIR or set RASAD_CONFIG; the project's config/ holds examples",
        )
    problems: list[str] = []
    hints: list[str] = []
    settings, raw_settings = _read_settings(directory / "rasad.yaml", problems, hints)
    allow = settings.network.allow if settings is not None else []
    feeds, warnings = _read_feeds(directory / "feeds.yaml", problems, hints, allow)
    # rules are checked against the channels rasad.yaml names, even when a channel is invalid
    channels = set(settings.channels) if settings is not None else _channel_names(raw_settings)
    rules = read_rules(rules_file or directory / "rules.yaml", channels=channels)
    problems.extend(rules.problems)
    if rules.hint:
        hints.append(rules.hint)
    if problems or settings is None or feeds is None or rules.rules is None or rules.ruleset is None:
        raise ConfigError(
            problems, hint=hints[0] if hints else "fix the lines above; `rasad check-config` checks again"
        )
    return Config(directory, settings, tuple(feeds), rules.rules, rules.ruleset, tuple(warnings))


def load_rules(
    path: Path, problems: list[str], *, channels: set[str] | None = None
) -> tuple[RulesFile | None, RuleSet | None]:
    """Validate and compile a rules file; problems are appended, never raised
    (:func:`monitor.rulesfile.read_rules` also gives the hint)."""
    read = read_rules(path, channels=channels)
    problems.extend(read.problems)
    return read.rules, read.ruleset


def _load(path: Path, problems: list[str], hints: list[str]) -> Report | None:
    try:
        data, positions = yamlfile.load(path)
    except ConfigError as exc:
        problems.extend(exc.problems)
        if exc.hint:
            hints.append(exc.hint)
        return None
    return Report(data, positions)


def _read_settings(path: Path, problems: list[str], hints: list[str]) -> tuple[Settings | None, Any]:
    """rasad.yaml (optional: defaults apply), and its raw data."""
    if not path.exists():
        return Settings(), None
    report = _load(path, problems, hints)
    if report is None:
        return None, None
    settings = report.validate(report.data, Settings)
    given = [key for key in DATABASE_KEYS if isinstance(report.data, dict) and key in report.data]
    if len(given) > 1:
        report.add((given[1],), "give at most one of database, database_url_env or database_url_file")
        settings = None
    problems.extend(report.lines())
    hints.extend(report.hints)
    return settings, report.data


def _channel_names(raw: Any) -> set[str] | None:
    channels = raw.get("channels") if isinstance(raw, dict) else None
    return {str(name) for name in channels} if isinstance(channels, dict) else None


class _FeedsOutline(_Model):
    feeds: list[Any] = Field(min_length=1)


def _read_feeds(
    path: Path, problems: list[str], hints: list[str], allow: list[str]
) -> tuple[list[FeedConfig] | None, list[str]]:
    """feeds.yaml, each feed validated on its own; duplicate names and URLs are errors. Also warnings
    about feeds at a private address that ``allow`` (network.allow) does not cover."""
    report = _load(path, problems, hints)
    if report is None:
        return None, []
    outline = report.validate(report.data, _FeedsOutline)
    feeds: list[FeedConfig] = []
    if outline is not None:
        first: dict[tuple[str, str], int] = {}
        for i, item in enumerate(outline.feeds):
            feed = report.validate(item, FeedConfig, ("feeds", i))
            if feed is not None:
                feeds.append(feed)
            for key in ("name", "url"):
                value = item.get(key) if isinstance(item, dict) else None
                if not isinstance(value, str):
                    continue
                if (key, value) in first:
                    what = "name" if key == "name" else "URL"
                    report.add(
                        ("feeds", i, key),
                        f"duplicate feed {what} '{value}' (first used by feeds[{first[key, value]}])",
                    )
                first.setdefault((key, value), i)
    problems.extend(report.lines())
    warnings = [
        report.positions.error(report.data, ("feeds", i, "url"), message)
        for i, feed in enumerate(outline.feeds if outline is not None else [])
        if isinstance(feed, dict) and (message := _refused_feed(feed.get("url"), allow))
    ]
    return (None if report else feeds), warnings


def _refused_feed(url: Any, allow: list[str]) -> str | None:
    """Why fetching ``url`` will be refused, judged from its host alone (no DNS here), or None."""
    try:
        host = urlsplit(url).hostname if isinstance(url, str) else None
    except ValueError:  # e.g. an unclosed [ipv6
        return None
    ip = literal_address(host) if host else None
    reason = AddressPolicy(allow).refusal(ip) if ip else None
    if ip is None or reason is None:
        return None
    shown = host if host == ip else f"{host} ({ip})"
    return f"{shown} is a {reason} address, refused when fetched: {allow_suggestion(ip)}"
