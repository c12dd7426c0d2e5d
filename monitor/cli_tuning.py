"""``rasad rules evaluate`` and ``rasad rules suggest``: the rule-tuning loop on labelled examples
(thin commands over :mod:`monitor.evaluate` and :mod:`monitor.suggest`)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from monitor.cli import EXIT_OK, EXIT_PARTIAL, _config_dir, _now, config_option, edge, rules_option
from monitor.config import load_rules_file
from monitor.rules import RuleSet

SPLIT_HELP = (
    "Evaluate a fixed share of the examples only (e.g. 0.5), chosen by --seed: keep a tuning and a test half."
)


def _split(split: float | None, half: str) -> str:
    if split is not None and not 0 < split < 1:
        raise click.BadParameter("a share between 0 and 1, e.g. 0.5", param_hint="--split")
    return "" if split is None else f" ({half} half of a {split:g} split)"


def _ruleset(ctx: click.Context, rules_file: Path | None, config_dir: Path | None) -> RuleSet:
    return load_rules_file(rules_file or _config_dir(ctx, config_dir) / "rules.yaml")


def _known(ruleset: RuleSet, ids: tuple[str, ...] | list[str], hint: str) -> None:
    unknown = [r for r in ids if r not in ruleset.by_id]
    if unknown:
        raise click.BadParameter(
            f"no rule '{unknown[0]}' (rules: {', '.join(ruleset.by_id)})", param_hint=hint
        )


@click.command("evaluate")
@click.argument("labelled", type=click.Path(path_type=Path, exists=True))
@rules_option
@click.option("--rule", "only", multiple=True, help="Only these rule ids.")
@click.option("--split", type=float, help=SPLIT_HELP)
@click.option("--seed", type=int, default=1, show_default=True, help="Which split.")
@click.option("--half", type=click.Choice(["tune", "test"]), default="tune", show_default=True)
@click.option(
    "--json", "as_json", is_flag=True, help="The figures, misses and false alarms as one JSON object."
)
@config_option
@click.pass_context
@edge
def evaluate_cmd(
    ctx: click.Context,
    labelled: Path,
    rules_file: Path | None,
    only: tuple[str, ...],
    split: float | None,
    seed: int,
    half: str,
    as_json: bool,
    config_dir: Path | None,
) -> None:
    """Precision, recall and F1 of the rules on LABELLED examples (a JSONL file, or a folder of
    .txt/.html files with labels.tsv), then every miss with its nearest miss and every false alarm
    with the terms that fired."""
    from monitor.evaluate import evaluate, report
    from monitor.labelled import choose, load

    which = _split(split, half)
    ruleset = _ruleset(ctx, rules_file, config_dir)
    _known(ruleset, only, "--rule")
    examples = choose(load(labelled), split, seed, half)
    ev = evaluate(examples, ruleset, _now(), only)
    if as_json:
        click.echo(json.dumps({"split": which.strip(" ()") or None, **ev.as_dict()}, ensure_ascii=False))
    else:
        click.echo(f"{labelled}{which}: ", nl=False)
        click.echo(report(ev), nl=False)
    sys.exit(EXIT_OK)


@click.command("suggest")
@click.argument("rule")
@click.argument("labelled", type=click.Path(path_type=Path, exists=True))
@rules_option
@click.option("--split", type=float, help=SPLIT_HELP)
@click.option("--seed", type=int, default=1, show_default=True)
@click.option("--half", type=click.Choice(["tune", "test"]), default="tune", show_default=True)
@click.option("--limit", type=int, default=30, show_default=True, help="How many suggestions.")
@config_option
@click.pass_context
@edge
def suggest_cmd(
    ctx: click.Context,
    rule: str,
    labelled: Path,
    rules_file: Path | None,
    split: float | None,
    seed: int,
    half: str,
    limit: int,
    config_dir: Path | None,
) -> None:
    """Terms and phrases that would catch RULE's misses on LABELLED examples, each with how many
    misses it would catch and how many false alarms it would add (at most)."""
    from monitor.labelled import choose, load
    from monitor.suggest import report, suggest

    _split(split, half)
    ruleset = _ruleset(ctx, rules_file, config_dir)
    _known(ruleset, [rule], "RULE")
    found = suggest(rule, choose(load(labelled), split, seed, half), ruleset, _now(), limit)
    click.echo(report(rule, found), nl=False)
    sys.exit(EXIT_OK if found else EXIT_PARTIAL)
