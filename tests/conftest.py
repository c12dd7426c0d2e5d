"""Real parts on 127.0.0.1: the seed news site (with misbehaving routes), an SMTP server
(aiosmtpd), a Slack stand-in, a temporary SQLite store, and PostgreSQL when a URL is given."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gzip
import json
import os
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from monitor.site import Site, send
from monitor.store import Store

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
SEED_STEMS = sorted(p.stem for p in SEEDS.glob("*.txt"))


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--regen-golden", action="store_true", help="rewrite golden files from current output")


@pytest.fixture
def regen(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--regen-golden"))


def local_email(port: int, to: str = "a@example.org"):
    """An email channel config for the test SMTP server on 127.0.0.1 (plain, no auth)."""
    from monitor.config import EmailChannel as EmailConfig

    return EmailConfig.model_validate(
        {
            "type": "email",
            "host": "127.0.0.1",
            "port": port,
            "security": "none",
            "from": "rasad@example.org",
            "to": [to],
            "timeout": "5s",
        }
    )


class Clock:
    """A clock the test moves by hand: ``clock.now += timedelta(hours=1)``."""

    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now


# ---------------------------------------------------------------- the news site


def _feed_1256(h: BaseHTTPRequestHandler) -> None:
    body = """<?xml version="1.0" encoding="windows-1256"?>
<rss version="2.0"><channel><title>موقع قديم</title>
<item><title>انسحاب قوات التحالف الدولي من العراق</title><link>http://127.0.0.1:9/old/1</link>
<guid isPermaLink="false">1</guid><description>بغداد تعلن جدولا زمنيا</description></item>
</channel></rss>""".encode("cp1256")
    send(h, 200, body, "application/rss+xml; charset=windows-1256")


def _status(code: int, headers: dict[str, str] | None = None):
    def handler(h: BaseHTTPRequestHandler) -> None:
        send(h, code, f"<html><body>{code}</body></html>".encode(), "text/html", headers)

    return handler


def _slow(h: BaseHTTPRequestHandler) -> None:
    time.sleep(10)
    send(h, 200, b"<rss version='2.0'><channel></channel></rss>", "application/rss+xml")


@functools.cache
def _bomb_payload() -> bytes:
    return gzip.compress(b"<p>" + b"a" * 50_000_000 + b"</p>", compresslevel=9)


def _bomb(h: BaseHTTPRequestHandler) -> None:
    send(h, 200, _bomb_payload(), "text/html", {"Content-Encoding": "gzip"})


def _redirect_loop(h: BaseHTTPRequestHandler) -> None:
    h.send_response(302)
    h.send_header("Location", "/redirect-loop")
    h.send_header("Content-Length", "0")
    h.end_headers()


ROUTES = {
    "/broken/500.xml": _status(500),
    "/broken/404.xml": _status(404),
    "/broken/429.xml": _status(429, {"Retry-After": "120"}),
    "/broken/malformed.xml": lambda h: send(
        h, 200, b"<rss><channel><item><title>x</titl", "application/rss+xml"
    ),
    "/broken/html.xml": lambda h: send(
        h, 200, "<!DOCTYPE html><html><body><h1>الصفحة الرئيسية</h1></body></html>".encode(), "text/html"
    ),
    "/cp1256.xml": _feed_1256,
    "/slow.xml": _slow,
    "/bomb.html": _bomb,
    "/redirect-loop": _redirect_loop,
}


@pytest.fixture
def site() -> Iterator[Site]:
    with Site(SEEDS / "site", routes=dict(ROUTES)) as s:
        yield s


# ---------------------------------------------------------------- TLS


@pytest.fixture(scope="session")
def cert(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A self-signed certificate for 127.0.0.1 (cert.pem, key.pem in the folder returned)."""
    d = tmp_path_factory.mktemp("tls")
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(d / "key.pem"),
            "-out",
            str(d / "cert.pem"),
        ],
        check=True,
        capture_output=True,
    )
    return d


# ---------------------------------------------------------------- SMTP


