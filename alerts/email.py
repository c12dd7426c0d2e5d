"""Email over SMTP: STARTTLS, implicit TLS or plain; authentication; a timeout on every call.

The message is multipart (plain text + right-to-left HTML). Its Message-ID is derived from the
alert key, so a resend after a crash is recognisably the same message.
"""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from collections.abc import Mapping
from email.header import Header
from email.message import Message
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import formatdate
from pathlib import Path

from alerts.base import Alert
from alerts.secrets import read_secret
from monitor.config import EmailChannel as EmailConfig
from monitor.errors import AlertError


class EmailChannel:
    def __init__(self, name: str, cfg: EmailConfig, *, secret_dir: Path, environ: Mapping[str, str]) -> None:
        self.name = name
        self.cfg = cfg
        self._password_file = secret_dir / cfg.password_file if cfg.password_file else None
        self._environ = environ
        ca_file = secret_dir / cfg.ca_file if cfg.ca_file else None
        self._tls = ssl.create_default_context(cafile=str(ca_file) if ca_file else None)

    def message(self, alert: Alert) -> Message:
        # The compat32 MIME classes, because the modern EmailMessage folds a long non-ASCII subject
        # with the space between two words outside the encoded-words, where readers drop it
        # ("من العراق بحلول" arrives as "من العراقبحلول"). Header() keeps spaces inside.
        msg = MIMEMultipart("alternative")
        msg["Subject"] = Header(alert.subject, "utf-8")  # type: ignore[assignment]  # typeshed: str only
        msg["From"] = self.cfg.sender
        msg["To"] = ", ".join(self.cfg.to)
        msg["Date"] = formatdate(usegmt=True)
        domain = self.cfg.sender.rsplit("@", 1)[-1].strip(" >") or "rasad.invalid"
        msg["Message-ID"] = f"<rasad.{alert.key}.{self.name}@{domain}>"
        if alert.reply_to:  # a follow-up: mail readers show it in the thread of the story's alert
            msg["In-Reply-To"] = msg["References"] = f"<rasad.{alert.reply_to}.{self.name}@{domain}>"
        msg["X-Rasad-Rule"] = alert.rule_id
        msg["Content-Language"] = "ar"
        msg.attach(MIMEText(alert.text, "plain", "utf-8"))
        msg.attach(MIMEText(alert.html, "html", "utf-8"))
        return msg

    async def send(self, alert: Alert) -> str | None:
        password = read_secret(
            f"{self.name}: SMTP password", self.cfg.password_env, self._password_file, self._environ
        )
        msg = self.message(alert)
        await asyncio.to_thread(self._send, msg, password)
        return None

    def _send(self, msg: Message, password: str | None) -> None:
        cfg = self.cfg
        timeout = cfg.timeout.total_seconds()
        where = f"{self.name}: SMTP {cfg.host}:{cfg.port}"
        try:
            if cfg.security == "ssl":
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(cfg.host, cfg.port, timeout=timeout, context=self._tls)
            else:
                smtp = smtplib.SMTP(cfg.host, cfg.port, timeout=timeout)
            with smtp:
                smtp.ehlo()
                if cfg.security == "starttls":
                    smtp.starttls(context=self._tls)
                    smtp.ehlo()
                if cfg.username:
                    smtp.login(cfg.username, password or "")
                smtp.send_message(msg)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = sorted({code for code, _ in exc.recipients.values()})
            raise AlertError(
                f"{where}: recipients refused ({codes})", temporary=all(400 <= c < 500 for c in codes)
            ) from None
        except smtplib.SMTPResponseException as exc:
            detail = (
                exc.smtp_error.decode(errors="replace")
                if isinstance(exc.smtp_error, bytes)
                else str(exc.smtp_error)
            )
            raise AlertError(
                f"{where}: {exc.smtp_code} {detail.splitlines()[0] if detail else ''}".rstrip(),
                temporary=400 <= exc.smtp_code < 500,
            ) from None
        except (smtplib.SMTPException, OSError) as exc:  # disconnects, timeouts, refused connections, TLS
            raise AlertError(f"{where}: {type(exc).__name__}: {exc}", temporary=True) from None

    async def aclose(self) -> None:
        return None
