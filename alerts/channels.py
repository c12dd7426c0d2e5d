"""Build the configured channels (the composition root calls this)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TextIO

from alerts.base import Channel
from alerts.console import ConsoleChannel
from alerts.email import EmailChannel
from alerts.slack import SlackChannel
from alerts.webhook import WebhookChannel
from monitor.config import Config
from monitor.config import ConsoleChannel as ConsoleConfig
from monitor.config import EmailChannel as EmailConfig
from monitor.config import WebhookChannel as WebhookConfig


def build_channels(
    config: Config, *, environ: Mapping[str, str] = os.environ, stdout: TextIO | None = None
) -> dict[str, Channel]:
    out: dict[str, Channel] = {}
    for name, cfg in config.settings.channels.items():
        if isinstance(cfg, EmailConfig):
            out[name] = EmailChannel(name, cfg, secret_dir=config.directory, environ=environ)
        elif isinstance(cfg, ConsoleConfig):
            out[name] = ConsoleChannel(name, stdout)
        elif isinstance(cfg, WebhookConfig):
            out[name] = WebhookChannel(name, cfg, secret_dir=config.directory, environ=environ)
        else:
            out[name] = SlackChannel(name, cfg, secret_dir=config.directory, environ=environ)
    return out
