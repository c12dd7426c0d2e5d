"""``rasad backtest``, ``feeds``, ``matches`` and ``deliveries``: what the store holds, shown and
repaired (thin commands over :mod:`monitor.store`, :mod:`monitor.show` and :mod:`monitor.backtest`)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from monitor.cli import EXIT_OK, EXIT_PARTIAL, _load, _now, config_option, edge
from monitor.config import load_rules_file
from monitor.units import parse_duration


@click.command()
@config_option
@click.option(
    "--since", default="30d", show_default=True, help="Articles first seen this recently, e.g. 30d."
)
@click.option(
    "--rules",
    "rules_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Rules file to try (default: the configured rules.yaml).",
)
@click.pass_context
@edge
def backtest(ctx: click.Context, config_dir: Path | None, since: str, rules_file: Path | None) -> None:
    """Re-run rules over stored articles: which would now match, which no longer would. Changes nothing."""
    from monitor.backtest import run_backtest
    from monitor.runtime import open_store

    try:
        window = parse_duration(since)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--since") from None
    config = _load(ctx, config_dir)
    ruleset = load_rules_file(rules_file) if rules_file else config.ruleset
    store = open_store(config)
    try:
        total = store.count_articles(_now() - window)
        with click.progressbar(length=total, label=f"{total} articles", file=sys.stderr) as bar:
            result = run_backtest(store.articles(_now() - window), ruleset, _now(), progress=bar.update)
    finally:
        store.close()
    click.echo(result.report(), nl=False)


@click.command()
@config_option
@click.pass_context
@edge
def feeds(ctx: click.Context, config_dir: Path | None) -> None:
    """Each feed's health: last poll, status, error count, items and matches."""
    from monitor.runtime import open_store
    from monitor.show import format_feeds
    from monitor.store import FeedStatus

    config = _load(ctx, config_dir)
    store = open_store(config)
    try:
        known = {f.name: f for f in store.feeds()}
    finally:
        store.close()
    rows = [
        known.get(f.name) or FeedStatus(f.name, f.url, None, None, None, 0, None, 0, 0) for f in config.feeds
    ]
    rows += [f for name, f in known.items() if name not in {c.name for c in config.feeds}]
    poll = config.settings.poll
    every = {
        f.name: poll.interval_for(f.interval, f.priority, known[f.name].cadence if f.name in known else None)
        for f in config.feeds
    }
    click.echo(format_feeds(rows, _now(), every), nl=False)


@click.command()
@config_option
@click.option("--since", default="7d", show_default=True, help="How far back, e.g. 36h or 30d.")
@click.option("--rule", help="Only this rule's matches.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per match, one per line.")
@click.option("--color/--no-color", default=None)
@click.pass_context
@edge
def matches(
    ctx: click.Context,
    config_dir: Path | None,
    since: str,
    rule: str | None,
    as_json: bool,
    color: bool | None,
) -> None:
    """Stored matches, newest last."""
    from monitor.runtime import open_store
    from monitor.show import format_match

    try:
        window = parse_duration(since)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--since") from None
    config = _load(ctx, config_dir)
    store = open_store(config)
    try:
        found = store.matches(since=_now() - window, rule=rule)
    finally:
        store.close()
    use_color = sys.stdout.isatty() if color is None else color
    for m in found:
        if as_json:
            a = m.article
            click.echo(
                json.dumps(
                    {
                        "id": m.match_id,
                        "rule": m.rule_id,
                        "score": m.score,
                        "terms": list(dict.fromkeys(h.term for h in m.hits)),
                        "matched_at": m.created_at.isoformat(),
                        "title": a.title,
                        "url": a.url,
                        "source": a.source,
                        "published": a.published.isoformat() if a.published else None,
                        "deliveries": [{"channel": c, "status": s} for c, s in m.deliveries],
                        "story": None
                        if m.story_id is None
                        else {
                            "id": m.story_id,
                            "outlets": list(m.story.outlets) if m.story else [],
                            "score": m.story.score if m.story else None,
                            "shared": list(m.story.shared) if m.story else [],
                            "passages": list(m.story.passages) if m.story else [],
                        },
                    },
                    ensure_ascii=False,
                )
            )
        else:
            click.echo(format_match([m], color=use_color))
    if not found and not as_json:
        click.echo(f"no matches in the last {since}" + (f" for rule {rule}" if rule else ""))


@click.group(invoke_without_command=True)
@config_option
@click.pass_context
@edge
def deliveries(ctx: click.Context, config_dir: Path | None) -> None:
    """Pending and dead-lettered alert deliveries, with their last error."""
    ctx.obj["config_dir"] = config_dir or ctx.obj.get("config_dir")
    if ctx.invoked_subcommand is not None:
        return
    from monitor.runtime import open_store
    from monitor.show import format_deliveries

    store = open_store(_load(ctx, None))
    try:
        click.echo(format_deliveries(store.deliveries(), _now()), nl=False)
    finally:
        store.close()


@deliveries.command("retry")
@click.argument("ids", nargs=-1, type=int)
@click.option("--all-dead", is_flag=True, help="Re-queue every dead-lettered delivery.")
@config_option
@click.pass_context
@edge
def deliveries_retry(
    ctx: click.Context, ids: tuple[int, ...], all_dead: bool, config_dir: Path | None
) -> None:
    """Re-queue deliveries by ID (or all dead ones) to be sent on the next delivery round."""
    from monitor.runtime import open_store

    if not ids and not all_dead:
        raise click.UsageError("give delivery IDs or --all-dead")
    store = open_store(_load(ctx, config_dir))
    try:
        statuses = store.delivery_statuses(ids)
        n = store.retry(_now(), [i for i in ids if statuses.get(i) in ("dead", "pending")], all_dead=all_dead)
    finally:
        store.close()
    problems = [
        f"no delivery {i} (`rasad deliveries` lists them)"
        if i not in statuses
        else f"delivery {i} is {statuses[i]}: only dead or pending deliveries are re-queued"
        for i in ids
        if statuses.get(i) not in ("dead", "pending")
    ]
    for problem in problems:
        click.echo(f"error: {problem}", err=True)
    click.echo(f"re-queued {n} deliveries")
    sys.exit(EXIT_PARTIAL if problems else EXIT_OK)
