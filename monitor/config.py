"""The three YAML files of a config directory, validated (pydantic) and compiled.

``load_config(directory)`` returns a :class:`Config` or raises :class:`ConfigError` listing every
problem as ``config/rules.yaml:14:5: rules[2].published_within: invalid duration …``. Nothing is
accepted silently: unknown keys, unknown channels, unknown aliases and invalid rules are errors.
Secrets are never read from the YAML itself; channels name an environment variable or a file.
"""

from __future__ import annotations

import difflib
import os
import re
import typing
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from monitor import yamlfile
from monitor.errors import ConfigError
from monitor.pacing import parse_mode, parse_quiet
from monitor.rules import RuleError, RuleSet, compile_rules
from monitor.units import parse_duration, parse_size


def _duration(value: object) -> timedelta:
    try:
        return parse_duration(value)
    except ValueError as exc:
        raise PydanticCustomError("duration", str(exc)) from None


def _size(value: object) -> int:
    try:
        return parse_size(value)
    except ValueError as exc:
        raise PydanticCustomError("size", str(exc)) from None


Duration = Annotated[timedelta, BeforeValidator(_duration)]
ByteSize = Annotated[int, BeforeValidator(_size)]
_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
FieldLiteral = Literal["title", "summary", "body", "url", "source"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class PollSettings(_Model):
    interval: Duration = timedelta(minutes=15)
    jitter: Duration = timedelta(seconds=60)


class NetworkSettings(_Model):
    timeout: Duration = timedelta(seconds=30)  # whole request, start to last byte
    connect_timeout: Duration = timedelta(seconds=10)
    max_connections: int = Field(16, ge=1, le=512)
    per_host: int = Field(2, ge=1, le=64)
    max_feed_size: ByteSize = 5_000_000
    max_page_size: ByteSize = 10_000_000
    user_agent: str = "Rasad/0.1 (+https://github.com/rasad-monitor/rasad)"
    # networks Rasad may fetch from although they are private (loopback, 10/8, …): refused by default
    allow: list[str] = []

    @field_validator("allow")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        import ipaddress

        for net in value:
            try:
                ipaddress.ip_network(net, strict=False)
            except ValueError:
                raise PydanticCustomError(
                    "network", "invalid network '{net}' (use e.g. 10.20.0.0/16 or 127.0.0.1)", {"net": net}
                ) from None
        return value


class ExtractionSettings(_Model):
    workers: int | Literal["auto"] = "auto"
    deadline: Duration = timedelta(seconds=30)
    memory_limit: ByteSize = 1_000_000_000


class DeliverySettings(_Model):
    retry_base: Duration = timedelta(seconds=30)
    retry_max: Duration = timedelta(hours=1)
    max_attempts: int = Field(12, ge=1)


def _secret_inline(data: Any, keys: tuple[str, ...], fix: str) -> Any:
    if isinstance(data, dict):
        for key in keys:
            if key in data:
                raise PydanticCustomError(
                    "secret_inline", "secrets are never written in the config: use {fix}", {"fix": fix}
                )
    return data


class _Channel(_Model):
    """What every channel may set: when it stays quiet, and how many messages an hour it takes."""

    quiet_hours: str | None = None  # e.g. "22:00-07:00" in the configured time zone: alerts wait
    max_per_hour: int | None = Field(None, ge=1)  # excess alerts are folded into one later message
    # When another outlet reports a story this channel was alerted about: "reply" (a short follow-up:
    # a Slack thread reply, an email in the same thread), "off", or a collecting mode such as
    # "digest daily 18:00" or "batch 1h" (the follow-ups go out together).
    story_updates: str = "reply"
    # An article that matches several rules: one message naming them all (true), or one per rule.
    group_rules: bool = True

    @field_validator("story_updates")
    @classmethod
    def _updates(cls, value: str) -> str:
        value = " ".join(value.lower().split())
        if value not in ("reply", "off"):
            try:
                if parse_mode(value).kind == "immediate":
                    return "reply"
            except ValueError:
                raise PydanticCustomError(
                    "story_updates",
                    "story_updates is 'reply', 'off', or a mode such as 'digest daily 18:00' or 'batch 1h'",
                ) from None
        return value

    @field_validator("quiet_hours")
    @classmethod
    def _quiet(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                parse_quiet(value)
            except ValueError as exc:
                raise PydanticCustomError("quiet", str(exc)) from None
        return value


class EmailChannel(_Channel):
    type: Literal["email"]
    host: str
    port: int = Field(587, ge=1, le=65535)
    security: Literal["starttls", "ssl", "none"] = "starttls"
    username: str | None = None
    password_env: str | None = None
    password_file: Path | None = None
    sender: str = Field(alias="from")
    to: list[str] = Field(min_length=1)
    timeout: Duration = timedelta(seconds=30)
    ca_file: Path | None = None  # a private CA that signed the server's certificate (internal relays)

    @model_validator(mode="before")
    @classmethod
    def _no_inline_password(cls, data: Any) -> Any:
        return _secret_inline(data, ("password",), "password_env or password_file")


class SlackChannel(_Channel):
    """An incoming webhook (simple; Slack cannot thread its posts), or a bot token and a channel id
    (chat.postMessage: later outlets of a story arrive as replies in the alert's thread)."""

    type: Literal["slack"]
    webhook_url_env: str | None = None
    webhook_url_file: Path | None = None
    token_env: str | None = None
    token_file: Path | None = None
    channel: str | None = None  # the channel id, e.g. C0123456789 (with a token)
    api_url: str = "https://slack.com/api"
    timeout: Duration = timedelta(seconds=15)

    @model_validator(mode="before")
    @classmethod
    def _no_inline_url(cls, data: Any) -> Any:
        return _secret_inline(
            data, ("webhook_url", "url", "token"), "webhook_url_env or token_env (or *_file)"
        )

    @model_validator(mode="after")
    def _one_source(self) -> SlackChannel:
        sources = [
            s
            for s in (self.webhook_url_env, self.webhook_url_file, self.token_env, self.token_file)
            if s is not None
        ]
        if len(sources) != 1:
            raise PydanticCustomError(
                "webhook",
                "give exactly one of webhook_url_env, webhook_url_file, token_env or token_file",
            )
        if (self.token_env or self.token_file) and not self.channel:
            raise PydanticCustomError("slack_channel", "a bot token needs the channel id to post in: channel")
        return self

    @property
    def threads(self) -> bool:
        return self.token_env is not None or self.token_file is not None


class ConsoleChannel(_Channel):
    type: Literal["console"]


class WebhookChannel(_Channel):
    """JSON POST signed with HMAC-SHA256; URL and signing secret from the environment or files."""

    type: Literal["webhook"]
    url_env: str | None = None
    url_file: Path | None = None
    secret_env: str | None = None
    secret_file: Path | None = None
    timeout: Duration = timedelta(seconds=15)

    @model_validator(mode="before")
    @classmethod
    def _no_inline(cls, data: Any) -> Any:
        return _secret_inline(data, ("url", "secret"), "url_env/url_file and secret_env/secret_file")

    @model_validator(mode="after")
    def _sources(self) -> WebhookChannel:
        if (self.url_env is None) == (self.url_file is None):
            raise PydanticCustomError("webhook", "give exactly one of url_env or url_file")
        if (self.secret_env is None) == (self.secret_file is None):
            raise PydanticCustomError("webhook", "give exactly one of secret_env or secret_file")
        return self


ChannelConfig = Annotated[
    EmailChannel | SlackChannel | ConsoleChannel | WebhookChannel, Field(discriminator="type")
]


class HealthSettings(_Model):
    """Source health: one notice to ``channel`` when a feed breaks or falls silent, one when it recovers."""

    channel: str
    failures: int = Field(5, ge=1)
    silence_factor: float = Field(6.0, gt=1)
    min_silence: Duration = timedelta(hours=12)


class StorySettings(_Model):
    """Grouping articles of one story across outlets: later articles join the first one's alert."""

    enabled: bool = True
    window: Duration = timedelta(hours=72)
    threshold: float = Field(0.22, gt=0, le=1)  # cosine of lead terms (measured: scripts/evaluate_stories.py)


class Settings(_Model):
    database: str | None = None  # default: sqlite in the state directory
    timezone: str = "UTC"  # for digests and quiet hours
    state_dir: Path | None = None
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    poll: PollSettings = PollSettings()
    network: NetworkSettings = NetworkSettings()
    extraction: ExtractionSettings = ExtractionSettings()
    delivery: DeliverySettings = DeliverySettings()
    channels: dict[str, ChannelConfig] = {}
    health: HealthSettings | None = None
    stories: StorySettings = StorySettings()  # on by default; `stories: {enabled: false}` turns it off

    @model_validator(mode="after")
    def _health_channel(self) -> Settings:
        if self.health is not None and self.health.channel not in self.channels:
            known = ", ".join(sorted(self.channels)) or "none configured"
            raise PydanticCustomError(
                "channel",
                "health.channel: unknown channel '{c}' (known: {k})",
                {"c": self.health.channel, "k": known},
            )
        return self

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise PydanticCustomError(
                "timezone", "unknown time zone '{tz}' (use e.g. Asia/Baghdad)", {"tz": value}
            ) from None
        return value

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @field_validator("database")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("sqlite://", "postgresql://", "postgresql+")):
            raise PydanticCustomError(
                "database", "unsupported database URL (use sqlite:///PATH or postgresql://…)"
            )
        return value


class FeedConfig(_Model):
    name: str = Field(min_length=1)
    url: str
    interval: Duration | None = None
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
    within: Duration = timedelta(hours=6)
    channel: str


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
    published_within: Duration | None = None
    published_after: date | None = None
    published_before: date | None = None
    mentions_date: dict[str, Any] | None = None  # {between: [2025-09, 2026-12]} or {after: …, before: …}
    languages: list[str] | Literal["any"] = ["ar"]  # ar, fa, ckb, ur, other; "any" turns the guard off
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
    rules = _validate_data(data, positions, RulesFile, found)
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
    return _validate_data(data, positions, model, problems)


def _validate_data(data: Any, positions: yamlfile.Positions, model: type[Any], problems: list[str]) -> Any:
    if data is None:
        data = {}
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            problems.append(positions.error(data, err["loc"], _message(err, model)))
        return None


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
    if typing.get_origin(tp) in (typing.Union, __import__("types").UnionType) and len(args) == 1:
        return _strip(args[0])
    return tp


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
