"""The generic webhook channel: signed JSON, idempotency key, retries, no secret leaks."""

import asyncio
import hashlib
import hmac
import json
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from alerts.render import render
from alerts.webhook import WebhookChannel, signature
from monitor.config import WebhookChannel as WebhookConfig
from monitor.errors import AlertError
from monitor.model import Article, TermHit
from monitor.site import send
from monitor.store import StoredMatch

NOW = datetime(2026, 11, 22, tzinfo=UTC)
SECRET = "s3cret-shared-key"


@pytest.fixture
def receiver():
    got: list[tuple[dict, bytes]] = []
    answers: list[int] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            got.append(({k.lower(): v for k, v in self.headers.items()}, body))
            send(self, answers.pop(0) if answers else 204, b"", "text/plain")

        def log_message(self, *args):
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/rasad-hook", got, answers
    server.shutdown()
    server.server_close()


def alert():
    art = Article(
        "k",
        "https://news.example/a",
        "كتابات",
        "انسحاب التحالف الدولي من العراق",
        "",
        "أعلن العراق انسحاب التحالف الدولي",
        NOW,
    )
    return render(
        StoredMatch(7, "coalition", 4.0, (TermHit("العراق", "body", 1, "العراق"),), NOW, art, ()),
        "نهاية المهمة",
    )


def channel(url, tmp_path):
    cfg = WebhookConfig.model_validate(
        {"type": "webhook", "url_env": "HOOK", "secret_env": "KEY", "timeout": "2s"}
    )
    return WebhookChannel(
        "hook", cfg, secret_dir=tmp_path, environ={"HOOK": url, "KEY": SECRET}, clock=lambda: 1_790_000_000
    )


def deliver(ch, a):
    async def go():
        try:
            await ch.send(a)
        finally:
            await ch.aclose()

    asyncio.run(go())


def test_signed_json_with_a_stable_delivery_key(receiver, tmp_path):
    url, got, _ = receiver
    deliver(channel(url, tmp_path), alert())
    ((headers, body),) = got
    assert headers["x-rasad-delivery"] == "m7"
    assert headers["x-rasad-timestamp"] == "1790000000"
    expected = "sha256=" + hmac.new(SECRET.encode(), b"1790000000." + body, hashlib.sha256).hexdigest()
    assert headers["x-rasad-signature"] == expected == signature(SECRET, "1790000000", body)
    data = json.loads(body)
    assert data["article"]["title"] == "انسحاب التحالف الدولي من العراق"
    assert data["rule"] == {"id": "coalition", "name": "نهاية المهمة"} and data["terms"] == ["العراق"]


@pytest.mark.parametrize(("status", "temporary"), [(500, True), (429, True), (400, False), (410, False)])
def test_failures_are_classified_and_leak_no_secret(receiver, tmp_path, status, temporary):
    url, _, answers = receiver
    answers.append(status)
    with pytest.raises(AlertError) as exc:
        deliver(channel(url, tmp_path), alert())
    assert exc.value.temporary is temporary
    assert str(exc.value) == f"alert: hook: the webhook answered {status}"
    assert "rasad-hook" not in str(exc.value) and SECRET not in str(exc.value)


def test_config_refuses_inline_secrets_and_needs_both():
    with pytest.raises(ValueError, match="secrets are never written in the config"):
        WebhookConfig.model_validate({"type": "webhook", "url": "https://x", "secret_env": "K"})
    with pytest.raises(ValueError, match="give exactly one of secret_env or secret_file"):
        WebhookConfig.model_validate({"type": "webhook", "url_env": "U"})
