"""A burst: many feeds, each with a new article at once, a few of which match. How long do the
matching articles wait for their alert behind the backlog, and how far do the polls fall behind?

    python scripts/burst.py [--feeds 1000] [--matching 20] [--interval 30s] [--root CHECKOUT]

Everything runs on 127.0.0.1: a news site with --feeds feeds of one new item each (pages of about
40 KB with page chrome, written here), a Slack stand-in that notes when each alert arrives, and
`rasad run` from --root (default: this checkout; give an older checkout to compare). Every feed is
due at start (jitter 0s). It prints, for the matching articles, the time from the daemon's start to
their alert (median, 95th percentile, worst), when the last article of the backlog was stored,
and the scheduler's skipped runs (logged one by one, or summarised as poll.behind).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from monitor.site import Site, send  # noqa: E402

CHROME_TOP = (
    '<html lang="ar" dir="rtl"><head><meta charset="utf-8"><title>{title}</title></head><body>'
    '<nav><a href="/">الرئيسية</a> <a href="/news">أخبار</a> <a href="/sport">رياضة</a> '
    '<a href="/economy">اقتصاد</a> <a href="/culture">ثقافة</a></nav><main><article><h1>{title}</h1>'
)
CHROME_BOTTOM = (
    "</article><aside><h3>اقرأ أيضا</h3><ul>"
    + "".join(f'<li><a href="/related/{i}">خبر ذو صلة رقم {i}</a></li>' for i in range(20))
    + "</ul></aside></main><footer>جميع الحقوق محفوظة للموقع</footer></body></html>"
)
ORDINARY = (
    "شهدت المدينة اليوم أجواء معتدلة مع ارتفاع طفيف في درجات الحرارة، وتوقعت الأرصاد أن تستمر "
    "الأجواء على حالها خلال الأيام المقبلة. وفي الشأن الرياضي فاز الفريق المحلي في مباراته الأخيرة "
    "بهدفين مقابل هدف، فيما أعلنت إدارة النادي عن تعاقدات جديدة استعدادا للموسم المقبل. "
)
MATCHING = (
    "أعلنت الحكومة العراقية اليوم أن مهمة التحالف الدولي في العراق ستنتهي وفق الجدول الزمني المتفق "
    "عليه، وأن القوات ستنسحب من قاعدة عين الأسد في الأنبار قبل الانتقال إلى علاقات أمنية ثنائية. "
)
RULES = """rules:
  - id: exit
    name: انسحاب التحالف
    channels: [slack]
    all: [التحالف الدولي, العراق]