@dataclass
class Mailbox:
    messages: list[EmailMessage] = field(default_factory=list)
    port: int = 0
    refuse: list[int] = field(default_factory=list)  # SMTP codes to answer DATA with, in order
    delay: float = 0.0  # seconds to think before answering DATA (a slow server)
    started: int = 0  # DATA commands received, answered or not

    async def handle_DATA(self, server, session, envelope):
        self.started += 1
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.refuse:
            code = self.refuse.pop(0)
            return f"{code} try again later" if code < 500 else f"{code} rejected"
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))  # type: ignore[arg-type]
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp() -> Iterator[Mailbox]:
    box = Mailbox(port=free_port())
    controller = Controller(box, hostname="127.0.0.1", port=box.port)
    controller.start()
    try:
        yield box
    finally:
        controller.stop()


# ---------------------------------------------------------------- Slack stand-in


@dataclass
class SlackStandIn:
    """An incoming webhook at ``url`` and the Web API's chat.postMessage under ``api_url``
    (bot token ``token``; answers ``{"ok": true, "ts": …}`` and keeps ``thread_ts``)."""

    posts: list[dict] = field(default_factory=list)
    statuses: list[tuple[int, dict[str, str]]] = field(default_factory=list)  # answers before 200s
    api_errors: list[str] = field(default_factory=list)  # chat.postMessage answers ok=false first
    requests: int = 0  # posts to the webhook, answered or refused
    port: int = 0
    path: str = "/services/T000/B000/" + uuid.uuid4().hex
    token: str = "xoxb-" + uuid.uuid4().hex

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.path}"

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    stand_in = SlackStandIn()

    class Handler(BaseHTTPRequestHandler):
        disable_nagle_algorithm = True  # the body is not held back for a delayed ACK
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if self.path == "/api/chat.postMessage":
                self.api(json.loads(body))
                return
            if self.path != stand_in.path:
                send(self, 404, b"no_service", "text/plain")
                return
            stand_in.requests += 1
            if stand_in.statuses:
                code, headers = stand_in.statuses.pop(0)
                send(self, code, b"rate_limited" if code == 429 else b"error", "text/plain", headers)
                return
            stand_in.posts.append(json.loads(body))
            send(self, 200, b"ok", "text/plain")

        def api(self, payload: dict) -> None:
            def answer(data: dict) -> None:
                send(self, 200, json.dumps(data).encode(), "application/json")

            if self.headers.get("Authorization") != f"Bearer {stand_in.token}":
                answer({"ok": False, "error": "invalid_auth"})
            elif stand_in.api_errors:
                answer({"ok": False, "error": stand_in.api_errors.pop(0)})
            elif not payload.get("channel") or not (payload.get("text") or payload.get("blocks")):
                answer({"ok": False, "error": "no_text" if payload.get("channel") else "channel_not_found"})
            else:
                ts = f"{1700000000 + len(stand_in.posts)}.{len(stand_in.posts):06d}"
                stand_in.posts.append({**payload, "ts": ts})
                answer({"ok": True, "channel": payload["channel"], "ts": ts})

        def log_message(self, *args) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    stand_in.port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield stand_in
    finally:
        server.shutdown()
        server.server_close()


# ---------------------------------------------------------------- config directories


RULES_YAML = (ROOT / "config" / "rules.yaml").read_text(encoding="utf-8")
# a frozen rules file whose line numbers tests may quote in expected error messages
FIXTURE_RULES_YAML = (ROOT / "tests" / "fixtures" / "config" / "rules.yaml").read_text(encoding="utf-8")


