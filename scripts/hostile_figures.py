"""Figures for hostile input: peak memory of a Rasad process under each bomb, and how long a
trickling server holds a request. Each case runs in a fresh process (the "daemon"); figures are its
peak RSS and that of each of its children (the extraction workers).

A worker's peak is its VmHWM, read from /proc/<pid>/status by a thread of the daemon every 5 ms
while the worker lives (children are looked for every 50 ms): VmHWM only grows, so the last reading
before the worker is killed, or before the daemon exits, is its peak, short of what it allocated in
the last 5 ms. After a kill, the replacement worker (stopped a moment later with the daemon) shows as
a second, small figure. Extraction cases use the default deadline and memory limit unless named.

    python scripts/hostile_figures.py
"""

from __future__ import annotations

import gzip
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from monitor.config import ExtractionSettings  # noqa: E402
from monitor.site import Site, send  # noqa: E402

CASE = """
import asyncio, os, sys, threading, time
sys.path.insert(0, {root!r})
def _status(pid, key):
    try:
        with open(f"/proc/{{pid}}/status") as f:
            return next((int(l.split()[1]) for l in f if l.startswith(key)), None)
    except OSError:
        return None
def _children():
    me, found = os.getpid(), []
    for name in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{{name}}/stat") as f:
                if int(f.read().rsplit(")", 1)[1].split()[1]) == me:  # field 4, after "(comm)": ppid
                    found.append(int(name))
        except (OSError, ValueError):
            pass
    return found
peaks, done = {{}}, threading.Event()
def _watch():
    known, tick = [], 0
    while True:
        if tick % 10 == 0:
            known = _children()
        for pid in known:
            hwm = _status(pid, "VmHWM")  # None once the worker is gone (a zombie has no memory)
            if hwm:
                peaks[pid] = max(hwm, peaks.get(pid, 0))
        if done.is_set():
            return
        tick += 1
        done.wait(0.005)
watcher = threading.Thread(target=_watch, daemon=True)
watcher.start()
from monitor.fetch import Fetcher, Limits
from monitor.netguard import AddressPolicy
from monitor.parse import parse_feed
from monitor.errors import RasadError
start = time.perf_counter()
outcome = "ok"
try:
{body}
except RasadError as exc:
    outcome = exc.message.split(": ", 1)[-1] if exc.message.startswith("http") else exc.message  # no URL
    outcome = outcome[:70]
done.set()
watcher.join()
# VmHWM: the peak of this process's own memory (ru_maxrss would include the parent's, from before exec)
hwm = _status("self", "VmHWM")
workers = ", ".join(f"{{kb / 1024:.0f}}" for _, kb in sorted(peaks.items())) or "-"
print(f"{{hwm / 1024:.0f}}|{{workers}}|{{time.perf_counter() - start:.2f}}|{{outcome}}")
"""

FETCH = """
    async def go():
        async with Fetcher(Limits(timeout={timeout}), policy=AddressPolicy(["127.0.0.0/8"])) as f:
            return await f.get({url!r}, max_size=10_000_000)
    asyncio.run(go())
"""

PARSE = """
    parse_feed(open({path!r}, "rb").read(), url="https://x.example/f")
"""

EXTRACT = """
    from monitor.workers import ProcessPool
    from monitor.extract import extract_page, warm_up
    async def go():
        pool = ProcessPool(1, deadline={deadline}, memory_limit={limit}, warmup=warm_up)  # as open_runtime
        try:
            await pool.run(extract_page, open({path!r}, "rb").read(), "http://x/")
        finally:
            pool.close()
    asyncio.run(go())
"""


def run(body: str) -> tuple[str, str, str, str]:
    code = CASE.format(root=str(ROOT), body=body)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    line = (out.stdout.strip().splitlines() or ["?|?|?|" + out.stderr.strip()[-70:]])[-1]
    rss, workers, seconds, outcome = line.split("|", 3)
    return rss, workers, seconds, outcome


def main() -> None:
    import tempfile

    zeros = b"\0" * 1_000_000_000
    one = gzip.compress(zeros, compresslevel=9)
    del zeros
    two = gzip.compress(one, compresslevel=9)
    with tempfile.TemporaryDirectory() as tmp, Site(ROOT / "seeds" / "site") as site:
        site.routes["/gzip"] = lambda h: send(h, 200, one, "text/html", {"Content-Encoding": "gzip"})
        site.routes["/gzip2"] = lambda h: send(h, 200, two, "text/html", {"Content-Encoding": "gzip, gzip"})

        def trickle(h):
            h.send_response(200)
            h.send_header("Content-Length", "100000")
            h.end_headers()
            for _ in range(600):
                try:
                    h.wfile.write(b"<")
                    h.wfile.flush()
                except OSError:
                    return
                time.sleep(0.1)

        site.routes["/trickle"] = trickle
        entity = Path(tmp) / "entity.xml"
        entity.write_bytes(
            f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY big "{"x" * 10_000}">]><rss version="2.0"><channel>'
            f"<title>t</title><item><title>a</title><link>https://x.example/1</link><description>{'&big;' * 30_000}"
            "</description></item></channel></rss>".encode()
        )
        links = Path(tmp) / "links.html"
        links.write_bytes(
            (
                "<html><body><article><p>نص " + "<a href='/x'>رابط</a> " * 200_000 + "</p></article>"
                "</body></html>"
            ).encode()
        )
        spans = Path(tmp) / "spans.html"
        spans.write_bytes(
            (
                "<html><body><article><p>نص "
                + "<span>كلمة</span> " * 200_000
                + "</p></article></body></html>"
            ).encode()
        )
        default = ExtractionSettings()
        deadline, limit = default.deadline.total_seconds(), int(default.memory_limit)

        def extract(page: Path, memory_limit: int) -> str:
            return EXTRACT.format(path=str(page), deadline=deadline, limit=memory_limit)

        limits = f"{deadline:g} s, {limit / 1e6:,.0f} MB"
        cases = [
            ("baseline: fetch the seed feed", FETCH.format(url=site.url("/feed.xml"), timeout=30)),
            (
                f"gzip bomb ({len(one) // 1000} KB → 1 GB), 10 MB cap",
                FETCH.format(url=site.url("/gzip"), timeout=30),
            ),
            (
                f"gzip, gzip bomb ({len(two) // 1000} KB → 1 GB)",
                FETCH.format(url=site.url("/gzip2"), timeout=30),
            ),
            ("entity feed (160 KB, one 10 KB entity × 30,000)", PARSE.format(path=str(entity))),
            (f"page with 200,000 links (5 MB), {limits}", extract(links, limit)),
            (f"page with 200,000 <span>s (5 MB), {limits}", extract(spans, limit)),
            (f"page with 200,000 <span>s (5 MB), {deadline:g} s, 256 MB", extract(spans, 256 * 1024 * 1024)),
            (
                "trickling server (1 byte / 0.1 s), 3 s deadline",
                FETCH.format(url=site.url("/trickle"), timeout=3),
            ),
        ]
        print(f"{'case':52} {'peak RSS':>9} {'workers':>12} {'seconds':>8}  outcome")
        for name, body in cases:
            rss, workers, seconds, outcome = run(body)
            print(f"{name:52} {rss:>6} MB {workers:>9} MB {seconds:>8}  {outcome}")


if __name__ == "__main__":
    main()
