"""Precision and recall of the example coalition rule on the labelled sets (figures in the README)."""

import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

from evaluate_rules import evaluate, items  # noqa: E402

from monitor.config import load_rules_file  # noqa: E402

RULES = ROOT / "config" / "rules.yaml"
NOW = datetime(2026, 11, 22, tzinfo=UTC)


def test_devset_has_seeds_positives_and_hard_negatives_with_reasons():
    rows = items("devset")
    assert sum(1 for r in rows if r[2]) >= 20 and sum(1 for r in rows if not r[2]) >= 20
    assert all(r[3] for r in rows)
    assert [r[0] for r in rows[:5]] == sorted(p.stem for p in (ROOT / "seeds").glob("*.txt"))


def test_coalition_rule_on_the_development_set():
    precision, recall, wrong = evaluate(RULES, "coalition-mission-iraq", "devset")
    assert (precision, recall) == (1.0, 1.0), wrong


def test_coalition_rule_on_the_held_out_sets_does_not_regress():
    # floors at the figures measured when this test was written; the README reports the exact values
    precision, recall, wrong = evaluate(RULES, "coalition-mission-iraq", "heldout")
    assert precision == 1.0 and recall >= 0.86, wrong


def test_the_register_sets_stay_caught():
    # floors below the figures in the README (register set: tuned on; second set: measured once)
    precision, recall, wrong = evaluate(RULES, "coalition-mission-iraq", "registers")
    assert precision >= 0.95 and recall >= 0.95, wrong
    precision, recall, wrong = evaluate(RULES, "coalition-mission-iraq", "registers2")
    assert precision >= 0.9 and recall >= 0.95, wrong


CORPUS = ROOT.parent / "shared" / "devdata" / "corpus.jsonl"


@pytest.mark.skipif(not CORPUS.exists(), reason="the development corpus is not beside the project")
def test_the_pack_on_the_development_corpus_test_half_meets_its_goal():
    """The third-party corpus stays outside the repository; when it is beside it (../shared), the
    example pack must keep recall ≥ 0.95 at precision ≥ 0.90 on the half it was not tuned on."""
    from monitor.evaluate import evaluate as score
    from monitor.labelled import choose, load

    ruleset = load_rules_file(RULES)
    ev = score(choose(load(CORPUS), 0.5, 1, "test"), ruleset, NOW)
    assert ev.pack.recall >= 0.95 and ev.pack.precision >= 0.90, (
        ev.pack.as_dict(),
        [m.example.id for m in ev.misses],
    )
