"""Chaos run: kill the daemon with SIGKILL at random moments, then count what the sinks received.

    python scripts/chaos.py [--kills 30] [--seed 1]

Everything runs on 127.0.0.1: a news site whose feeds grow while the daemon runs (new articles every
half second, pages built from the seed articles), a real SMTP server (aiosmtpd) and a Slack stand-in.
`rasad run` is started, killed with SIGKILL at a random moment, and started again, --kills times;
the phase it was in when killed is read from its last log line. Then it runs once more until
nothing is pending, and the store is compared with the sinks:

- lost: a delivery the store has (every match × channel) that is not sent, or whose message (the key
  the store recorded) no sink received, or whose message does not name its article (an alert: and
  its rule) — must be 0;
- duplicated: a message received more than once — allowed only when a kill fell between a send and
  its record; a duplicate carries the same key (email Message-ID, Slack "rasad:<key>").

Most kills fall while the daemon works (after its start-up), some during start-up; the last run waits
until every feed is read whole and the outbox is empty.
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

from monitor.config import load_rules_file  # noqa: E402
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
    """The SMTP sink: each message's key (from its Message-ID) and everything it says."""

    def __init__(self) -> None:
        self.received: list[tuple[str, str]] = []

    async def handle_DATA(self, server, session, envelope):
        msg = message_from_bytes(envelope.content, policy=policy.default)
        key = re.search(r"<rasad\.(.+)\.email@", str(msg["Message-ID"])).group(1)
        parts = [str(msg["Subject"])] + [
            p.get_content() for p in msg.walk() if p.get_content_maintype() == "text"
        ]
        self.received.append((key, "\n".join(parts)))
        return "250 OK"


def slack_stand_in() -> tuple[ThreadingHTTPServer, list[tuple[str, str]]]:
    received: list[tuple[str, str]] = []

    class Handler(BaseHTTPRequestHandler):
        disable_nagle_algorithm = True  # the body is not held back for a delayed ACK

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            text = json.dumps(body, ensure_ascii=False)
            received.append((re.search(r"rasad:([0-9a-f]+\.[a-z]\w*)", text).group(1), text))
            send(self, 200, b"ok", "text/plain")

        def log_message(self, *args: object) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, received


PHASES = (
    ("send", ("alert.sent", "alert.failed", "update.sent", "update.included")),
    ("store/match", ("article.matched", "article.grouped")),
    ("fetch/extract", ("feed.polled", "daemon.started", "article.fallback")),
)


def phase(log_text: str) -> str:
    lines = [
        ln
        for ln in log_text.splitlines()
        if ln.startswith(("INFO", "WARNING", "ERROR")) and " rasad." in ln  # the daemon's own events
    ]
    if not lines:
        return "start-up"
    last = lines[-1]
    for name, events in PHASES:
        if any(e in last for e in events):
            return name
    return "other"


def wait_for_start(log: Path, limit: float = 60) -> None:
    """Until the daemon says it started (its imports take a second or more on a busy machine)."""
    deadline = time.time() + limit
    while time.time() < deadline and "daemon.started" not in log.read_text(encoding="utf-8"):
        time.sleep(0.05)


