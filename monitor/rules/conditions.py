"""A compiled rule's condition tree (terms, groups, ``near``, regexes, date mentions), each node
able to say whether it holds on an article and which terms and dates it used; the compiled
rule and the rule set (pure)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING

from monitor.model import FieldName, MentionedDate
from monitor.ruleregex import RulePattern
from monitor.rules.base import LEAD_WORDS, Term
from monitor.rules.context import _Ctx
from monitor.termindex import TermIndex

if TYPE_CHECKING:
    pass


@dataclass(frozen=True)
class _Leaf:
    terms: tuple[int, ...]  # satisfied by any of these
    label: str
    term_set: frozenset[int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "term_set", frozenset(self.terms))

    def holds(self, ctx: _Ctx) -> bool:
        return not self.term_set.isdisjoint(ctx.hits)

    def used(self, ctx: _Ctx, terms: set[int], dates: list[MentionedDate]) -> None:
        terms.update(t for t in self.terms if t in ctx.hits)

    def term_ids(self) -> Iterable[int]:
        return self.terms


@dataclass(frozen=True)
class _Group:
    kind: str  # all | any | none | at_least
    children: tuple[Node, ...]
    need: int = 1  # for at_least
    scope: str | None = None  # sentence | paragraph: the group must hold within one of them
    where: str | None = None  # title | lead: the group must hold there
    lead: int = LEAD_WORDS  # the lead: the title, the summary and this many words of the body
    # the children that are plain terms are tested together with set operations
    leaves: tuple[_Leaf, ...] = field(init=False, repr=False, compare=False)
    leaf_terms: frozenset[int] = field(init=False, repr=False, compare=False)
    others: tuple[Node, ...] = field(init=False, repr=False, compare=False)
    ordered: tuple[int, ...] = field(init=False, repr=False, compare=False)  # term_ids(), once each

    def __post_init__(self) -> None:
        leaves = tuple(c for c in self.children if isinstance(c, _Leaf))
        object.__setattr__(self, "leaves", leaves)
        object.__setattr__(self, "leaf_terms", frozenset().union(*(c.term_set for c in leaves)))
        object.__setattr__(self, "others", tuple(c for c in self.children if not isinstance(c, _Leaf)))
        object.__setattr__(self, "ordered", tuple(dict.fromkeys(self.term_ids())))

    def holds(self, ctx: _Ctx) -> bool:
        if self.scope is not None or self.where is not None:
            return self.narrowed(ctx) is not None
        return self._holds(ctx)

    def narrowed(self, ctx: _Ctx) -> _Ctx | None:
        """The part of the article (the title, the lead, one sentence or paragraph) in which this
        scoped group holds, or None."""
        base = ctx if self.where is None else _within(ctx, self.where, self.lead)
        if self.scope is None:
            return base if self._holds(base) else None
        scope = self.scope
        tried: set[tuple[str, int]] = set()
        of_field: dict[str, list[int]] = {}
        hits = base.hits
        for t in self.ordered:
            for f, pos, _ in hits.get(t, ()):
                units = of_field.get(f)
                if units is None:
                    units = of_field[f] = base.units(f, scope)
                unit = (f, units[pos] if pos < len(units) else -1)
                if unit in tried:
                    continue
                tried.add(unit)
                sub = base.in_unit(scope, unit)
                if self._holds(sub):
                    return sub
        return None

    def _holds(self, ctx: _Ctx) -> bool:
        hits = ctx.hits
        if self.kind == "any":
            return not self.leaf_terms.isdisjoint(hits) or any(c.holds(ctx) for c in self.others)
        if self.kind == "none":
            return self.leaf_terms.isdisjoint(hits) and not any(c.holds(ctx) for c in self.others)
        if self.kind == "all":
            for leaf in self.leaves:
                if leaf.term_set.isdisjoint(hits):
                    return False
            return all(c.holds(ctx) for c in self.others)
        held = sum(1 for leaf in self.leaves if not leaf.term_set.isdisjoint(hits))
        return held + sum(1 for c in self.others if c.holds(ctx)) >= self.need

    def used(self, ctx: _Ctx, terms: set[int], dates: list[MentionedDate]) -> None:
        if self.kind == "none":
            return
        if self.scope is not None or self.where is not None:
            narrowed = self.narrowed(ctx)
            if narrowed is None:
                return
            ctx = narrowed  # the terms of the sentence (or lead) that made it hold
        terms.update(self.leaf_terms.intersection(ctx.hits))  # a term that holds is used
        for c in self.others:
            if c.holds(ctx):
                c.used(ctx, terms, dates)

    def term_ids(self) -> Iterable[int]:
        if self.kind != "none":
            for c in self.children:
                yield from c.term_ids()

    def all_term_ids(self) -> Iterable[int]:
        for c in self.children:
            yield from (c.all_term_ids() if isinstance(c, _Group) else c.term_ids())


@dataclass(frozen=True)
class _Near:
    items: tuple[_Leaf, ...]
    within: int
    scope: str | None  # sentence | paragraph: all in one of them

    @property
    def same_sentence(self) -> bool:
        return self.scope == "sentence"

    def _window(self, ctx: _Ctx) -> tuple[str, list[int]] | None:
        """A field and one position per item, all within ``within`` tokens (and one sentence or
        paragraph, when scoped)."""
        by_field: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for i, leaf in enumerate(self.items):
            for t in leaf.terms:
                for f, pos, _ in ctx.hits.get(t, ()):
                    by_field[f].append((pos, i))
        for fname, points in by_field.items():
            if len({i for _, i in points}) < len(self.items):
                continue
            points.sort()
            units = ctx.units(fname, self.scope) if self.scope is not None else None
            last: dict[int, int] = {}
            for pos, i in points:
                last[i] = pos
                if len(last) == len(self.items):
                    lo = min(last.values())
                    together = units is None or _same_sentence(units, list(last.values()))
                    if pos - lo <= self.within and together:
                        return fname, sorted(last.values())
        return None

    def holds(self, ctx: _Ctx) -> bool:
        return self._window(ctx) is not None

    def used(self, ctx: _Ctx, terms: set[int], dates: list[MentionedDate]) -> None:
        window = self._window(ctx)
        if window is None:
            return
        f, positions = window
        for leaf in self.items:
            terms.update(
                t for t in leaf.terms if any(h[0] == f and h[1] in positions for h in ctx.hits.get(t, ()))
            )

    def term_ids(self) -> Iterable[int]:
        for leaf in self.items:
            yield from leaf.terms


def _same_sentence(sentences: list[int], positions: list[int]) -> bool:
    """Whether the tokens at ``positions`` are in one unit (``sentences``: a unit number per token)."""
    ids = {sentences[p] for p in positions if p < len(sentences)}
    return len(ids) == 1


def _within(ctx: _Ctx, where: str, lead: int) -> _Ctx:
    """The article seen only in its title, or only in its lead (title, summary, first words)."""
    if where == "title":
        return ctx.narrowed(lambda f, p: f == "title", frozenset({"title"}) & ctx.fields)
    return ctx.narrowed(lambda f, p: f in ("title", "summary") or (f == "body" and p < lead))


@dataclass(frozen=True)
class _Regex:
    pattern: RulePattern  # RE2: linear in the text, whatever the pattern

    def holds(self, ctx: _Ctx) -> bool:
        return any(self.pattern.search(ctx.normalised(f)) for f in ctx.fields)

    def used(self, ctx: _Ctx, terms: set[int], dates: list[MentionedDate]) -> None:
        return None

    def term_ids(self) -> Iterable[int]:
        return ()


@dataclass(frozen=True)
class _Mentions:
    lo: date
    hi: date
    label: str

    def matching(self, ctx: _Ctx) -> list[MentionedDate]:
        return [d for d in ctx.dates if d.overlaps(self.lo, self.hi)]

    def holds(self, ctx: _Ctx) -> bool:
        return bool(self.matching(ctx))

    def used(self, ctx: _Ctx, terms: set[int], dates: list[MentionedDate]) -> None:
        dates.extend(d for d in self.matching(ctx) if d not in dates)

    def term_ids(self) -> Iterable[int]:
        return ()


Node = _Leaf | _Group | _Near | _Regex | _Mentions


@dataclass(frozen=True, slots=True)
class Flat:
    """A rule made only of terms in ``all`` / ``any`` / ``none`` groups (most rules), as sets: it
    holds when every ``required`` set has a hit and ``excluded`` has none; it then uses the hits of
    ``positive``. Exactly what walking the groups gives, for a few set operations."""

    required: tuple[frozenset[int], ...]
    excluded: frozenset[int]
    positive: frozenset[int]


def _flat(node: Node) -> Flat | None:
    """``node`` as a :class:`Flat`, or None when it has conditions sets cannot express."""
    if isinstance(node, _Leaf):
        return Flat((node.term_set,), frozenset(), node.term_set)
    if not isinstance(node, _Group) or node.scope is not None or node.where is not None:
        return None
    only_terms = not node.others
    if node.kind == "none":
        return Flat((), node.leaf_terms, frozenset()) if only_terms else None
    if node.kind == "any" or (node.kind == "at_least" and node.need == 1):
        if only_terms and node.leaves:
            return Flat((node.leaf_terms,), frozenset(), node.leaf_terms)
        return _flat(node.children[0]) if len(node.children) == 1 else None
    if node.kind != "all":
        return None
    parts = [_flat(c) for c in node.children]
    if any(part is None for part in parts):
        return None
    kept = [part for part in parts if part is not None]
    return Flat(
        tuple(s for part in kept for s in part.required),
        frozenset().union(*(part.excluded for part in kept)),
        frozenset().union(*(part.positive for part in kept)),
    )


@dataclass(frozen=True)
class CompiledRule:
    id: str
    name: str
    channels: tuple[tuple[str, str], ...]  # (channel, delivery mode)
    escalate: tuple[int, timedelta, str] | None  # (outlets, within, channel)
    fields: frozenset[str]
    field_weights: Mapping[str, float]
    root: _Group
    published_within: timedelta | None
    published_after: date | None
    published_before: date | None
    languages: frozenset[str] | None  # None: any language
    threshold: float
    term_ids: frozenset[int]  # terms that can make it hold (not those under none)
    all_terms: tuple[int, ...]  # every term it looks at
    required: tuple[frozenset[int], ...]  # each set needs at least one hit for the rule to hold
    always: bool  # can hold with no term found (regex, date, none): evaluated for every article
    flat: Flat | None = None  # the rule as plain term sets, when it is only terms, any, all, none


@dataclass(frozen=True)
class RuleSet:
    rules: tuple[CompiledRule, ...]
    terms: tuple[Term, ...]
    index: TermIndex  # where each term can start, and the memo of what each text token starts
    fields: tuple[FieldName, ...]
    by_id: Mapping[str, CompiledRule] = field(default_factory=dict)
    # Which rules an article's terms can make hold. Each rule has term sets of which every one needs
    # a hit (see ``required_terms``; a rule without such sets: the set of all its terms). The sets of all
    # rules are numbered; the article's terms give the numbers of the sets they hit (a C-level
    # union), and a rule is a candidate when all its sets are among them. Only the rules whose
    # narrowest set (fewest terms, so the least often hit) is hit are looked at.
    term_sets: tuple[frozenset[int], ...] = ()  # term id → numbers of the sets it belongs to
    first_sets: frozenset[int] = frozenset()  # the number of each rule's narrowest set
    set_rule: tuple[int, ...] = ()  # set number → rule index
    rule_sets: tuple[frozenset[int], ...] = ()  # rule index → numbers of its sets
    always: tuple[int, ...] = ()  # rules evaluated for every article

    def __len__(self) -> int:
        return len(self.rules)