def write_config(
    directory: Path,
    *,
    feeds: list[tuple[str, str]],
    smtp_port: int | None = None,
    database: str | None = None,
    rules: str = RULES_YAML,
    extra_settings: str = "",
    network: str = "network:\n  allow: [127.0.0.0/8]\n",  # the test servers are on loopback
    stories: bool = False,
) -> Path:
    """A config directory. Story grouping is off unless asked for: these tests count alerts per
    article (grouping is tested on its own, and on by default in `rasad demo`)."""
    directory.mkdir(parents=True, exist_ok=True)
    channels = ""
    if smtp_port is not None:
        channels = f"""channels:
  email:
    type: email
    host: 127.0.0.1
    port: {smtp_port}
    security: none
    from: "Rasad <rasad@example.org>"
    to: [analysts@example.org]
    timeout: 5s
  slack:
    type: slack
    webhook_url_env: RASAD_TEST_SLACK_WEBHOOK
    timeout: 5s
"""
    db = database or f"sqlite:///{directory / 'rasad.db'}"
    (directory / "rasad.yaml").write_text(
        f"database: {db}\nlog_level: info\nextraction:\n  workers: 2\n{network}{extra_settings}{channels}"
        + ("" if stories else "stories:\n  enabled: false\n"),
        encoding="utf-8",
    )
    (directory / "feeds.yaml").write_text(
        "feeds:\n" + "".join(f"  - name: {name}\n    url: {url}\n" for name, url in feeds), encoding="utf-8"
    )
    (directory / "rules.yaml").write_text(rules, encoding="utf-8")
    return directory


# ---------------------------------------------------------------- PostgreSQL


LOCAL_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for one test.

    RASAD_TEST_POSTGRES_URL names the server's admin database (default: a local server with trust
    auth). Without a server the PostgreSQL tests are skipped, except under CI, where they must run.
    """
    import psycopg

    admin = os.environ.get("RASAD_TEST_POSTGRES_URL") or LOCAL_POSTGRES
    name = "rasad_test_" + uuid.uuid4().hex[:12]
    try:
        with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"no PostgreSQL at {admin}: {str(exc).splitlines()[0]}")
    base, _, _ = admin.rpartition("/")
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    return request.getfixturevalue("postgres_url")


# ---------------------------------------------------------------- a daemon's surroundings


class NotifySocket:
    """systemd's end of the notify socket: read continuously (``reading=False``: never read)."""

    def __init__(self, path: Path, reading: bool = True):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(path))
        self.sock.settimeout(0.2)
        self.received: list[str] = []
        self.open = True
        if reading:
            threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        while self.open:
            with contextlib.suppress(TimeoutError, OSError):
                self.received.append(self.sock.recv(4096).decode())

    def wait_for(self, state: str, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(state in m for m in self.received):
                return
            time.sleep(0.05)
        raise AssertionError(f"no {state} from the daemon; got {self.received}")

    def close(self):
        self.open = False
        self.sock.close()


def read(log) -> str:
    log.seek(0)
    return log.read()


def wait_until(predicate, timeout: float = 120) -> None:
    """Until ``predicate()`` holds; the timeout only guards against a hang (never a speed test)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError("condition not reached")


class Relay:
    """A TCP relay on 127.0.0.1 in front of a real server (PostgreSQL): ``down()`` drops every
    connection and stops listening, as a server that crashed or restarted; ``up()`` listens again on
    the same port. Starts down when ``started=False`` (a database not yet up when Rasad starts)."""

    def __init__(self, target: tuple[str, int], started: bool = True) -> None:
        self.target = target
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        self.port = probe.getsockname()[1]
        probe.close()
        self._listener: socket.socket | None = None
        self._open: list[socket.socket] = []
        self._lock = threading.Lock()
        if started:
            self.up()

    def up(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def down(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()
        with self._lock:
            for sock in self._open:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            self._open.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(self.target)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._open += [client, server]
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := src.recv(65536):
                dst.sendall(data)
        with contextlib.suppress(OSError):
            dst.shutdown(socket.SHUT_WR)

    def url(self, database_url: str) -> str:
        """``database_url`` (on 127.0.0.1:5432) through this relay."""
        return database_url.replace(f"{self.target[0]}:{self.target[1]}", f"127.0.0.1:{self.port}")


@pytest.fixture
def store(tmp_path) -> Iterator[Store]:
    """An empty SQLite store (modules that test the store itself use their own, on each backend)."""
    s = Store(f"sqlite:///{tmp_path / 'x.db'}")
    s.create()
    yield s
    s.close()
