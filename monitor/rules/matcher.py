"""An article against a :class:`RuleSet`: the rules it satisfies, with the terms and dates that
made each one hold, as written in the article (pure)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import repeat
from typing import TYPE_CHECKING

from monitor.arabic import leading_spans, token_offsets, tokens
from monitor.language import detect_language
from monitor.model import Article, Match, MentionedDate, TermHit
from monitor.rules.base import FIELD_ORDER, FIELDS, FUTURE_TOLERANCE
from monitor.rules.conditions import CompiledRule, RuleSet
from monitor.rules.context import _Ctx
from monitor.termindex import Hits

if TYPE_CHECKING:
    pass


@dataclass
class _Prepared:
    """An article read once for all rules."""

    article: Article
    ruleset: RuleSet
    texts: dict[str, str]
    toks: dict[str, list[str]]
    found: set[int]  # ids of the terms the fields contain
    published: datetime | None  # None when missing or impossibly far in the future
    reference: date
    hits: Hits = field(default_factory=dict)  # positions, found on demand (see ``locate``)
    located: set[int] = field(default_factory=set)
    spans: dict[str, dict[int, tuple[int, int]]] = field(default_factory=dict)  # field → token → span
    dates: list[MentionedDate] | None = None
    _language: str | None = None
    _base: _Ctx | None = None  # what every rule's view shares: the fields' tokens, spans and units

    def context(self, hits: Hits, fields: frozenset[str]) -> _Ctx:
        """A rule's view of the article: ``hits`` in ``fields``, sharing with the other rules' views
        what depends on the article alone (its sentences and paragraphs, found once)."""
        if self._base is None:
            self._base = _Ctx(self.article, {}, self.reference, frozenset(), toks=self.toks)
        ctx = self._base.with_hits(hits, fields)
        ctx.cached_dates = self.dates
        return ctx

    @property
    def language(self) -> str:
        if self._language is None:
            a = self.article
            self._language = detect_language(f"{a.title}\n{(a.body or a.summary)[:1000]}")
        return self._language

    def locate(self, terms: Iterable[int]) -> None:
        """Find the positions of ``terms`` (those found and not located yet) in every field."""
        need = self.found.intersection(terms) - self.located
        if need:
            self.located |= need
            self.ruleset.index.locate(self.toks, need, self.hits)


def prepare(
    article: Article, ruleset: RuleSet, now: datetime, toks: Mapping[str, list[str]] | None = None
) -> _Prepared:
    """Read the article once for all rules: tokens (unless given), the terms in each field, the
    publication date to judge by. Positions, language and dates are worked out when a rule needs them."""
    texts: dict[str, str] = {f: article.field_text(f) for f in ruleset.fields}
    field_toks: dict[str, list[str]] = {
        f: toks[f] if toks is not None and f in toks else tokens(texts[f]) for f in ruleset.fields
    }
    ruleset.index.begin()
    found = ruleset.index.find(field_toks.values())
    published = article.published
    if published is not None and published > now + FUTURE_TOLERANCE:
        published = None  # "2030" from a feed is wrong, not news from the future
    reference = (published or now).date()
    return _Prepared(article, ruleset, texts, field_toks, found, published, reference)


def _context(p: _Prepared, rule: CompiledRule) -> _Ctx:
    """The article's hits of this rule's terms, in this rule's fields (cost: the rule's size, or
    nothing when the rule reads every field: then it sees all hits found so far, and only ever
    looks up its own terms)."""
    p.locate(rule.all_terms)
    if rule.fields.issuperset(p.toks):  # nothing to leave out: the rule only asks about its own terms
        hits = p.hits
    else:
        hits = {}
        for t in rule.all_terms:
            found = p.hits.get(t)
            if found and (kept := [h for h in found if h[0] in rule.fields]):
                hits[t] = kept
    return p.context(hits, rule.fields)


def _date_problem(rule: CompiledRule, p: _Prepared, now: datetime) -> str | None:
    published = p.published
    if published is None:  # undated (or impossibly dated): judged as seen now
        published = now
    if rule.published_within is not None and now - published > rule.published_within:
        return f"published {published:%Y-%m-%d}, older than {rule.published_within}"
    if rule.published_after is not None and published.date() < rule.published_after:
        return f"published {published:%Y-%m-%d}, before {rule.published_after}"
    if rule.published_before is not None and published.date() > rule.published_before:
        return f"published {published:%Y-%m-%d}, after {rule.published_before}"
    return None


def _gate(rule: CompiledRule, p: _Prepared, now: datetime) -> str | None:
    """Why ``rule`` cannot apply to the article at all, or None."""
    if rule.languages is not None and p.language not in rule.languages:
        return f"language {p.language} not in [{', '.join(sorted(rule.languages))}]"
    return _date_problem(rule, p, now)


def match(
    article: Article, ruleset: RuleSet, now: datetime, toks: Mapping[str, list[str]] | None = None
) -> list[Match]:
    """The rules ``article`` satisfies at time ``now``, best score first.

    ``toks`` may give the fields' tokens when the caller has them already."""
    p = prepare(article, ruleset, now, toks)
    candidates = [ruleset.rules[i] for i in candidate_rules(ruleset, p.found)]
    candidates = [rule for rule in candidates if _gate(rule, p, now) is None]
    p.locate(t for rule in candidates for t in rule.all_terms)  # one pass over the text for all
    held: list[_Evidence] = []
    for rule in candidates:
        ctx = _context(p, rule)
        flat = rule.flat
        if flat is not None:
            hits = ctx.hits
            if flat.excluded.isdisjoint(hits) and not any(
                map(frozenset.isdisjoint, flat.required, repeat(hits))
            ):
                ev = _scored(rule, ruleset, ctx, flat.positive.intersection(hits), [])
                if ev is not None:
                    held.append(ev)
            continue
        holds = rule.root.holds(ctx)
        p.dates = ctx.cached_dates
        if holds and (ev := _evidence(rule, ruleset, ctx)) is not None:
            held.append(ev)
    _read_all_spans(p, held)  # where every matched term is in the text, in one pass per field
    out = [_build(ev, ruleset, p) for ev in held]
    out.sort(key=lambda m: -m.score)
    return out


