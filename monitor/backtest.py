"""Re-run rules over stored articles and compare with what they matched when stored (pure)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from monitor.model import Article
from monitor.rules import RuleSet, match


@dataclass
class Backtest:
    articles: int = 0
    unchanged: int = 0
    new: list[tuple[str, Article]] = field(default_factory=list)  # (rule id, article) that would now match
    lost: list[tuple[str, Article]] = field(default_factory=list)  # stored matches the rules no longer make

    def report(self) -> str:
        lines = [
            f"{self.articles} articles: {len(self.new)} new matches, {len(self.lost)} no longer matching, "
            f"{self.unchanged} unchanged"
        ]
        for title, rows in (("newly matching", self.new), ("no longer matching", self.lost)):
            if rows:
                lines.append(f"\n{title}:")
                lines.extend(f"  {rule:24} {a.title[:90]}  ({a.source}, {a.url})" for rule, a in rows)
        return "\n".join(lines) + "\n"


def run_backtest(
    stored: Iterable[tuple[Article, set[str]]],
    ruleset: RuleSet,
    now: datetime,
    progress: Callable[[int], object] | None = None,
) -> Backtest:
    result = Backtest()
    known = set(ruleset.by_id)
    for article, before in stored:
        after = {m.rule_id for m in match(article, ruleset, now)}
        result.articles += 1
        result.new.extend((r, article) for r in sorted(after - before))
        # a stored match of a rule that is not in this rules file is not "lost": it was not tested
        result.lost.extend((r, article) for r in sorted((before & known) - after))
        result.unchanged += len(after & before)
        if progress is not None:
            progress(1)
    return result
