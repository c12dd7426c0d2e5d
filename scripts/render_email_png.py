"""Render a seed alert's email HTML in headless Chromium to a PNG, to look at it.

    python scripts/render_email_png.py [--seed 003] [--out alert.png]

Needs Chromium (Debian: apt-get install chromium fonts-noto-core). Nothing leaves the machine: the
page is a local file and Chromium's background networking is off.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from alerts.templates import Templates  # noqa: E402
from tests.test_templates import PAGES, seed_alert  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", default="003")
    parser.add_argument("--out", type=Path, default=Path("alert.png"))
    args = parser.parse_args()
    browser = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if browser is None:
        sys.exit("no Chromium found: apt-get install chromium fonts-noto-core")
    page = next(p for p in PAGES if p.stem.startswith(args.seed))
    alert = seed_alert(page, Templates())
    with tempfile.TemporaryDirectory() as tmp:
        html = Path(tmp) / "alert.html"
        html.write_text(alert.html, encoding="utf-8")
        subprocess.run(
            [
                browser,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                f"--user-data-dir={tmp}/profile",
                "--window-size=760,900",
                f"--screenshot={args.out.resolve()}",
                html.as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
    print(f"wrote {args.out} ({alert.subject})")


if __name__ == "__main__":
    main()