def check(deliveries, names: dict[str, str], box: Mailbox, slack_got) -> dict[str, list[str]]:
    """Every delivery the store has must be sent, in a message its channel received under the key the
    store recorded, and that message must name the article (and, for an alert, the rule)."""
    messages = {"email": {}, "slack": {}}
    for channel, got in (("email", box.received), ("slack", slack_got)):
        for key, text in got:
            messages[channel].setdefault(key, []).append(text)
    problems: dict[str, list[str]] = {"not sent": [], "never received": [], "not named": []}
    for d in deliveries:
        what = f"delivery {d.id} ({d.channel}, {d.kind}, rule {d.match.rule_id}, {d.match.article.url})"
        if d.status != "sent":
            problems["not sent"].append(f"{what}: {d.status}")
            continue
        texts = messages[d.channel].get(d.message_key or "")
        if not texts:
            problems["never received"].append(f"{what}: key {d.message_key}")
            continue
        art = d.match.article
        # the email's HTML links every outlet it names; Slack names the outlets
        named = art.url in texts[0] if d.channel == "email" else art.source in texts[0]
        rule_named = d.kind == "update" or names[d.match.rule_id] in texts[0]
        if not (named and rule_named):
            problems["not named"].append(f"{what}: message {d.message_key}")
    return problems


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--kills", type=int, default=30)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--wait", type=float, default=600, help="seconds the last run may take to drain")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    box = Mailbox()
    with socket_port() as port:
        smtp = Controller(box, hostname="127.0.0.1", port=port)
    smtp.start()
    slack, slack_got = slack_stand_in()
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
            + "".join(f"  - {{name: 'outlet-{n}', url: '{site.url(f'/chaos-{n}.xml')}'}}\n" for n in FEEDS),
            encoding="utf-8",
        )
        rules_text = (ROOT / "config" / "rules.yaml").read_text(encoding="utf-8")
        (cfg / "rules.yaml").write_text(rules_text, encoding="utf-8")
        names = {rid: rule.name for rid, rule in load_rules_file(cfg / "rules.yaml").by_id.items()}
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
                if rng.random() < 0.2:  # some kills fall in start-up, most while it works
                    time.sleep(rng.uniform(0.1, 1.5))
                else:
                    wait_for_start(log)
                    time.sleep(rng.uniform(0.0, 3.0))
                proc.send_signal(signal.SIGKILL)
                proc.wait()
            phases[phase(log.read_text(encoding="utf-8"))] += 1
        # the last run goes on until every feed is read whole and nothing is left to send
        final_log = (cfg / "final.log").open("w")
        final = subprocess.Popen(
            [sys.executable, "-m", "monitor", "run", "--config", str(cfg)],
            stdout=final_log,
            stderr=subprocess.STDOUT,
            env=env,
        )
        store = Store(f"sqlite:///{cfg / 'rasad.db'}")
        store.create()
        deadline = time.time() + args.wait
        drained = False
        while time.time() < deadline:
            time.sleep(2)
            counts = store.counts()
            if (
                time.time() - T0 > 25
                and counts.get("articles") == 40 * len(FEEDS)
                and not counts.get("deliveries_pending")
                and not counts.get("deliveries_sending")
            ):
                drained = True
                break
        final.send_signal(signal.SIGTERM)
        final.wait(timeout=120)
        final_log.close()
        if os.environ.get("CHAOS_KEEP_LOG"):
            Path(os.environ["CHAOS_KEEP_LOG"]).write_text((cfg / "final.log").read_text(encoding="utf-8"))
        deliveries = store.deliveries(("pending", "sending", "sent", "dead"))
        counts = store.counts()
        store.close()
    smtp.stop()
    slack.shutdown()

    problems = check(deliveries, names, box, slack_got)
    lost = sum(len(v) for v in problems.values())
    keys = Counter([("email", k) for k, _ in box.received] + [("slack", k) for k, _ in slack_got])
    duplicates = {k: n for k, n in keys.items() if n > 1}
    recorded = {(d.channel, d.message_key) for d in deliveries if d.message_key}
    unexpected = set(keys) - recorded
    print(f"kills: {args.kills} (last phase before the kill: {dict(phases)})")
    print(
        f"articles stored: {counts['articles']}, matches: {counts['matches']}, "
        f"deliveries: {len(deliveries)} ({sum(d.kind == 'update' for d in deliveries)} follow-ups)"
    )
    print(f"received: {len(box.received)} emails, {len(slack_got)} Slack posts ({len(keys)} distinct keys)")
    print(f"drained: {'yes' if drained else 'NO (gave up waiting)'}")
    print(f"lost: {lost}")
    for kind, items in problems.items():
        if items:
            print(f"  {kind}: {len(items)}")
            for line in items[:5]:
                print(f"    {line}")
    print(f"duplicated: {sum(n - 1 for n in duplicates.values())} (a resend after a kill, with the same key)")
    print(f"received but not in the store: {len(unexpected)}")
    sys.exit(1 if lost or unexpected or not drained or len(duplicates) > args.kills else 0)


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
