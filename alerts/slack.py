"""Slack incoming webhook with Block Kit. The webhook URL is a secret: it is never logged and never
appears in an error message (errors name the channel, not the URL)."""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path

import httpx

from alerts.base import Alert
from alerts.secrets import read_secret
from monitor.config import SlackChannel as SlackConfig
from monitor.errors import AlertError
from monitor.fetch import parse_retry_after


class SlackChannel:
    def __init__(
        self,
        name: str,
        cfg: SlackConfig,
        *,
        secret_dir: Path,
        environ: Mapping[str, str],
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.name = name
        self.cfg = cfg
        self._file = secret_dir / cfg.webhook_url_file if cfg.webhook_url_file else None
        self._environ = environ
        timeout = cfg.timeout.total_seconds()
        self._client = httpx.AsyncClient(timeout=httpx.Timeout(timeout), transport=transport, trust_env=False)

    async def send(self, alert: Alert) -> None:
        url = read_secret(f"{self.name}: webhook URL", self.cfg.webhook_url_env, self._file, self._environ)
        assert url is not None  # config guarantees one source
        try:
            resp = await self._client.post(url, json=alert.slack)
        except httpx.TimeoutException:
            raise AlertError(f"{self.name}: Slack did not answer in time", temporary=True) from None
        except httpx.HTTPError as exc:
            # str(exc) of a transport error does not contain the URL; its type and reason are enough
            raise AlertError(
                f"{self.name}: cannot reach Slack: {type(exc).__name__}", temporary=True
            ) from None
        if resp.status_code == 200:
            return
        body = resp.text[:200].strip()
        status = resp.status_code
        retry_after = parse_retry_after(resp.headers.get("retry-after"), time.time())
        temporary = status == 429 or status >= 500
        raise AlertError(
            f"{self.name}: Slack answered {status} {body}".rstrip(),
            temporary=temporary,
            retry_after=retry_after,
        )

    async def aclose(self) -> None:
        await self._client.aclose()
