"""The network layer under httpx (asyncio streams, monitor/netstream.py): TLS against a real
server with a real certificate, an untrusted certificate refused, connections kept alive and
reused, one the server closed while idle not reused, a silent server timed out."""

import asyncio
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from monitor.hostpool import guarded_transport
from monitor.netguard import AddressPolicy

BODY = "التحالف الدولي ينهي مهمته في العراق".encode()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    connections = 0
    closed = 0
    close_after_each = False  # close every connection after its answer, without saying so
    released: threading.Event  # /hold answers, then reads nothing more until this is set

    def shutdown_request(self, request: object) -> None:
        super().shutdown_request(request)  # type: ignore[arg-type]
        self.closed += 1


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.server.connections += 1

    def do_GET(self) -> None:
        if self.path == "/silent":
            self.rfile.read(1)  # waits for a byte the client never sends: no answer ever
            return
        if self.path == "/hold":
            self._answer()
            self.server.released.wait(60)  # a busy server: a TLS close is not answered meanwhile
            self.close_connection = True
            return
        self._answer()
        if self.server.close_after_each:
            self.close_connection = True

    def _answer(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(BODY)))
        self.end_headers()
        self.wfile.write(BODY)
        self.wfile.flush()

    def log_message(self, *args: object) -> None:
        pass


def _serve(tls: ssl.SSLContext | None) -> Iterator[_Server]:
    server = _Server(("127.0.0.1", 0), _Handler)
    server.released = threading.Event()
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.released.set()
        server.shutdown()
        server.server_close()


@pytest.fixture
def https(cert: Path) -> Iterator[_Server]:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert / "cert.pem", cert / "key.pem")
    yield from _serve(ctx)


@pytest.fixture
def http() -> Iterator[_Server]:
    yield from _serve(None)


def _get(
    server: _Server,
    paths: list[str],
    *,
    scheme: str = "http",
    tls: ssl.SSLContext | None = None,
    timeout: float = 60,
) -> list[httpx.Response]:
    port = server.server_address[1]

    async def go() -> list[httpx.Response]:
        transport = guarded_transport(2, AddressPolicy(["127.0.0.0/8"]), tls)
        async with httpx.AsyncClient(transport=transport, timeout=timeout) as client:
            out = []
            for path in paths:
                response = await client.get(f"{scheme}://127.0.0.1:{port}{path}")
                stream = response.extensions["network_stream"]
                response.extensions["tls"] = stream.get_extra_info("ssl_object") is not None
                out.append(response)
                while server.close_after_each and server.closed < len(out):  # its close is sent
                    await asyncio.sleep(0.01)
            return out

    return asyncio.run(go())


def test_pages_come_over_tls_on_one_kept_alive_connection(https, cert):
    trusted = ssl.create_default_context(cafile=str(cert / "cert.pem"))
    responses = _get(https, ["/a", "/b", "/c"], scheme="https", tls=trusted)
    assert [r.status_code for r in responses] == [200, 200, 200]
    assert all(r.content == BODY and r.extensions["tls"] for r in responses)
    assert https.connections == 1


def test_an_untrusted_certificate_is_refused(https):
    with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        _get(https, ["/a"], scheme="https", tls=ssl.create_default_context())


def test_plain_http_keeps_its_connection_alive(http):
    responses = _get(http, ["/a", "/b"])
    assert [r.content for r in responses] == [BODY, BODY]
    assert not responses[0].extensions["tls"]
    assert http.connections == 1


def test_a_connection_the_server_closed_while_idle_is_not_reused(http):
    http.close_after_each = True  # closed after each answer, with no "Connection: close" said
    responses = _get(http, ["/a", "/b", "/c"])
    assert [r.status_code for r in responses] == [200, 200, 200]
    assert http.connections == 3


def test_a_server_that_never_answers_times_out(http):
    with pytest.raises(httpx.ReadTimeout, match="read: nothing within 1s"):
        _get(http, ["/silent"], timeout=1)


def test_a_tls_connection_is_closed_when_its_client_is_even_if_the_server_is_slow_to_answer(https, cert):
    # the server answers, then is busy: it does not answer TLS's closing message. The connection's
    # socket must still be closed by the time the client is (else it is left to the garbage
    # collector: "unclosed transport", which failed the suite on a loaded machine)
    trusted = ssl.create_default_context(cafile=str(cert / "cert.pem"))
    sockets = []

    async def go() -> None:
        transport = guarded_transport(2, AddressPolicy(["127.0.0.0/8"]), trusted)
        async with httpx.AsyncClient(transport=transport, timeout=60) as client:
            response = await client.get(f"https://127.0.0.1:{https.server_address[1]}/hold")
            assert response.content == BODY
            sockets.append(response.extensions["network_stream"].get_extra_info("socket"))

    asyncio.run(go())
    https.released.set()
    assert sockets and sockets[0].fileno() == -1
