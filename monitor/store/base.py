"""The database connection under every part of the store: engines (SQLite pragmas, PostgreSQL),
the schema, transactions, and errors translated into :class:`monitor.errors.StoreError` with hints."""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import event, inspect, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError, SQLAlchemyError
from sqlmodel import Session, SQLModel, create_engine

from monitor.dburl import mask
from monitor.errors import StoreError, StoreLost
from monitor.logs import event as log_event
from monitor.store.tables import MetaRow

log = logging.getLogger("rasad.store")

T = TypeVar("T")
IN_LIMIT = 500  # values in one SQL IN (...): well under SQLite's bound-parameter cap


def in_chunks(values: Sequence[T]) -> Iterator[Sequence[T]]:
    """``values`` in slices of at most IN_LIMIT, one ``IN (...)`` query each."""
    for i in range(0, len(values), IN_LIMIT):
        yield values[i : i + IN_LIMIT]


class StoreBase:
    """The connection, its transactions and its errors: what every part of the store writes and
    reads through. Thread-safe; one instance per process."""

    def __init__(self, url: str) -> None:
        self.url = url
        try:
            parsed = make_url(url)
        except Exception as exc:  # SQLAlchemy's URL parser raises several kinds
            raise StoreError(f"invalid database URL {mask(url)}: {type(exc).__name__}") from None
        self.dialect = parsed.get_backend_name()
        if self.dialect == "postgresql" and parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        # the database file, whose identity is checked before each write (a deleted or replaced file)
        self._file: Path | None = None
        self._identity: tuple[int, int] | None = None
        if self.dialect == "sqlite" and parsed.database not in (None, "", ":memory:"):
            self._file = Path(parsed.database)
            self._file.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.engine: Engine = create_engine(parsed, pool_pre_ping=self.dialect != "sqlite")
        except ImportError as exc:
            raise StoreError(
                f"no driver for {self.dialect}: {exc}", hint="pip install 'rasad[postgres]'"
            ) from None
        # feed name → row id: a feed's row is never deleted nor renumbered (read again after a failed write)
        self._feed_ids: dict[str, int] = {}
        if self.dialect == "sqlite":
            _sqlite_pragmas(self.engine)
        self._writer = self.engine.execution_options(rasad_write=True)
        # ingest (articles, poll records): committed without waiting for the disk; see _write
        self._ingest = self.engine.execution_options(rasad_write=True, rasad_lazy=True)
        self._installation: str | None = None
        self._down: str | None = None  # why the database is unavailable, while it is
        self._down_lock = threading.Lock()

    def create(self) -> None:
        """Create missing tables and add missing columns (idempotent).

        Rasad's schema only grows: a new version adds tables and nullable or defaulted columns, never
        renames or drops. So upgrading a database means adding what is missing, which is done here at
        start-up; anything else would be refused by the database with a clear error.
        """
        with self._errors("create tables"):
            SQLModel.metadata.create_all(self.engine)
            self._add_missing_columns()
        if self._file is not None:
            st = self._file.stat()
            self._identity = (st.st_dev, st.st_ino)
        self.installation_id()

    def installation_id(self) -> str:
        """A random id made when the database was created: alert keys carry it, so a new or restored
        database never reuses the keys (email Message-IDs) of another one's alerts."""
        if self._installation is not None:
            return self._installation
        with self._errors("read the installation id"):
            for _ in range(2):  # two processes creating the same database: the second reads the first's
                with Session(self.engine) as s:
                    row = s.get(MetaRow, "installation")
                    if row is not None:
                        self._installation = row.value
                        return row.value
                try:
                    with Session(self._writer) as s:
                        s.add(MetaRow(key="installation", value=secrets.token_hex(6)))
                        s.commit()
                except IntegrityError:
                    continue
        raise StoreError("cannot record the installation id")

    def _add_missing_columns(self) -> None:
        inspector = inspect(self.engine)
        with self.engine.begin() as conn:
            for table in SQLModel.metadata.sorted_tables:
                present = {c["name"] for c in inspector.get_columns(table.name)}
                for column in table.columns:
                    if column.name in present:
                        continue
                    kind = column.type.compile(dialect=self.engine.dialect)
                    scalar = column.default is not None and column.default.is_scalar
                    default = getattr(column.default, "arg", None) if scalar else None
                    clause = f" DEFAULT {_literal(default)}" if default is not None else ""
                    if not column.nullable and default is None:
                        raise StoreError(
                            f"cannot upgrade table {table.name}: new column {column.name} needs a value"
                        )
                    conn.exec_driver_sql(
                        f'ALTER TABLE {table.name} ADD COLUMN "{column.name}" {kind}{clause}'
                    )
                    log_event(log, "store.upgraded", table=table.name, column=column.name)

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def _errors(self, doing: str) -> Iterator[None]:
        try:
            yield
        except IntegrityError:
            raise  # a constraint doing its job: the caller decides what it means
        except (OperationalError, DBAPIError) as exc:
            raise self._failed(doing, exc) from None
        if self._down is not None:
            self._available()

    def _failed(self, doing: str, exc: SQLAlchemyError) -> StoreError:
        """Translate a database error; a connection that may be stuck in a bad state is dropped."""
        message = f"cannot {doing}: {_first_line(exc)}"
        kind = _kind(exc)
        if kind == "lost":
            return StoreLost(
                f"{message}: its tables are gone",
                hint="the database was deleted or replaced while Rasad ran; Rasad stops rather than write "
                "into a new empty one unnoticed: restore it, or start Rasad again to begin a new one",
            )
        if kind in ("unavailable", "readonly"):
            # a connection opened while the file was read-only stays read-only; one to a restarted
            # server is dead: new connections next time
            self.engine.dispose()
            with self._down_lock:
                first = self._down is None
                self._down = kind
            if first and self._installation is not None:  # before it was ever opened: the caller says it
                log_event(log, "store.unavailable", logging.ERROR, error=_first_line(exc), hint=_hint(exc))
            return StoreError(message, hint=_hint(exc), temporary=True)
        return StoreError(message, hint=_hint(exc), temporary=kind == "full")

    def _available(self) -> None:
        with self._down_lock:
            was, self._down = self._down, None
        if was is not None:
            log_event(log, "store.available", was=was)

    @property
    def unavailable(self) -> bool:
        """Whether the last attempt found the database unreachable (or unwritable)."""
        return self._down is not None

    def _check_identity(self) -> None:
        """The SQLite file is still the one opened: a deleted file would take every write with it."""
        if self._file is None or self._identity is None:
            return
        try:
            st = self._file.stat()
        except FileNotFoundError:
            st = None
        if st is None or (st.st_dev, st.st_ino) != self._identity:
            what = "deleted" if st is None else "replaced"
            raise StoreLost(
                f"the database file {self._file} was {what} while Rasad ran",
                hint="Rasad stops rather than write into a deleted file: restore it from a backup, or start "
                "Rasad again to begin a new database",
            )

    def _writable_again(self) -> None:
        """After a read-only spell: SQLite gives its -wal and -shm files the database file's mode
        when it makes them, so a pair made while the file was read-only stays read-only after the
        file's permissions come back, and every new connection is read-only. Give them the file's
        mode again (they are Rasad's own files), and start over with new connections."""
        if self._file is None or not os.access(self._file, os.W_OK):
            return
        mode = self._file.stat().st_mode & 0o777
        for suffix in ("-wal", "-shm"):
            side = self._file.with_name(self._file.name + suffix)
            with contextlib.suppress(OSError):
                if side.exists() and not os.access(side, os.W_OK):
                    side.chmod(mode)
        self.engine.dispose()

    @contextmanager
    def _write(self, doing: str, *, durable: bool = True) -> Iterator[Session]:
        """A write transaction. ``durable=False`` (ingest: articles with their matches and
        deliveries, poll records) commits without waiting for the disk: SQLite WAL with
        ``synchronous=NORMAL``, PostgreSQL with ``synchronous_commit=off``. A crash of Rasad loses
        nothing either way; a power loss or OS crash may lose the last ingest commits, and only those
        made after the last durable commit, which carries every earlier one to disk. Every change of
        a delivery's state is durable, so an alert that went out was stored, with its article, on
        disk first; a lost article is fetched, matched and stored again at the next poll, and its
        alert, never sent, is sent then."""
        self._check_identity()
        if self._down == "readonly":
            self._writable_again()
        engine = self._writer if durable else self._ingest
        with self._errors(doing), Session(engine, expire_on_commit=False) as session:
            if not durable and self.dialect == "postgresql":
                session.exec(text("SET LOCAL synchronous_commit TO OFF"))  # type: ignore[call-overload]
            yield session
            session.commit()

    @contextmanager
    def _read(self, doing: str) -> Iterator[Session]:
        with self._errors(doing), Session(self.engine, expire_on_commit=False) as session:
            yield session


