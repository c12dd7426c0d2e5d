"""Chaos run: kill the daemon with SIGKILL at random moments, then count what the sinks received.

    python scripts/chaos.py [--kills 30] [--seed 1]

Everything runs on 127.0.0.1: a news site whose feeds grow while the daemon runs (new articles every
half second, pages built from the seed articles), a real SMTP server (aiosmtpd) and a Slack stand-in.
`rasad run` is started, killed with SIGKILL after a random 0.2–2.5 s, and started again, --kills
times; the phase it was in when killed is read from its last log line. Then it runs once more until
nothing is pending, and the store is compared with the sinks:

- lost: a delivery the store has (every match × channel) that no sink received — must be 0;
- duplicated: a message received more than once — allowed only when a kill fell between a send and
  its record; a duplicate must carry the same key (email Message-ID, Slack "rasad:m<id>").
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from aiosmtpd.controller import Controller

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from monitor.site import Site, send  # noqa: E402
from monitor.store import Store  # noqa: E402

PAGES = sorted((ROOT / "seeds" / "site").glob("*/*.html"))
FEEDS = ("a", "b", "c")
T0 = time.time()


def feed_xml(base: str, name: str) -> bytes:
    count = min(40, int((time.time() - T0) / 0.5) + 1)  # one more article every half second
    items = []
    for i in range(count):
        page = PAGES[i % len(PAGES)]
        items.append(
            f"<item><title>خبر {name}-{i}: إنهاء مهمة التحالف الدولي في العراق</title>"
            f"<link>{base}/chaos/{i % len(PAGES)}/{name}-{i}.html</link><guid>{name}-{i}</guid>"
            f"<description>{page.stem}</description></item>"
        )
    return f'<rss version="2.0"><channel><title>{name}</title>{"".join(items)}</channel></rss>'.encode()


def site_routes(site: Site) -> None:
    for name in FEEDS:
        site.routes[f"/chaos-{name}.xml"] = lambda h, n=name: send(
            h, 200, feed_xml(site.base, n), "application/rss+xml"
        )

    def page(h: BaseHTTPRequestHandler) -> None:
        index = int(h.path.split("/")[2])
        send(h, 200, PAGES[index].read_bytes(), "text/html; charset=utf-8")

    for i in range(len(PAGES)):
        for name in FEEDS:
            for n in range(40):
                site.routes[f"/chaos/{i}/{name}-{n}.html"] = page


class Mailbox:
    def __init__(self) -> None:
        self.ids: list[str] = []

    async def handle_DATA(self, server, session, envelope):
        msg = message_from_bytes(envelope.content, policy=policy.default)
        self.ids.append(str(msg["Message-ID"]))
        return "250 OK"


def slack_stand_in() -> tuple[ThreadingHTTPServer, list[str]]:
    keys: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            keys.append(re.search(r"rasad:m\d+", json.dumps(body, ensure_ascii=False)).group())
            send(self, 200, b"ok", "text/plain")

        def log_message(self, *args: object) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, keys


PHASES = (
    ("send", ("alert.sent", "alert.failed")),
    ("store/match", ("article.matched",)),
    ("fetch/extract", ("feed.polled", "daemon.started", "article.fallback")),
)


def phase(log_text: str) -> str:
    lines = [ln for ln in log_text.splitlines() if ln.startswith(("INFO", "WARNING", "ERROR"))]
    if not lines:
        return "start-up"
    last = lines[-1]
    for name, events in PHASES:
        if any(e in last for e in events):
            return name
    return "other"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--kills", type=int, default=30)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    box = Mailbox()
    with socket_port() as port:
        smtp = Controller(box, hostname="127.0.0.1", port=port)
    smtp.start()
    slack, slack_keys = slack_stand_in()
    with Site(ROOT / "seeds" / "site") as site, tempfile.TemporaryDirectory() as tmp:
        site_routes(site)
        cfg = Path(tmp)
        (cfg / "rasad.yaml").write_text(
            f"database: sqlite:///{cfg / 'rasad.db'}\nlog_level: info\n"
            "poll: {interval: 1s, jitter: 0s}\nnetwork: {allow: [127.0.0.0/8]}\n"
            "extraction: {workers: 2}\ndelivery: {retry_base: 1s, retry_max: 2s}\n"
            f"channels:\n  email: {{type: email, host: 127.0.0.1, port: {smtp.port}, security: none,"
            " from: rasad@example.org, to: [a@example.org], timeout: 5s}\n"
            "  slack: {type: slack, webhook_url_env: CHAOS_SLACK, timeout: 5s}\n",
            encoding="utf-8",
        )
        (cfg / "feeds.yaml").write_text(
            "feeds:\n"
            + "".join(f"  - {{name: '{n}', url: '{site.url(f'/chaos-{n}.xml')}'}}\n" for n in FEEDS),
            encoding="utf-8",
        )
        (cfg / "rules.yaml").write_text(
            (ROOT / "config" / "rules.yaml").read_text(encoding="utf-8"), encoding="utf-8"
        )
        env = {**os.environ, "CHAOS_SLACK": f"http://127.0.0.1:{slack.server_address[1]}/hook"}
        phases: Counter[str] = Counter()
        for k in range(args.kills):
            log = cfg / f"run{k}.log"
            with log.open("w") as out:
                proc = subprocess.Popen(
                    [sys.executable, "-m", "monitor", "run", "--config", str(cfg)],
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    env=env,
                )
                time.sleep(rng.uniform(0.2, 2.5))
                proc.send_signal(signal.SIGKILL)
                proc.wait()
            phases[phase(log.read_text(encoding="utf-8"))] += 1
        # the feeds stop growing; run to completion
        final = subprocess.Popen(
            [sys.executable, "-m", "monitor", "run", "--config", str(cfg)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        store = Store(f"sqlite:///{cfg / 'rasad.db'}")
        deadline = time.time() + 120
        while time.time() < deadline:
            time.sleep(2)
            counts = store.counts()
            if (
                time.time() - T0 > 25
                and not counts.get("deliveries_pending")
                and not counts.get("deliveries_sending")
            ):
                break
        final.send_signal(signal.SIGTERM)
        final.wait(timeout=90)
        matches = store.matches()
        counts = store.counts()
        store.close()
    smtp.stop()
    slack.shutdown()

    expected = {(f"m{m.match_id}", ch) for m in matches for ch, _ in m.deliveries}
    email_keys = [re.search(r"rasad\.(m\d+)\.email@", i).group(1) for i in box.ids]
    slack_got = [k.split(":")[1] for k in slack_keys]
    received = Counter([(k, "email") for k in email_keys] + [(k, "slack") for k in slack_got])
    lost = expected - set(received)
    unexpected = set(received) - expected
    duplicates = {k: n for k, n in received.items() if n > 1}
    print(f"kills: {args.kills} (last phase before the kill: {dict(phases)})")
    print(
        f"articles stored: {counts['articles']}, matches: {counts['matches']}, deliveries expected: {len(expected)}"
    )
    print(f"received: {sum(received.values())} ({len(email_keys)} emails, {len(slack_got)} Slack posts)")
    print(f"lost: {len(lost)}")
    print(
        f"duplicated: {sum(n - 1 for n in duplicates.values())} (each with the same key as its original: "
        f"{'yes' if all(k in expected for k in duplicates) else 'NO'})"
    )
    print(f"received but not in the store: {len(unexpected)}")
    sys.exit(1 if lost or unexpected or len(duplicates) > args.kills else 0)


class socket_port:
    """A free TCP port on 127.0.0.1."""

    def __enter__(self) -> int:
        import socket

        self.s = socket.socket()
        self.s.bind(("127.0.0.1", 0))
        port = self.s.getsockname()[1]
        self.s.close()
        return port

    def __exit__(self, *exc: object) -> None:
        return None


if __name__ == "__main__":
    main()
