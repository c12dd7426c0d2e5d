"""Generic webhook: the alert as JSON, POSTed with an HMAC-SHA256 signature, for wiring Rasad into
other systems.

Headers: ``X-Rasad-Delivery`` (the alert key: the same on every resend, so receivers can drop
duplicates), ``X-Rasad-Timestamp`` (Unix seconds) and ``X-Rasad-Signature: sha256=<hex>``, the HMAC
of ``"<timestamp>.<body>"`` with the shared secret — signing the timestamp too lets receivers refuse
replays. The URL and the secret are secrets: never logged, never in an error message.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable, Mapping
from pathlib import Path

import httpx

from alerts.base import Alert
from alerts.secrets import read_secret
from monitor.config import WebhookChannel as WebhookConfig
from monitor.errors import AlertError
from monitor.fetch import parse_retry_after


def signature(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


class WebhookChannel:
    def __init__(
        self,
        name: str,
        cfg: WebhookConfig,
        *,
        secret_dir: Path,
        environ: Mapping[str, str],
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.name = name
        self.cfg = cfg
        self._dir = secret_dir
        self._environ = environ
        self._clock = clock
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(cfg.timeout.total_seconds()), transport=transport, trust_env=False
        )

    async def send(self, alert: Alert) -> str | None:
        cfg = self.cfg
        url = read_secret(f"{self.name}: webhook URL", cfg.url_env, self._path(cfg.url_file), self._environ)
        secret = read_secret(
            f"{self.name}: signing secret", cfg.secret_env, self._path(cfg.secret_file), self._environ
        )
        assert url is not None and secret is not None  # config guarantees both
        body = json.dumps(alert.data, ensure_ascii=False, sort_keys=True).encode()
        stamp = str(int(self._clock()))
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "Rasad",
            "X-Rasad-Delivery": alert.key,
            "X-Rasad-Timestamp": stamp,
            "X-Rasad-Signature": signature(secret, stamp, body),
        }
        try:
            resp = await self._client.post(url, content=body, headers=headers)
        except httpx.TimeoutException:
            raise AlertError(f"{self.name}: the webhook did not answer in time", temporary=True) from None
        except httpx.HTTPError as exc:
            raise AlertError(
                f"{self.name}: cannot reach the webhook: {type(exc).__name__}", temporary=True
            ) from None
        if 200 <= resp.status_code < 300:
            return None
        status = resp.status_code
        raise AlertError(
            f"{self.name}: the webhook answered {status}",
            temporary=status in (408, 425, 429) or status >= 500,
            retry_after=parse_retry_after(resp.headers.get("retry-after"), time.time()),
        )

    def _path(self, file: Path | None) -> Path | None:
        return self._dir / file if file else None

    async def aclose(self) -> None:
        await self._client.aclose()
