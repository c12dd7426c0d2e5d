"""Rasad's whole pipeline against a hand-written sequential script, on a local farm of feeds.

    python benchmarks/bench_pipeline.py                      # 200 feeds × 20 items, 3 runs
    python benchmarks/bench_pipeline.py --feeds 1000 --only rasad --runs 1
    python benchmarks/bench_pipeline.py --delay 50 --only rasad     # sites 50 ms away

Builds a farm (benchmarks/farm.py: realistic Arabic pages with page chrome, one loopback address per
host) and serves it from a subprocess; then, interleaved in each run, (1) the sequential script
(benchmarks/naive.py: httpx + feedparser + trafilatura.extract + substring keywords), (2) ``rasad once
--no-deliver`` on a fresh SQLite database with the example rules, (3) ``rasad once`` again: the
re-poll of unchanged feeds (conditional requests). For each: wall time, CPU time of the process and
all its children (workers included), and peak resident memory summed over the process tree, sampled
every 50 ms (and of the main process alone). Prints medians and the ratios Rasad / script.

Figures are for comparison on one machine in one run: the machines are shared and noisy. Nothing
here is asserted; tests/test_bench_pipeline.py runs a tiny farm as a smoke test.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import farm  # noqa: E402


@dataclass
class Figures:
    wall: float
    cpu: float
    rss_all: int  # bytes, peak of the sum over the process tree
    rss_main: int
    output: str


def _tree(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def _rss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def measure(cmd: list[str], env: dict[str, str] | None = None) -> Figures:
    """Run ``cmd``; wall, CPU of it and its children, peak RSS of its process tree."""
    out = tempfile.TemporaryFile()  # noqa: SIM115 (read after the process ends, closed below)
    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=ROOT)
    peak_all = peak_main = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak_all, peak_main
        while not done.is_set():
            pids = _tree(proc.pid)
            sizes = [_rss(p) for p in pids]
            peak_all = max(peak_all, sum(sizes))
            peak_main = max(peak_main, sizes[0] if sizes else 0)
            done.wait(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.monotonic() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    done.set()
    sampler.join()
    out.seek(0)
    text = out.read().decode("utf-8", "replace")
    out.close()
    if proc.returncode not in (0, 3):  # rasad once: 3 = some feed failed, reported below
        raise SystemExit(f"{' '.join(cmd[:3])}… exited {proc.returncode}:\n{text[-3000:]}")
    return Figures(wall, usage.ru_utime + usage.ru_stime, peak_all, peak_main, text)


def write_config(folder: Path, urls: list[str], rules: Path = ROOT / "config" / "rules.yaml") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "rasad.yaml").write_text(
        f"database: sqlite:///{folder / 'rasad.db'}\nlog_level: warning\n"
        "network:\n  allow: [127.0.0.0/8]\n"
        # the example rules' channels, printing instead of sending (and --no-deliver sends nothing)
        "channels:\n  email:\n    type: console\n  slack:\n    type: console\n",
        encoding="utf-8",
    )
    (folder / "feeds.yaml").write_text(
        "feeds:\n" + "".join(f"  - name: feed{n}\n    url: {u}\n" for n, u in enumerate(urls)),
        encoding="utf-8",
    )
    shutil.copy(rules, folder / "rules.yaml")
    return folder


def serve(root: Path, hosts: int, delay_ms: float = 0) -> tuple[subprocess.Popen[str], list[str]]:
    proc = subprocess.Popen(
        [sys.executable, str(HERE / "farm.py"), "serve", str(root), str(hosts), str(delay_ms)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    addresses = []
    for line in proc.stdout:
        if line.strip() == "ready":
            break
        addresses.append(line.strip())
    return proc, addresses


def counts(text: str) -> str:
    found = re.search(r"articles=(\d+) matched=(\d+)", text)
    if found:
        return f"{found[1]} / {found[2]}"
    found = re.search(r"(\d+) new articles, (\d+) matched", text)
    return f"{found[1]} / {found[2]}" if found else "?"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--feeds", type=int, default=200)
    parser.add_argument("--items", type=int, default=20)
    parser.add_argument("--hosts", type=int, default=20)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--only", choices=["rasad", "naive"], help="run one side only")
    parser.add_argument(
        "--delay",
        type=float,
        default=0,
        metavar="MS",
        help="the farm answers each request after MS milliseconds, like a remote site (default 0)",
    )
    parser.add_argument(
        "--before",
        metavar="CHECKOUT",
        type=Path,
        help="also run another version of Rasad, interleaved: a checkout with its own .venv "
        "(its bin/rasad and its config/rules.yaml are used)",
    )
    args = parser.parse_args()
    rasad = [sys.executable, "-m", "monitor"]  # this checkout's (run from its folder)

    with tempfile.TemporaryDirectory(prefix="rasad-farm-") as tmp:
        root = Path(tmp) / "farm"
        about = farm.build(root, args.feeds, args.items, args.hosts)
        pages = list(root.glob("h*/a/*.html"))
        size = sum(p.stat().st_size for p in pages) / max(len(pages), 1) / 1024
        server, addresses = serve(root, args.hosts, args.delay)
        try:
            urls = [f"http://{addresses[n % args.hosts]}/feed{n}.xml" for n in range(args.feeds)]
            print(
                f"farm: {args.feeds} feeds × {args.items} items on {args.hosts} hosts, {len(pages)} pages "
                f"(mean {size:.0f} KB), {about} about the coalition; {os.cpu_count()} cores; "
                f"answers delayed {args.delay:g} ms; medians of {args.runs}",
                flush=True,
            )
            results: dict[str, list[Figures]] = {
                "naive script": [],
                "before once": [],
                "before re-poll": [],
                "rasad once": [],
                "rasad re-poll": [],
            }
            for run in range(args.runs):
                if args.only != "rasad":
                    results["naive script"].append(measure([sys.executable, str(HERE / "naive.py"), *urls]))
                sides = []
                if args.only != "naive" and args.before is not None:
                    cfg = write_config(
                        Path(tmp) / f"before{run}", urls, args.before / "config" / "rules.yaml"
                    )
                    program = [str(args.before / ".venv" / "bin" / "rasad")]
                    sides.append(("before", [*program, "once", "--config", str(cfg), "--no-deliver"]))
                if args.only != "naive":
                    cfg = write_config(Path(tmp) / f"run{run}", urls)
                    sides.append(("rasad", [*rasad, "once", "--config", str(cfg), "--no-deliver"]))
                if run % 2:
                    sides.reverse()  # each version in turn goes first: no order favours one
                for name, once in sides:
                    results[f"{name} once"].append(measure(once))
                    results[f"{name} re-poll"].append(measure(once))
                print(f"run {run + 1} done", file=sys.stderr, flush=True)
        finally:
            server.kill()
            server.wait()

    mb = 1024 * 1024
    print(f"\n{'':16}{'wall s':>9}{'CPU s':>9}{'RSS MB all':>12}{'RSS MB main':>13}   articles / matched")
    medians: dict[str, tuple[float, float, float]] = {}
    for name, runs in results.items():
        if not runs:
            continue
        wall = statistics.median(r.wall for r in runs)
        cpu = statistics.median(r.cpu for r in runs)
        rss = statistics.median(r.rss_all for r in runs)
        main_rss = statistics.median(r.rss_main for r in runs)
        medians[name] = (wall, cpu, rss)
        print(
            f"{name:16}{wall:9.2f}{cpu:9.2f}{rss / mb:12.0f}{main_rss / mb:13.0f}   {counts(runs[-1].output)}"
        )
    for name in ("before once", "rasad once"):
        if "naive script" in medians and name in medians:
            (nw, nc, nr), (rw, rc, rr) = medians["naive script"], medians[name]
            label = f"{name.split()[0]} / script"
            print(f"{label:16}{rw / nw:9.2f}{rc / nc:9.2f}{rr / nr:12.2f}")
    print("targets: wall ≤ 0.40, CPU ≤ 1.00; RSS all ≤ 250 MB (200 × 20); re-poll of 200 feeds ≤ 1.5 s")


if __name__ == "__main__":
    main()
