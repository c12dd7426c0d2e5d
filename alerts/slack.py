"""Slack, two ways: an incoming webhook (Block Kit; Slack cannot thread a webhook's posts), or a bot
token posting with chat.postMessage, which returns the message's ``ts`` so a story's follow-ups go
into the alert's thread. The webhook URL and the token are secrets: never logged, never in an error
message (errors name the channel)."""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx

from alerts.base import Alert
from alerts.secrets import read_secret
from monitor.config import SlackChannel as SlackConfig
from monitor.errors import AlertError
from monitor.fetch import parse_retry_after

# chat.postMessage errors worth another try; every other one is a configuration problem
_TEMPORARY_API_ERRORS = frozenset(
    {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)


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
        self._url_file = secret_dir / cfg.webhook_url_file if cfg.webhook_url_file else None
        self._token_file = secret_dir / cfg.token_file if cfg.token_file else None
        self._environ = environ
        timeout = cfg.timeout.total_seconds()
        self._client = httpx.AsyncClient(timeout=httpx.Timeout(timeout), transport=transport, trust_env=False)

    async def send(self, alert: Alert) -> str | None:
        if self.cfg.threads:
            return await self._post_message(alert)
        url = read_secret(
            f"{self.name}: webhook URL", self.cfg.webhook_url_env, self._url_file, self._environ
        )
        assert url is not None  # config guarantees one source
        resp = await self._post(url, alert.slack, {})
        if resp.status_code == 200:
            return None
        raise self._http_error(resp)

    async def _post_message(self, alert: Alert) -> str:
        token = read_secret(f"{self.name}: bot token", self.cfg.token_env, self._token_file, self._environ)
        payload: dict[str, Any] = {"channel": self.cfg.channel, "unfurl_links": False, **alert.slack}
        if alert.thread:
            payload["thread_ts"] = alert.thread
        url = self.cfg.api_url.rstrip("/") + "/chat.postMessage"
        resp = await self._post(url, payload, {"Authorization": f"Bearer {token}"})
        if resp.status_code != 200:
            raise self._http_error(resp)
        try:
            answer = resp.json()
        except ValueError:
            raise AlertError(
                f"{self.name}: Slack answered something that is not JSON", temporary=True
            ) from None
        if not answer.get("ok"):
            error = str(answer.get("error", "unknown error"))[:100]
            raise AlertError(
                f"{self.name}: Slack refused the message: {error}", temporary=error in _TEMPORARY_API_ERRORS
            )
        return str(answer.get("ts", "")) or ""

    async def _post(self, url: str, payload: dict[str, Any], headers: dict[str, str]) -> httpx.Response:
        try:
            return await self._client.post(url, json=payload, headers=headers)
        except httpx.TimeoutException:
            raise AlertError(f"{self.name}: Slack did not answer in time", temporary=True) from None
        except httpx.HTTPError as exc:
            # str(exc) of a transport error does not contain the URL; its type and reason are enough
            raise AlertError(
                f"{self.name}: cannot reach Slack: {type(exc).__name__}", temporary=True
            ) from None

    def _http_error(self, resp: httpx.Response) -> AlertError:
        body = resp.text[:200].strip()
        status = resp.status_code
        retry_after = parse_retry_after(resp.headers.get("retry-after"), time.time())
        return AlertError(
            f"{self.name}: Slack answered {status} {body}".rstrip(),
            temporary=status == 429 or status >= 500,
            retry_after=retry_after,
        )

    async def aclose(self) -> None:
        await self._client.aclose()
