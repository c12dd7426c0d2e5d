"""The settings of ``rasad.yaml`` as pydantic models: database, poll, network, extraction, delivery,
channels, health and stories.

Validation only (pure): durations and sizes are parsed here (:mod:`monitor.units`); files are read and
errors located by :mod:`monitor.config`. Secrets are never read from the YAML itself; channels name an
environment variable or a file.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, BeforeValidator, Field, ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticCustomError

from monitor import dburl
from monitor.configtypes import MODEL_CONFIG, between, size_between
from monitor.pacing import parse_mode, parse_quiet
from monitor.schedule import poll_interval
from monitor.units import format_duration


class _Model(BaseModel):
    model_config = MODEL_CONFIG


class PollSettings(_Model):
    interval: Annotated[timedelta, between("1s", "7d")] = timedelta(minutes=15)
    jitter: Annotated[timedelta, between("0s", "1h")] = timedelta(seconds=60)
    # adaptive: each feed without an interval of its own is polled at its publishing cadence, learned
    # from its items' dates, within min_interval and max_interval; priority feeds at min_interval
    adaptive: bool = False
    min_interval: Annotated[timedelta, between("1s", "1d")] = timedelta(minutes=2)
    max_interval: Annotated[timedelta, between("1s", "7d")] = timedelta(hours=1)

    @model_validator(mode="after")
    def _bounds(self) -> PollSettings:
        if self.min_interval > self.max_interval:
            raise PydanticCustomError(
                "interval_bounds",
                "poll.min_interval ({low}) is longer than poll.max_interval ({high})",
                {"low": str(self.min_interval), "high": str(self.max_interval)},
            )
        return self

    def interval_for(self, fixed: timedelta | None, priority: bool, learned: timedelta | None) -> timedelta:
        """How often a feed is polled (see :func:`monitor.schedule.poll_interval`)."""
        return poll_interval(
            fixed=fixed,
            priority=priority,
            learned=learned,
            default=self.interval,
            adaptive=self.adaptive,
            floor=self.min_interval,
            ceiling=self.max_interval,
        )


class NetworkSettings(_Model):
    timeout: Annotated[timedelta, between("1s", "10m")] = timedelta(seconds=30)  # whole request
    connect_timeout: Annotated[timedelta, between("1s", "5m")] = timedelta(seconds=10)
    max_connections: int = Field(16, ge=1, le=512)
    per_host: int = Field(2, ge=1, le=64)
    max_feed_size: Annotated[int, size_between("100KB", "100MB")] = 5_000_000
    max_page_size: Annotated[int, size_between("100KB", "100MB")] = 10_000_000
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


def _workers(value: object) -> object:
    """One clear error instead of one per member of the union (a number, or 'auto')."""
    if value == "auto" or (isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 256):
        return value
    raise PydanticCustomError(
        "workers", "must be a whole number from 1 to 256, or 'auto' (got {got})", {"got": repr(value)}
    )


class ExtractionSettings(_Model):
    workers: Annotated[int | Literal["auto"], BeforeValidator(_workers)] = "auto"  # processes
    deadline: Annotated[timedelta, between("1s", "10m")] = timedelta(seconds=30)
    # address space per worker: a warm worker takes about 40 MB and a long article about 120 MB;
    # hostile pages reach 250-420 MB before the deadline (scripts/hostile_figures.py)
    memory_limit: Annotated[int, size_between("100MB", "64GB")] = 256_000_000


class DeliverySettings(_Model):
    retry_base: Annotated[timedelta, between("1s", "1d")] = timedelta(seconds=30)
    retry_max: Annotated[timedelta, between("1s", "7d")] = Field(timedelta(hours=1), validate_default=True)
    max_attempts: int = Field(12, ge=1, le=1000)

    @field_validator("retry_max")
    @classmethod
    def _not_below_base(cls, value: timedelta, info: ValidationInfo) -> timedelta:
        base = info.data.get("retry_base")
        if base is not None and value < base:
            raise PydanticCustomError(
                "out_of_range",
                "must be at least retry_base ({base}) (got {got})",
                {"base": format_duration(base), "got": format_duration(value)},
            )
        return value


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
    timeout: Annotated[timedelta, between("1s", "5m")] = timedelta(seconds=30)
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
    timeout: Annotated[timedelta, between("1s", "5m")] = timedelta(seconds=15)

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
    timeout: Annotated[timedelta, between("1s", "5m")] = timedelta(seconds=15)

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
    min_silence: Annotated[timedelta, between("1m", "30d")] = timedelta(hours=12)


class StorySettings(_Model):
    """Grouping articles of one story across outlets: later articles join the first one's alert."""

    enabled: bool = True
    window: Annotated[timedelta, between("1h", "30d")] = timedelta(hours=72)
    threshold: float = Field(0.22, gt=0, le=1)  # cosine of lead terms (measured: scripts/evaluate_stories.py)


_PGPASS = "or the URL without it here, and the password in ~/.pgpass (or the file PGPASSFILE names)"


class Settings(_Model):
    # Where matches are stored (default: SQLite in the state directory): a URL without a password,
    # or the name of an environment variable or of a file holding the URL (see monitor.dburl)
    database: str | None = None
    database_url_env: str | None = None
    database_url_file: Path | None = None  # relative to the config directory
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
        if value is None:
            return value
        if dburl.has_password(value):
            raise PydanticCustomError(
                "secret_inline",
                "a password is never written in the config: use database_url_env or database_url_file",
                {"hint": _PGPASS},
            )
        found = dburl.problem(value)
        if found is not None:
            raise PydanticCustomError("database", "{message}", {"message": found[0], "hint": found[1]})
        return value
