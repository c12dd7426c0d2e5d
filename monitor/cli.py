"""The ``rasad`` command: thin commands over the library, and the composition root.

Errors become one clear line (and a hint) here and only here. Exit codes:
0 success · 1 done, but something failed (a feed, a delivery, an input) · 2 invalid configuration
or usage · 3 cannot run (a broken database or another resource unusable) · 4 the database vanished
while running (``rasad run``; systemd starts it again) · 130 interrupted.
"""

from __future__ import annotations

import asyncio
import functools
import json
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import click

from monitor import __version__
from monitor.config import Config, find_config_dir, load_config, load_rules_file
from monitor.errors import ConfigError, RasadError
from monitor.logs import setup as setup_logging

EXIT_OK, EXIT_PARTIAL, EXIT_CONFIG, EXIT_UNAVAILABLE, EXIT_INTERRUPTED = 0, 1, 2, 3, 130
F = TypeVar("F", bound=Callable[..., Any])


def _now() -> datetime:
    return datetime.now(UTC)


def fail(err: RasadError) -> None:
    """Print ``err`` as the user should see it and exit with its code."""
    click.echo(f"error: {err}" if not isinstance(err, ConfigError) else str(err), err=True)
    if err.hint:
        click.echo(f"hint: {err.hint}", err=True)
    sys.exit(EXIT_CONFIG if isinstance(err, ConfigError) else EXIT_UNAVAILABLE)


