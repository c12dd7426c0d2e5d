"""Secrets from an environment variable or a file (systemd LoadCredential), never from the YAML."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from monitor.errors import AlertError


def read_secret(
    what: str, env: str | None, file: Path | None, environ: Mapping[str, str] = os.environ
) -> str | None:
    """The secret, or None when the channel names none. A named but missing secret is an error
    whose message names the variable or file, never the value."""
    if env:
        value = environ.get(env, "").strip()
        if not value:
            raise AlertError(
                f"{what}: environment variable {env} is not set",
                temporary=True,
                hint=f"set {env} (see EnvironmentFile= in systemd/rasad.service)",
            )
        return value
    if file:
        try:
            return file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise AlertError(
                f"{what}: cannot read secret file {file}: {exc.strerror}", temporary=True
            ) from None
    return None