def candidate_rules(ruleset: RuleSet, found: set[int]) -> list[int]:
    """Rules (by index, in order) that the article's term hits may satisfy: every rule whose
    required term sets all have a hit (a rule without such sets: one of its terms), and the rules
    that hold without terms. The others cannot hold and are never evaluated."""
    hit: set[int] = set().union(*map(ruleset.term_sets.__getitem__, found))
    set_rule, rule_sets = ruleset.set_rule, ruleset.rule_sets
    out = set(ruleset.always)
    for number in hit & ruleset.first_sets:
        rule = set_rule[number]
        if rule_sets[rule] <= hit:
            out.add(rule)
    return sorted(out)


@dataclass
class _Evidence:
    """Why a rule holds: the terms it used (each hit as sort key), its score, the dates."""

    rule: CompiledRule
    score: float
    hits: list[tuple[int, int, int, int]]  # (field order, position, term id, length), sorted
    dates: list[MentionedDate]


def _evidence(rule: CompiledRule, ruleset: RuleSet, ctx: _Ctx) -> _Evidence | None:
    used: set[int] = set()
    dates: list[MentionedDate] = []
    rule.root.used(ctx, used, dates)
    return _scored(rule, ruleset, ctx, used, dates)


def _scored(
    rule: CompiledRule, ruleset: RuleSet, ctx: _Ctx, used: AbstractSet[int], dates: list[MentionedDate]
) -> _Evidence | None:
    """The evidence of a rule that holds with the terms ``used``, unless it scores below its threshold."""
    score = _score(rule, ruleset, ctx, used)
    if score < rule.threshold:
        return None
    hits = sorted((FIELD_ORDER[f], pos, t, length) for t in used for f, pos, length in ctx.hits[t])
    return _Evidence(rule, score, hits, dates)


def _build(ev: _Evidence, ruleset: RuleSet, p: _Prepared) -> Match:
    """The match, with each hit in the article's own spelling (positions read beforehand for every
    match of the article at once: see :func:`_read_all_spans`)."""
    terms = ruleset.terms
    term_hits = tuple(
        TermHit(terms[t].text, FIELDS[f], pos, _original(p, FIELDS[f], pos, length))
        for f, pos, t, length in ev.hits
    )
    return Match(ev.rule.id, ev.score, term_hits, tuple(ev.dates))


def _read_all_spans(p: _Prepared, evidence: Iterable[_Evidence]) -> None:
    needed: dict[str, set[int]] = {}
    for ev in evidence:
        for f, pos, _, length in ev.hits:
            needed.setdefault(FIELDS[f], set()).update((pos, pos + length - 1))
    for name, positions in needed.items():
        _read_spans(p, name, positions)


def _match(rule: CompiledRule, ruleset: RuleSet, p: _Prepared, ctx: _Ctx) -> Match | None:
    ev = _evidence(rule, ruleset, ctx)
    if ev is None:
        return None
    _read_all_spans(p, [ev])
    return _build(ev, ruleset, p)


def _score(rule: CompiledRule, ruleset: RuleSet, ctx: _Ctx, used: AbstractSet[int]) -> float:
    """Each matched term counts once: its weight times the weight of the best field it was found in."""
    return sum(ruleset.terms[t].weight * max(rule.field_weights[h[0]] for h in ctx.hits[t]) for t in used)


def _read_spans(p: _Prepared, f: str, positions: set[int]) -> dict[int, tuple[int, int]]:
    """Where the tokens at ``positions`` of field ``f`` are in its text (remembered per article)."""
    spans = p.spans.setdefault(f, {})
    missing = positions - spans.keys()
    if missing:
        text, toks = p.texts[f], p.toks[f]
        found = token_offsets(text, toks, missing)
        if found is None:  # read the text as far as the last of them
            found = dict(enumerate(leading_spans(text, toks, max(missing))))
        spans.update(found)
    return spans


def _original(p: _Prepared, f: str, pos: int, length: int) -> str:
    """The article's own spelling of tokens ``pos .. pos+length``."""
    toks, last = p.toks[f], pos + length - 1
    spans = p.spans.get(f) or {}
    if pos not in spans or last not in spans:
        spans = _read_spans(p, f, {pos, last})
    if pos not in spans or last not in spans or last >= len(toks):
        return " ".join(toks[pos : pos + length])
    return p.texts[f][spans[pos][0] : spans[last][1]]
