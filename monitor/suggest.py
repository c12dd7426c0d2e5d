"""Terms that would catch a rule's misses: phrases and words found in the relevant examples the
rule missed and rarely in the irrelevant ones (pure).

For each candidate (a phrase of two or three words, or one word; normalised, proclitics read off,
function words never alone) it counts the misses that contain it — at most that many more would
match if the rule accepted it — and the irrelevant examples the rule does not match yet that
contain it — at most that many false alarms it would add. Words of one verb or noun are gathered
under the ``~word`` that covers them (:mod:`monitor.morphology`). Phrases come first (specific),
then single words; within each, the most caught for the fewest false alarms.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from monitor.arabic import readings, tokens
from monitor.labelled import Example
from monitor.morphology import MorphologyError, inflections
from monitor.rules import RuleSet, match
from monitor.stories import _STOP

MIN_CAUGHT = 2


@dataclass(frozen=True)
class Suggestion:
    term: str  # as a rule would write it: a phrase, a word, or ~word
    caught: int  # misses that contain it
    false_alarms: int  # irrelevant examples, not matched yet, that contain it
    forms: tuple[str, ...] = ()  # for ~word: the spellings seen in the examples


def _plain(tok: str, seen: Counter[str]) -> str:
    """The token as a term would write it: of its readings without proclitics, the one met most as
    a word of its own in the examples (وقاعدة → قاعدة; بعثة stays بعثة, since عثة is never met)."""
    options = [r for r in readings(tok) if len(r) >= 3] or [tok]
    return max(options, key=lambda r: (seen[r], len(r)))


def _units(toks: list[str]) -> set[str]:
    """Words (function words and numbers left out) and phrases of two and three words."""
    out = {t for t in toks if t not in _STOP and len(t) >= 3 and not t.isdigit()}
    for n in (2, 3):
        for i in range(len(toks) - n + 1):
            gram = toks[i : i + n]
            if gram[0] not in _STOP and gram[-1] not in _STOP:
                out.add(" ".join(gram))
    return out


def suggest(
    rule_id: str, examples: Iterable[Example], ruleset: RuleSet, now: datetime, limit: int = 30
) -> list[Suggestion]:
    texts: list[tuple[list[str], bool]] = []  # tokens, and whether the rule missed it (else: irrelevant)
    for ex in examples:
        got = any(m.rule_id == rule_id for m in match(ex.article, ruleset, now))
        if (ex.wanted(rule_id) != got and not got) or (not ex.wanted(rule_id) and not got):
            texts.append((tokens(f"{ex.article.title}\n{ex.article.body}"), ex.wanted(rule_id)))
    seen = Counter(t for toks, _ in texts for t in toks)
    missed: list[set[str]] = []
    others: list[set[str]] = []
    for toks, relevant in texts:
        (missed if relevant else others).append(_units([_plain(t, seen) for t in toks]))
    caught = Counter(u for units in missed for u in units)
    noise = Counter(u for units in others for u in units)
    candidates = [u for u, n in caught.items() if n >= MIN_CAUGHT]
    words = _gather([u for u in candidates if " " not in u], missed, others)
    phrases = [Suggestion(u, caught[u], noise[u]) for u in candidates if " " in u]

    def rank(s: Suggestion) -> tuple[float, int]:
        return (s.caught - 3 * s.false_alarms, s.caught)

    phrases = [p for p in phrases if p.caught > p.false_alarms]
    words = [w for w in words if w.caught > w.false_alarms]
    return (
        sorted(phrases, key=rank, reverse=True)[: limit // 2]
        + sorted(words, key=rank, reverse=True)[: limit - min(len(phrases), limit // 2)]
    )


def _gather(words: list[str], missed: list[set[str]], others: list[set[str]]) -> list[Suggestion]:
    """Words of one paradigm under one ``~word``: the word whose inflections cover most of the others."""
    remaining = set(words)
    out = []
    for word in sorted(words, key=len):
        if word not in remaining:
            continue
        try:
            family = set(inflections(word) & remaining)
        except MorphologyError:
            family = {word}
        family.add(word)
        remaining -= family
        term = f"~{word}" if len(family) > 1 else word
        out.append(
            Suggestion(
                term,
                sum(1 for units in missed if units & family),
                sum(1 for units in others if units & family),
                tuple(sorted(family)) if len(family) > 1 else (),
            )
        )
    return out


def report(rule_id: str, found: list[Suggestion]) -> str:
    if not found:
        return f"{rule_id}: nothing found that catches two or more misses\n"
    lines = [f"{rule_id}: terms that would catch its misses (caught / false alarms added, at most)"]
    for s in found:
        forms = f"   ({'، '.join(s.forms[:6])}{' …' if len(s.forms) > 6 else ''})" if s.forms else ""
        lines.append(f"  {s.term:40} {s.caught:>4} / {s.false_alarms:<4}{forms}")
    return "\n".join(lines) + "\n"
