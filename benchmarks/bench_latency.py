"""Publish-to-alert latency of the daemon: how long after an item appears in a feed its alert lands.

    python benchmarks/bench_latency.py                 # 24 items, feed interval 5s
    python benchmarks/bench_latency.py --items 40 --interval 10s --adaptive

A local news site on 127.0.0.1 publishes one new item every 2–7 s (random, seeded) in a feed of its
own, beside 9 feeds that never change; ``rasad run`` polls them all and sends its alerts to a local
stand-in for Slack's webhook, which notes when each arrives. Latency is arrival minus the moment the
item was added to the feed. With ``--adaptive`` the busy feed has no interval of its own: the
daemon learns its cadence (``poll.adaptive``, floor ``--interval``). Prints p50, p95 and max against
the target: the feed's interval + 2 s. The figures depend on this machine's load; nothing here is
asserted (tests/test_bench_pipeline.py runs a small variant as a smoke test).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STORY = (
    "أعلن المتحدث باسم الحكومة أن مهمة التحالف الدولي في العراق تنتهي وفق الجدول المتفق عليه، "
    "وأن اللجنة العسكرية العليا تواصل اجتماعاتها لبحث الانتقال إلى علاقات أمنية ثنائية. "
)


EMPTY_FEED = b'<rss version="2.0"><channel><title>t</title></channel></rss>'


class News:
    """The site's state: items published so far (number, time) and alerts received (number, time)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.published: list[tuple[int, float | None, datetime]] = []  # None: history, not measured
        self.arrived: dict[int, float] = {}

    def feed(self, host: str) -> bytes:
        with self.lock:
            items = list(self.published)
        entries = "".join(
            f"<item><title>بيان رقم {n} بشأن مهمة التحالف الدولي في العراق</title>"
            f"<link>http://{host}/a/{n}.html</link><guid>latency-{n}</guid>"
            f"<pubDate>{format_datetime(when)}</pubDate></item>"
            for n, _, when in reversed(items[-30:])
        )
        return f'<rss version="2.0"><channel><title>بيانات</title>{entries}</channel></rss>'.encode()


def page(n: int) -> bytes:
    body = "".join(f"<p>{STORY} (رقم {n}، فقرة {i})</p>" for i in range(6))
    return (
        f'<html lang="ar"><head><meta charset="utf-8"><title>بيان رقم {n}</title></head>'
        f"<body><article><h1>بيان رقم {n}</h1>{body}</article></body></html>"
    ).encode()


def serve(news: News) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def log_message(self, *args: object) -> None:
            pass

        def _send(self, code: int, body: bytes, kind: str) -> None:
            self.send_response(code)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            if self.path == "/busy.xml":
                self._send(200, news.feed(self.headers["Host"]), "application/rss+xml")
            elif self.path.startswith("/still/"):
                self._send(
                    200,
                    b'<rss version="2.0"><channel><title>t</title></channel></rss>',
                    "application/rss+xml",
                )
            elif self.path.startswith("/a/"):
                self._send(200, page(int(self.path[3:].split(".")[0])), "text/html; charset=utf-8")
            else:
                self._send(404, b"", "text/plain")

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
            now = time.monotonic()
            text = json.dumps(body, ensure_ascii=False)
            with news.lock:
                for n, _, _ in news.published:
                    if f"بيان رقم {n} بشأن" in text and n not in news.arrived:
                        news.arrived[n] = now
            self._send(200, b"ok", "text/plain")

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=24)
    parser.add_argument("--interval", default="5s", help="the busy feed's interval (a duration)")
    parser.add_argument("--adaptive", action="store_true", help="learn the busy feed's cadence instead")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    interval = float(args.interval.rstrip("s"))
    rng = random.Random(args.seed)
    news = News()
    # the feed's history, as a real feed has when the daemon starts (its cadence can be learned)
    start = datetime.now(UTC)
    for n in range(-8, 0):
        news.published.append((n, None, start + timedelta(seconds=4.5 * n)))
    server = serve(news)
    base = f"127.0.0.1:{server.server_address[1]}"
    with tempfile.TemporaryDirectory(prefix="rasad-latency-") as tmp:
        cfg = Path(tmp)
        poll = (
            f"poll:\n  interval: 15m\n  jitter: 0s\n  adaptive: true\n  min_interval: {args.interval}\n"
            f"  max_interval: {interval * 6:g}s\n"
            if args.adaptive
            else "poll:\n  interval: 15m\n  jitter: 0s\n"
        )
        (cfg / "rasad.yaml").write_text(
            f"database: sqlite:///{cfg / 'rasad.db'}\nlog_level: warning\n{poll}"
            "network:\n  allow: [127.0.0.0/8]\nstories:\n  enabled: false\n"
            "channels:\n  slack:\n    type: slack\n    webhook_url_env: RASAD_BENCH_WEBHOOK\n",
            encoding="utf-8",
        )
        busy = f"  - name: بيانات\n    url: http://{base}/busy.xml\n"
        busy += "" if args.adaptive else f"    interval: {args.interval}\n"
        still = "".join(f"  - name: ثابت {i}\n    url: http://{base}/still/{i}.xml\n" for i in range(9))
        (cfg / "feeds.yaml").write_text("feeds:\n" + busy + still, encoding="utf-8")
        (cfg / "rules.yaml").write_text(
            "rules:\n  - id: coalition\n    any: [التحالف الدولي]\n    channels: [slack]\n", encoding="utf-8"
        )
        env = {**os.environ, "RASAD_BENCH_WEBHOOK": f"http://{base}/hook"}
        daemon = subprocess.Popen(
            [sys.executable, "-m", "monitor", "run", "--config", str(cfg)], cwd=ROOT, env=env
        )
        try:
            time.sleep(3)  # started and polled once: the history is backlog, what follows is news
            for n in range(args.items):
                time.sleep(rng.uniform(2, 7))
                with news.lock:
                    news.published.append((n, time.monotonic(), datetime.now(UTC)))
            deadline = time.monotonic() + interval * 4 + 30
            while not all(n in news.arrived for n in range(args.items)) and time.monotonic() < deadline:
                time.sleep(0.2)
        finally:
            daemon.terminate()
            daemon.wait(60)
            server.shutdown()
    measured = [(n, t) for n, t, _ in news.published if t is not None]
    latencies = sorted(news.arrived[n] - t for n, t in measured if n in news.arrived)
    missing = [n for n, _ in measured if n not in news.arrived]
    if not latencies:
        sys.exit("no alert arrived")
    p95 = latencies[min(len(latencies) - 1, round(0.95 * (len(latencies) - 1)))]
    mode = f"adaptive, floor {args.interval}" if args.adaptive else f"interval {args.interval}"
    print(f"{len(measured)} items published, alerts missing: {missing or 'none'}; busy feed: {mode}")
    print(
        f"publish → alert: p50 {statistics.median(latencies):.2f} s, p95 {p95:.2f} s, "
        f"max {latencies[-1]:.2f} s (target: ≤ interval + 2 s = {interval + 2:.0f} s)"
    )


if __name__ == "__main__":
    main()