def _sqlite_pragmas(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves (pysqlite's own is broken)
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA busy_timeout = 10000")
        cur.execute("PRAGMA journal_mode = WAL")
        cur.execute("PRAGMA synchronous = FULL")
        cur.execute("PRAGMA foreign_keys = ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        options = conn.get_execution_options()
        if options.get("rasad_write"):
            lazy = options.get("rasad_lazy")
            conn.exec_driver_sql(f"PRAGMA synchronous = {'NORMAL' if lazy else 'FULL'}")
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN")


def _literal(value: object) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int | float):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


def _first_line(exc: SQLAlchemyError) -> str:
    orig = getattr(exc, "orig", None)
    return str(orig or exc).strip().splitlines()[0]


_UNAVAILABLE = (
    "could not connect",
    "connection refused",
    "server closed the connection",
    "terminating connection",
    "connection is closed",
    "connection already closed",
    "the database system is",
    "no connection to the server",
    "connection timed out",
    "timeout expired",
    "connection to server",
    "ssl syscall error",
    "consuming input failed",
    "unable to open database file",
    "disk i/o error",
)


def _kind(exc: SQLAlchemyError) -> str | None:
    """What a database error means for Rasad: unavailable (try again), readonly, full, lost, or None."""
    text = _first_line(exc).lower()
    if getattr(exc, "connection_invalidated", False) or any(s in text for s in _UNAVAILABLE):
        return "unavailable"
    if "readonly" in text or "read-only" in text:
        return "readonly"
    if "disk" in text and "full" in text:
        return "full"
    if "no such table" in text or ("relation" in text and "does not exist" in text):
        return "lost"
    return None


def _hint(exc: SQLAlchemyError) -> str | None:
    text = _first_line(exc).lower()
    if "locked" in text or "busy" in text:
        return "another process holds the database; it is retried"
    if "unable to open" in text or "readonly" in text or "read-only" in text:
        return "check that the state directory exists and is writable by the rasad user"
    if "disk" in text and "full" in text:
        return "free disk space; Rasad carries on when it can write again"
    if "not a database" in text or "malformed" in text or "corrupt" in text:
        return "the database file is damaged: restore it from a backup, or move it away to start a new one"
    if "connection" in text or "could not connect" in text:
        return "check the database URL and that the server is running"
    return None
