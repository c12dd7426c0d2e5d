"""Email over STARTTLS and implicit TLS with authentication, against aiosmtpd with a real certificate."""

import asyncio
import ssl
from datetime import UTC, datetime

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from alerts.email import EmailChannel
from alerts.render import render
from monitor.config import EmailChannel as EmailConfig
from monitor.errors import AlertError
from monitor.model import Article, TermHit
from monitor.store import StoredMatch
from tests.conftest import Mailbox, free_port

NOW = datetime(2026, 11, 22, tzinfo=UTC)


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = auth_data.login == b"rasad" and auth_data.password == b"s3cret-pw"
    return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd answers 535 itself


def server(cert, implicit: bool):
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert / "cert.pem", cert / "key.pem")
    box = Mailbox(port=free_port())
    # aiosmtpd does not know an implicit-TLS session is encrypted, so it is told not to insist
    kwargs = (
        {"ssl_context": ctx, "auth_require_tls": False}
        if implicit
        else {"tls_context": ctx, "require_starttls": True, "auth_require_tls": True}
    )
    controller = Controller(
        box,
        hostname="127.0.0.1",
        port=box.port,
        authenticator=authenticator,
        auth_exclude_mechanism=["LOGIN"],
        **kwargs,
    )
    return box, controller


def send(cert, port, security, password_env="PW", password="s3cret-pw"):
    cfg = EmailConfig.model_validate(
        {
            "type": "email",
            "host": "127.0.0.1",
            "port": port,
            "security": security,
            "username": "rasad",
            "password_env": password_env,
            "from": "rasad@example.org",
            "to": ["a@example.org"],
            "timeout": "5s",
            "ca_file": str(cert / "cert.pem"),
        }
    )
    channel = EmailChannel("email", cfg, secret_dir=cert, environ={"PW": password})
    art = Article("k", "https://x.example/a", "كتابات", "انسحاب التحالف الدولي", "", "نص", NOW)
    alert = render(
        StoredMatch(1, "r", 1.0, (TermHit("التحالف", "title", 1, "التحالف"),), NOW, art, ()), "قاعدة"
    )
    asyncio.run(channel.send(alert))


@pytest.mark.parametrize("implicit", [False, True], ids=["starttls", "ssl"])
def test_tls_and_auth(cert, implicit):
    box, controller = server(cert, implicit)
    controller.start()
    try:
        send(cert, box.port, "ssl" if implicit else "starttls")
        (msg,) = box.messages
        assert msg["Subject"] == "[Rasad] قاعدة: انسحاب التحالف الدولي"
        with pytest.raises(AlertError) as exc:
            send(cert, box.port, "ssl" if implicit else "starttls", password="wrong")
        assert not exc.value.temporary  # 535: fix the password, then `rasad deliveries retry`
        assert "535" in str(exc.value) and "wrong" not in str(exc.value)
    finally:
        controller.stop()


def test_missing_password_names_the_variable_not_a_value(cert):
    with pytest.raises(AlertError, match="environment variable NOPE is not set"):
        send(cert, 9, "starttls", password_env="NOPE")
