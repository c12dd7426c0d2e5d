"""A small local news site on 127.0.0.1: serves the seed feed and article pages (demo and tests).

Files under ``root`` are served as they are, except that the placeholder base
``http://seeds.rasad.invalid`` in feeds and pages becomes the server's own address. Every response
has an ETag and a Last-Modified date, and conditional requests are answered 304, like a real news
site behind a CDN. Extra routes (``routes[path] = handler``) let tests add misbehaving pages.
"""

from __future__ import annotations

import hashlib
import mimetypes
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

SITE_BASE = "http://seeds.rasad.invalid"
# Seeds' files date from when the site was built; a fixed date keeps Last-Modified stable.
LAST_MODIFIED = formatdate(1727000000, usegmt=True)


@dataclass
class Seen:
    """One request the site received (for tests and the demo's summary)."""

    method: str
    path: str
    headers: dict[str, str]
    status: int = 0
    port: int = 0  # the client's: requests on one kept-alive connection share it


Handler = Callable[[BaseHTTPRequestHandler], None]


class _QuietServer(ThreadingHTTPServer):
    """A client that hangs up mid-answer (a killed daemon, a timeout) is not an error worth a traceback."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        import sys

        if isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            return
        super().handle_error(request, client_address)


@dataclass
class Site:
    root: Path
    host: str = "127.0.0.1"
    port: int = 0
    routes: dict[str, Handler] = field(default_factory=dict)
    requests: list[Seen] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None

    @property
    def base(self) -> str:
        assert self._server is not None, "site not started"
        return f"http://{self.host}:{self._server.server_address[1]}"

    def url(self, path: str) -> str:
        return self.base + path

    def start(self) -> Site:
        site = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # headers and body go out in separate writes: with Nagle's algorithm the body waits for
            # the client's delayed ACK (40 ms a response on a kept-alive connection)
            disable_nagle_algorithm = True

            def do_GET(self) -> None:
                headers = {k.lower(): v for k, v in self.headers.items()}
                seen = Seen("GET", self.path, headers, port=self.client_address[1])
                site.requests.append(seen)
                path = urlsplit(self.path).path
                handler = site.routes.get(path)
                if handler is not None:
                    handler(self)
                else:
                    site._serve_file(self, path)
                seen.status = getattr(self, "_status", 0)

            def send_response(self, code: int, message: str | None = None) -> None:
                self._status = code
                super().send_response(code, message)

            def log_message(self, format: str, *args: Any) -> None:  # quiet: tests read .requests
                return None

        self._server = _QuietServer((self.host, self.port), _Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, name="rasad-site", daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> Site:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _serve_file(self, h: BaseHTTPRequestHandler, path: str) -> None:
        file = (self.root / path.lstrip("/")).resolve()
        if path.endswith("/"):
            file = file / "index.html"
        if not file.is_relative_to(self.root.resolve()) or not file.is_file():
            body = "<html><body><h1>404</h1><p>الصفحة غير موجودة</p></body></html>".encode()
            send(h, 404, body, "text/html; charset=utf-8")
            return
        content = file.read_bytes().replace(SITE_BASE.encode(), self.base.encode())
        ctype = (
            "application/rss+xml; charset=utf-8"
            if file.suffix == ".xml"
            else ((mimetypes.guess_type(file.name)[0] or "application/octet-stream") + "; charset=utf-8")
        )
        etag = '"' + hashlib.sha1(content).hexdigest()[:16] + '"'
        if not_modified(h, etag, LAST_MODIFIED):
            h.send_response(304)
            h.send_header("ETag", etag)
            h.send_header("Last-Modified", LAST_MODIFIED)
            h.send_header("Content-Length", "0")
            h.end_headers()
            return
        send(h, 200, content, ctype, {"ETag": etag, "Last-Modified": LAST_MODIFIED})


def not_modified(h: BaseHTTPRequestHandler, etag: str, last_modified: str) -> bool:
    inm = h.headers.get("If-None-Match")
    if inm is not None:
        return etag in [t.strip() for t in inm.split(",")] or inm.strip() == "*"
    ims = h.headers.get("If-Modified-Since")
    if ims:
        try:
            return parsedate_to_datetime(ims) >= parsedate_to_datetime(last_modified)
        except (TypeError, ValueError):
            return False
    return False


def send(
    h: BaseHTTPRequestHandler, status: int, body: bytes, ctype: str, headers: dict[str, str] | None = None
) -> None:
    h.send_response(status)
    h.send_header("Content-Type", ctype)
    h.send_header("Content-Length", str(len(body)))
    for k, v in (headers or {}).items():
        h.send_header(k, v)
    h.end_headers()
    h.wfile.write(body)
