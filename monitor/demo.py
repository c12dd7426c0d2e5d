"""``rasad demo``: the whole pipeline, offline, in seconds.

Serves the project's seeds as a local news site on 127.0.0.1 (feed + pages with navigation,
related news, comment form and footer), runs one cycle with the example rules into a temporary
store, prints every match with its terms and a highlighted snippet, delivers the alerts to a
console channel, and checks that none of the page chrome reached the extracted text.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import TextIO

from alerts.console import ConsoleChannel
from monitor.config import Config, FeedConfig, Route, Settings, load_rules
from monitor.config import ConsoleChannel as ConsoleConfig
from monitor.errors import ConfigError
from monitor.rules import compile_rules
from monitor.runtime import open_runtime
from monitor.show import format_match
from monitor.site import Site

# Text that only the demo pages' chrome contains; finding any of it in a body is an extraction bug.
PAGE_CHROME = (
    "اترك تعليقاً",
    "أخبار ذات صلة",
    "جميع الحقوق محفوظة",
    "سياسة الخصوصية",
    "ابحث في الموقع",
    "الأكثر قراءة",
    "شارك الخبر",
    "اظهار أخبار متعلقة",
    "التعليقات (0)",
    "إضغط على الصورة",
    "Close this search box",
    "About Post Author",
    "كلمات دلالية",
    "إقرأ أيضاً",
    "قائد الأفريكوم",
    "التحالف العربي في اليمن",
    "ارتفاع أسعار النفط",
)


def resource(name: str) -> Path:
    """``seeds`` or ``config``: inside an installed wheel, else in the source checkout."""
    here = Path(__file__).resolve().parent
    packaged = here / f"demo_{name}"
    return packaged if packaged.is_dir() else here.parent / name


def demo_config(tmp: Path, feed_url: str, rules_path: Path) -> Config:
    problems: list[str] = []
    rules, _ = load_rules(rules_path, problems)
    if rules is None:
        raise ConfigError(problems)
    # every rule routes to the console in the demo
    rules = rules.model_copy(
        update={"rules": [r.model_copy(update={"channels": [Route(channel="console")]}) for r in rules.rules]}
    )
    settings = Settings.model_validate(
        {
            "database": f"sqlite:///{tmp / 'demo.db'}",
            "channels": {"console": {"type": "console"}},
            "network": {"allow": ["127.0.0.0/8"]},  # the demo site is on loopback, refused by default
        }
    )
    assert isinstance(settings.channels["console"], ConsoleConfig)
    feed = FeedConfig(name="رصد — أخبار تجريبية", url=feed_url)
    return Config(tmp, settings, (feed,), rules, compile_rules(rules.rules, rules.aliases))


async def run_demo(
    out: TextIO, *, color: bool = False, seeds: Path | None = None, rules: Path | None = None
) -> int:
    start = time.monotonic()
    seeds = seeds or resource("seeds")
    rules = rules or resource("config") / "rules.yaml"
    w = out.write
    with Site(seeds / "site") as site, tempfile.TemporaryDirectory(prefix="rasad-demo-") as tmp:
        config = demo_config(Path(tmp), site.url("/feed.xml"), rules)
        pages = len(list((seeds / "site").glob("*/*.html")))
        w(f"Rasad demo: serving {pages} seed articles at {site.base}/feed.xml\n")
        w(f"rules: {rules.name} ({len(config.ruleset)} rules); store: temporary SQLite\n\n")
        console = ConsoleChannel("console", out)
        async with open_runtime(config, channels={"console": console}) as rt:
            reports = await rt.cycle()
            stored = rt.store.matches()
            by_article: dict[str, list] = {}
            for m in stored:
                by_article.setdefault(m.article.key, []).append(m)
            w(f"Matches ({len(stored)} in {len(by_article)} articles)\n\n")
            for i, ms in enumerate(by_article.values(), 1):
                w(format_match(ms, index=i, color=color))
                w("\n")
            w("Alerts delivered to the console channel\n\n")
            stats = await rt.deliver()
            counts = rt.store.counts()
            bodies = [m.article.body for m in stored]
        leaks = sorted({c for c in PAGE_CHROME for b in bodies if c in b})
        fallbacks = sum(r.fallbacks for r in reports)
        errors = [r.error for r in reports if r.error]
    elapsed = time.monotonic() - start
    w("─" * 72 + "\n")
    w(
        f"Done in {elapsed:.1f}s: {counts['articles']} articles ({fallbacks} fell back to the feed summary), "
        f"{counts['matches']} matches, {stats.sent} alerts sent to the console.\n"
    )
    w("Page chrome in extracted bodies: " + ("none" if not leaks else ", ".join(leaks)) + "\n")
    for err in errors:
        w(f"feed error: {err}\n")
    return 0 if not leaks and not errors and stats.sent else 1
