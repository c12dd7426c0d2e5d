"""How well rules do on labelled examples: precision, recall and F1 per rule and for the pack, and
every miss and false alarm with what would explain it (pure).

The pack matches an example when any of its rules does. A rule is scored against what it should
match (the example's label, or its own ``rules`` list). A miss shows, for the rule that came
closest, its nearest miss (:mod:`monitor.explain`); a false alarm shows the terms that fired.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from monitor.explain import explain
from monitor.labelled import Example
from monitor.rules import RuleSet, match


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    def add(self, wanted: bool, got: bool) -> None:
        if wanted and got:
            self.tp += 1
        elif got:
            self.fp += 1
        elif wanted:
            self.fn += 1
        else:
            self.tn += 1

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict[str, float | int]:
        return {
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "tn": self.tn,
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
        }


@dataclass(frozen=True)
class Miss:
    example: Example
    nearest: list[tuple[str, str]]  # (rule id, its nearest miss), closest rules first


@dataclass(frozen=True)
class FalseAlarm:
    example: Example
    fired: list[tuple[str, list[str]]]  # (rule id, the terms that matched)


@dataclass
class Evaluation:
    examples: int
    rules: dict[str, Score]
    pack: Score
    misses: list[Miss] = field(default_factory=list)
    false_alarms: list[FalseAlarm] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "examples": self.examples,
            "pack": self.pack.as_dict(),
            "rules": {rid: s.as_dict() for rid, s in self.rules.items()},
            "misses": [
                {"id": m.example.id, "title": m.example.article.title, "nearest_miss": dict(m.nearest)}
                for m in self.misses
            ],
            "false_alarms": [
                {
                    "id": f.example.id,
                    "label": f.example.label,
                    "title": f.example.article.title,
                    "fired": dict(f.fired),
                }
                for f in self.false_alarms
            ],
        }


def evaluate(
    examples: Iterable[Example], ruleset: RuleSet, now: datetime, only: Iterable[str] = ()
) -> Evaluation:
    """Score the rules (``only`` these, when given) on ``examples``."""
    ids = list(only) or [r.id for r in ruleset.rules]
    scores = {rid: Score() for rid in ids}
    pack = Score()
    misses: list[Miss] = []
    alarms: list[FalseAlarm] = []
    count = 0
    for ex in examples:
        count += 1
        found = {m.rule_id: m for m in match(ex.article, ruleset, now) if m.rule_id in scores}
        for rid, score in scores.items():
            score.add(ex.wanted(rid), rid in found)
        wanted = any(ex.wanted(rid) for rid in ids)
        pack.add(wanted, bool(found))
        if wanted and not found:
            nearest = [
                (e.rule_id, e.reason or e.nearest_miss or "")
                for e in explain(ex.article, ruleset, now)
                if e.rule_id in scores and ex.wanted(e.rule_id)
            ]
            misses.append(Miss(ex, nearest))
        elif found and not wanted:
            alarms.append(FalseAlarm(ex, [(rid, m.terms) for rid, m in found.items()]))
    return Evaluation(count, scores, pack, misses, alarms)


def report(ev: Evaluation, *, show: int = 1_000) -> str:
    """The evaluation as text: the table, then each miss and false alarm."""
    lines = [
        f"{ev.examples} examples",
        "",
        f"{'rule':32} {'tp':>4} {'fp':>4} {'fn':>4}  precision  recall     F1",
    ]

    def row(name: str, s: Score) -> str:
        return f"{name:32} {s.tp:>4} {s.fp:>4} {s.fn:>4}  {s.precision:9.3f}  {s.recall:6.3f}  {s.f1:5.3f}"

    lines += [row(rid, s) for rid, s in ev.rules.items()]
    if len(ev.rules) > 1:
        lines.append(row("(any rule)", ev.pack))
    if ev.misses:
        lines += ["", f"missed ({len(ev.misses)}):"]
        for m in ev.misses[:show]:
            lines.append(f"  {m.example.id}  {_short(m.example.article.title)}")
            for rid, why in m.nearest:
                lines.append(f"      {rid}: {why}")
    if ev.false_alarms:
        lines += ["", f"false alarms ({len(ev.false_alarms)}):"]
        for f in ev.false_alarms[:show]:
            lines.append(f"  {f.example.id} [{f.example.label}]  {_short(f.example.article.title)}")
            for rid, terms in f.fired:
                lines.append(f"      {rid}: {'، '.join(terms[:10])}")
    return "\n".join(lines) + "\n"


def _short(text: str, limit: int = 90) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