def edge(func: F) -> F:
    """Turn Rasad errors into messages and exit codes; nothing else prints tracebacks for them."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except RasadError as err:
            fail(err)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(EXIT_INTERRUPTED)

    return wrapper  # type: ignore[return-value]


def config_option(func: F) -> F:
    return click.option(
        "--config",
        "config_dir",
        type=click.Path(path_type=Path, file_okay=False),
        help="Config directory (default: $RASAD_CONFIG, else ~/.config/rasad, else /etc/rasad).",
    )(func)


def rules_option(func: F) -> F:
    return click.option(
        "--rules",
        "rules_file",
        type=click.Path(path_type=Path, dir_okay=False),
        help="Rules file (default: the configured rules.yaml).",
    )(func)


def _config_dir(ctx: click.Context, given: Path | None) -> Path:
    return given or ctx.obj.get("config_dir") or find_config_dir()


def _load(ctx: click.Context, given: Path | None) -> Config:
    return load_config(_config_dir(ctx, given))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="rasad")
@config_option
@click.pass_context
def main(ctx: click.Context, config_dir: Path | None) -> None:
    """Rasad watches Arabic news feeds and alerts you when an article matches your watch rules."""
    ctx.ensure_object(dict)
    ctx.obj["config_dir"] = config_dir


@main.command("check-config")
@config_option
@click.pass_context
@edge
def check_config(ctx: click.Context, config_dir: Path | None) -> None:
    """Validate the config directory: exit 0 when valid, 2 when not."""
    from alerts.secrets import read_secret
    from monitor import dburl

    config = _load(ctx, config_dir)
    s = config.settings
    unset: dburl.UnsetSecret | None = None
    try:
        database = dburl.mask(config.database_url())  # an invalid URL is an error (exit 2) …
    except dburl.UnsetSecret as err:  # … a variable this shell lacks is a warning, as for channels
        database, unset = "not known here", err
    click.echo(
        f"{config.directory}: OK — {len(config.feeds)} feeds, {len(config.ruleset)} rules "
        f"({len(config.ruleset.terms)} terms), {len(s.channels)} channels; database {database}"
    )
    for line in config.warnings:
        click.echo(f"warning: {line}", err=True)
    if unset is not None:
        click.echo(f"warning: {unset} (rasad run will refuse to start until it is)", err=True)
    for name, ch in s.channels.items():
        env = getattr(ch, "password_env", None) or getattr(ch, "webhook_url_env", None)
        file = getattr(ch, "password_file", None) or getattr(ch, "webhook_url_file", None)
        try:
            read_secret(name, env, config.secret_path(file) if file else None)
        except RasadError as err:
            click.echo(f"warning: channel {err.message} (its alerts will wait until it is)", err=True)


@main.command()
@click.argument("directory", required=False, type=click.Path(path_type=Path, file_okay=False))
@edge
def init(directory: Path | None) -> None:
    """Write the example config files into DIRECTORY (default ~/.config/rasad); never overwrites."""
    from monitor.config import user_config_dir
    from monitor.scaffold import init as write_examples

    target = directory or user_config_dir()
    written = write_examples(target)
    click.echo(f"wrote {', '.join(str(p) for p in written)}")
    where = "" if directory is None else f" --config {target}"
    click.echo(f"next: edit them (feeds, rules, channels), then run: rasad check-config{where}")


@main.command()
@config_option
@click.option(
    "--stop-timeout", default=60.0, show_default=True, help="Seconds in-flight work may take after SIGTERM."
)
@click.pass_context
@edge
def run(ctx: click.Context, config_dir: Path | None, stop_timeout: float) -> None:
    """Run the daemon: poll feeds on schedule, store matches, send alerts (SIGHUP reloads the config)."""
    from monitor.daemon import Daemon

    config = _load(ctx, config_dir)
    setup_logging(config.settings.log_level)
    sys.exit(asyncio.run(Daemon(config, stop_timeout=stop_timeout).run()))


@main.command()
@config_option
@click.option("--no-deliver", is_flag=True, help="Poll and store only; leave alerts pending.")
@click.pass_context
@edge
def once(ctx: click.Context, config_dir: Path | None, no_deliver: bool) -> None:
    """Poll every feed once, deliver pending alerts, exit (for cron and tests)."""
    from monitor.runtime import open_runtime

    config = _load(ctx, config_dir)
    setup_logging(config.settings.log_level)

    async def go() -> int:
        async with open_runtime(config, eager_workers=False) as rt:
            await asyncio.to_thread(rt.store.release_claims, _now())
            reports = await rt.cycle()
            stats = None if no_deliver else await rt.deliver()
        failed = [r for r in reports if r.status == "error"]
        line = (
            f"polled {len(reports)} feeds ({len(failed)} failed): "
            f"{sum(r.new for r in reports)} new articles, {sum(r.matched for r in reports)} matched"
        )
        if stats is not None:
            line += f"; alerts sent {stats.sent}, retrying {stats.retrying}, dead {stats.dead}"
        click.echo(line)
        return EXIT_PARTIAL if failed or (stats and (stats.retrying or stats.dead)) else EXIT_OK

    sys.exit(asyncio.run(go()))


@main.command()
@click.option(
    "--color/--no-color", default=None, help="Highlight matched terms with colour (default: on a terminal)."
)
@edge
def demo(color: bool | None) -> None:
    """Offline demo: serve the seed articles locally, run one cycle, print matches and alerts."""
    from monitor.demo import run_demo

    setup_logging("warning", sys.stderr)
    use_color = sys.stdout.isatty() if color is None else color
    sys.exit(asyncio.run(run_demo(sys.stdout, color=use_color)))


@main.command("match")
@click.argument("inputs", nargs=-1, required=True)
@rules_option
@click.option("--json", "as_json", is_flag=True, help="One JSON object per input, one per line.")
@click.option("--color/--no-color", default=None)
@config_option
@click.pass_context
@edge
def match_cmd(
    ctx: click.Context,
    inputs: tuple[str, ...],
    rules_file: Path | None,
    as_json: bool,
    color: bool | None,
    config_dir: Path | None,
) -> None:
    """Run rules against local .txt (first line = title) or .html files, or URLs; no store needed."""
    from monitor.inputs import read_inputs
    from monitor.rules import article_dates, match
    from monitor.show import format_article_matches

    ruleset = load_rules_file(rules_file or _config_dir(ctx, config_dir) / "rules.yaml")
    use_color = sys.stdout.isatty() if color is None else color
    failed = 0
    now = _now()
    for name, article, error in asyncio.run(read_inputs(inputs)):
        if error is not None or article is None:
            failed += 1
            click.echo(f"error: {name}: {error}", err=True)
            continue
        found = match(article, ruleset, now)
        if as_json:
            click.echo(
                json.dumps(
                    {
                        "input": name,
                        "title": article.title,
                        "published": article.published.isoformat() if article.published else None,
                        "mentioned_dates": [
                            {"text": d.text, "date": d.iso} for d in article_dates(article, now)
                        ],
                        "matches": [
                            {
                                "rule": m.rule_id,
                                "score": m.score,
                                "terms": m.terms,
                                "fields": m.fields,
                                "dates": [{"text": d.text, "date": d.iso} for d in m.dates],
                            }
                            for m in found
                        ],
                    },
                    ensure_ascii=False,
                )
            )
        elif found:
            click.echo(format_article_matches(article, found, color=use_color))
        else:
            click.echo(f"{name}: no rule matched ({article.title[:80]})\n")
    sys.exit(EXIT_PARTIAL if failed else EXIT_OK)


@main.group()
def rules() -> None:
    """Work on watch rules: see why they match or not."""


@rules.command("test")
@click.argument("inputs", nargs=-1, required=True)
@rules_option
@click.option("--rule", "only", multiple=True, help="Only these rule ids.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per input and rule.")
@config_option
@click.pass_context
@edge
def rules_test(
    ctx: click.Context,
    inputs: tuple[str, ...],
    rules_file: Path | None,
    only: tuple[str, ...],
    as_json: bool,
    config_dir: Path | None,
) -> None:
    """For each input and rule: matched or not, and why (which parts held, the nearest miss)."""
    from monitor.explain import explain
    from monitor.inputs import read_inputs
    from monitor.show import format_explanation

    ruleset = load_rules_file(rules_file or _config_dir(ctx, config_dir) / "rules.yaml")
    unknown = [r for r in only if r not in ruleset.by_id]
    if unknown:
        raise click.BadParameter(
            f"no rule '{unknown[0]}' (rules: {', '.join(ruleset.by_id)})", param_hint="--rule"
        )
    failed = 0
    for name, article, error in asyncio.run(read_inputs(inputs)):
        if error is not None or article is None:
            failed += 1
            click.echo(f"error: {name}: {error}", err=True)
            continue
        explanations = [e for e in explain(article, ruleset, _now()) if not only or e.rule_id in only]
        if as_json:
            for e in explanations:
                click.echo(
                    json.dumps(
                        {
                            "input": name,
                            "rule": e.rule_id,
                            "matched": e.matched,
                            "score": e.score,
                            "reason": e.reason,
                            "nearest_miss": e.nearest_miss,
                            "tree": e.tree,
                        },
                        ensure_ascii=False,
                    )
                )
        else:
            click.echo(f"{name} — {article.title}")
            for e in explanations:
                click.echo(format_explanation(e))
            click.echo()
    sys.exit(EXIT_PARTIAL if failed else EXIT_OK)


# the tuning and store commands live in modules of their own (they import the helpers above)
from monitor.cli_store import backtest, deliveries, feeds, matches  # noqa: E402
from monitor.cli_tuning import evaluate_cmd, suggest_cmd  # noqa: E402

rules.add_command(evaluate_cmd)
rules.add_command(suggest_cmd)
for command in (backtest, feeds, matches, deliveries):
    main.add_command(command)
