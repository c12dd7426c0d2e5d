"""Database URLs: which are accepted, where they come from, how they are shown.

Rasad stores in SQLite (``sqlite:///PATH``) or PostgreSQL (``postgresql://USER@HOST/DBNAME``, with
the ``psycopg`` driver of ``rasad[postgres]``). :func:`problem` says what is wrong with a URL and how
to fix it, before anything tries to connect. A password is a secret: never in ``rasad.yaml`` (the URL
comes from an environment variable or a file instead, or the password from PGPASSFILE / ~/.pgpass),
and never shown: :func:`mask` hides it wherever a URL is printed.

:func:`resolve` finds the URL: ``$RASAD_DATABASE_URL``, else the config's ``database``,
``database_url_env`` or ``database_url_file``, else SQLite in the state directory.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Mapping
from pathlib import Path

from sqlalchemy.engine import URL, make_url

from monitor.errors import ConfigError

OVERRIDE = "RASAD_DATABASE_URL"
FORMS = "sqlite:///PATH (three slashes, then the path) or postgresql://USER@HOST/DBNAME"
POSTGRES_DRIVER = "pip install 'rasad[postgres]'"


class UnsetSecret(ConfigError):
    """The variable or file that holds the URL is missing: the URL cannot be known here (a shell
    without the service's environment), which ``check-config`` reports as a warning."""


def problem(url: str) -> tuple[str, str] | None:
    """What is wrong with ``url`` and how to fix it (message, hint), or None when it is usable.
    Neither ever contains the password."""
    shown = mask(url)
    if "://" not in url:
        if url.endswith((".db", ".sqlite", ".sqlite3")) or "/" in url:
            return f"'{shown}' is a path, not a URL", f"write sqlite:///{url}"
        return f"'{shown}' is not a database URL", f"write {FORMS}"
    scheme = url.split("://", 1)[0].lower()
    if scheme == "postgres":
        return f"'{shown}' uses the scheme postgres://", "write postgresql:// (SQLAlchemy's name for it)"
    if scheme.startswith("postgresql+") and scheme != "postgresql+psycopg":
        return f"'{shown}' names the driver {scheme[11:]}; Rasad uses psycopg", "write postgresql://"
    if scheme not in ("sqlite", "postgresql", "postgresql+psycopg"):
        return f"unsupported database URL '{shown}' (Rasad stores in SQLite or PostgreSQL)", f"write {FORMS}"
    parsed = _parse(url)
    if parsed is None:
        return f"invalid database URL '{shown}'", f"write {FORMS}"
    if scheme == "sqlite":
        if parsed.database in (None, "", ":memory:"):
            return f"'{shown}' names no file (an in-memory database loses everything at exit)", (
                "write sqlite:///PATH"
            )
        return None
    try:
        importlib.import_module("psycopg")
    except ImportError:
        return "PostgreSQL needs the psycopg driver, which is not installed", POSTGRES_DRIVER
    return None


def has_password(url: str) -> bool:
    parsed = _parse(url)
    if parsed is not None:
        return bool(parsed.password)
    return _PASSWORD.search(url) is not None


def mask(url: str) -> str:
    """``url`` with its password replaced by ``***``."""
    parsed = _parse(url)
    if parsed is not None and parsed.password:
        return parsed.render_as_string(hide_password=True)
    return _PASSWORD.sub(r"\1***@", url)


_PASSWORD = re.compile(r"(://[^:/@\s]*:)[^@\s]*@")


def _parse(url: str) -> URL | None:
    try:
        return make_url(url)
    except Exception:  # SQLAlchemy's parser raises several kinds, their text quoting the URL
        return None


def resolve(
    *,
    database: str | None,
    url_env: str | None,
    url_file: Path | None,
    default: str,
    source: str,
    environ: Mapping[str, str],
) -> str:
    """The URL to use. ``source`` names where the settings were written (``config/rasad.yaml``), for
    errors; a relative ``url_file`` was resolved by the caller. Raises ConfigError."""
    if environ.get(OVERRIDE):
        return _checked(environ[OVERRIDE].strip(), OVERRIDE)
    if database:
        return database  # checked when the config was validated
    if url_env:
        value = environ.get(url_env, "").strip()
        if not value:
            raise UnsetSecret(
                [f"{source}: database_url_env: environment variable {url_env} is not set"],
                hint=f"set {url_env} (see EnvironmentFile= in systemd/rasad.service)",
            )
        return _checked(value, f"{source}: database_url_env: {url_env}")
    if url_file:
        try:
            value = url_file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise UnsetSecret(
                [f"{source}: database_url_file: cannot read {url_file}: {exc.strerror}"]
            ) from None
        return _checked(value, f"{source}: database_url_file: {url_file}")
    return default


def _checked(url: str, where: str) -> str:
    found = problem(url)
    if found is not None:
        message, hint = found
        raise ConfigError([f"{where}: {message}"], hint=hint)
    return url