"""


def page(title: str, paragraph: str) -> bytes:
    body = "".join(f"<p>{paragraph}</p>" for _ in range(40))
    return (CHROME_TOP.format(title=title) + body + CHROME_BOTTOM).encode()


def sink() -> tuple[ThreadingHTTPServer, dict[int, float]]:
    arrived: dict[int, float] = {}

    class Handler(BaseHTTPRequestHandler):
        disable_nagle_algorithm = True  # the body is not held back for a delayed ACK

        def do_POST(self) -> None:
            text = json.dumps(
                json.loads(self.rfile.read(int(self.headers["Content-Length"]))), ensure_ascii=False
            )
            found = re.search(r"رقم (\d+)", text)
            if found:
                arrived.setdefault(int(found.group(1)), time.monotonic())
            send(self, 200, b"ok", "text/plain")

        def log_message(self, *args: object) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, arrived


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--feeds", type=int, default=1000)
    ap.add_argument("--matching", type=int, default=20)
    ap.add_argument("--interval", default="30s")
    ap.add_argument("--root", type=Path, default=ROOT, help="the checkout whose `rasad run` is measured")
    ap.add_argument("--limit", type=float, default=900, help="seconds before giving up")
    args = ap.parse_args()
    every = max(1, args.feeds // args.matching)
    matching = {i for i in range(args.feeds) if i % every == every - 1}
    server, arrived = sink()
    with Site(ROOT / "seeds" / "site") as site, tempfile.TemporaryDirectory() as tmp:
        for i in range(args.feeds):
            hit = i in matching
            title = (
                f"التحالف الدولي ينهي مهمته في العراق رقم {i}" if hit else f"أخبار المدينة والرياضة رقم {i}"
            )
            body = page(title, MATCHING if hit else ORDINARY)
            site.routes[f"/burst/p{i}.html"] = lambda h, b=body: send(h, 200, b, "text/html; charset=utf-8")
            feed = (
                f'<rss version="2.0"><channel><title>f{i}</title><item><title>{title}</title>'
                f"<link>{site.url(f'/burst/p{i}.html')}</link><guid>burst-{i}</guid></item></channel></rss>"
            ).encode()
            site.routes[f"/burst/f{i}.xml"] = lambda h, f=feed: send(h, 200, f, "application/rss+xml")
        cfg = Path(tmp)
        (cfg / "rasad.yaml").write_text(
            f"database: sqlite:///{cfg / 'rasad.db'}\nlog_level: info\n"
            f"poll: {{interval: {args.interval}, jitter: 0s}}\nnetwork: {{allow: [127.0.0.0/8]}}\n"
            "stories: {enabled: false}\n"
            "channels:\n  slack: {type: slack, webhook_url_env: BURST_SLACK, timeout: 10s}\n",
            encoding="utf-8",
        )
        (cfg / "feeds.yaml").write_text(
            "feeds:\n"
            + "".join(
                f"  - {{name: f{i}, url: '{site.url(f'/burst/f{i}.xml')}'}}\n" for i in range(args.feeds)
            ),
            encoding="utf-8",
        )
        (cfg / "rules.yaml").write_text(RULES, encoding="utf-8")
        env = {
            **os.environ,
            "BURST_SLACK": f"http://127.0.0.1:{server.server_address[1]}/hook",
            "PYTHONPATH": str(args.root),
        }
        log_path = cfg / "daemon.log"
        with log_path.open("w") as log:
            start = time.monotonic()
            proc = subprocess.Popen(
                [sys.executable, "-m", "monitor", "run", "--config", str(cfg)],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=args.root,
            )
            stored_all = None
            try:
                while time.monotonic() - start < args.limit:
                    time.sleep(1)
                    if stored_all is None and (cfg / "rasad.db").exists():
                        with sqlite3.connect(f"file:{cfg / 'rasad.db'}?mode=ro", uri=True) as db:
                            try:
                                if db.execute("SELECT count(*) FROM articles").fetchone()[0] >= args.feeds:
                                    stored_all = time.monotonic() - start
                            except sqlite3.OperationalError:
                                pass
                    if stored_all is not None and len(arrived) >= len(matching):
                        break
            finally:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=120)
                except subprocess.TimeoutExpired:
                    proc.kill()
        text = log_path.read_text(encoding="utf-8")
    server.shutdown()
    waits = sorted(arrived[i] - start for i in matching if i in arrived)
    skipped_lines = text.count("maximum number of running instances")
    behind = sum(int(n) for n in re.findall(r"poll\.behind skipped=(\d+)", text))
    print(f"checkout: {args.root}")
    print(f"feeds: {args.feeds}, matching: {len(matching)}, interval {args.interval}")
    if waits:
        p95 = waits[min(len(waits) - 1, round(0.95 * (len(waits) - 1)))]
        print(
            f"alerts received: {len(waits)}/{len(matching)}; from start to alert: "
            f"median {statistics.median(waits):.1f} s, p95 {p95:.1f} s, worst {waits[-1]:.1f} s"
        )
    else:
        print(f"alerts received: 0/{len(matching)}")
    whole = f"{stored_all:.1f} s" if stored_all is not None else "not within the limit"
    print(f"whole backlog stored after: {whole}")
    print(f"skipped runs logged one by one: {skipped_lines}; summarised (poll.behind): {behind}")


if __name__ == "__main__":
    main()
