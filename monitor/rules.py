"""Watch rules: compile once, match many, explain why (pure).

``compile_rules(configs, aliases)`` turns validated rule configs into a :class:`RuleSet`;
``match(article, ruleset, now)`` returns the rules the article satisfies, each with the terms that
matched (field, token position, original text) and the mentioned dates that satisfied a date
condition (:mod:`monitor.explain` says, for every rule, which parts held and which failed).

Terms and text meet in one normalised spelling (:mod:`monitor.arabic`). Rule terms are never
stemmed; text tokens are also read with their proclitics removed (و/ف, ب/ك/ل, ال). A term written
with ال also matches the bare word when at least four letters follow ال. ``word*`` matches any
continuation, ``word+`` the word with a pronoun suffix (مهمة+ → مهمتها, مهمتهم, مهمتنا …), ``~word``
the word and its inflections, generated from it (~انسحب → ينسحبون, ستنسحب, انسحابها, المنسحبة …:
:mod:`monitor.morphology`). A phrase matches as a token sequence, clitics allowed on its first token
only; any of its words may be ``~word``.

Conditions: a term, ``@alias``, ``{term, weight}``, and groups ``all`` / ``any`` / ``none`` /
``{at_least: N, of: [...]}`` / ``{near: [...], within: N}`` / ``{regex: ...}`` (on normalised text,
run by RE2: :mod:`monitor.ruleregex`) / ``{mentions_date: {between|after|before}}``. A group (and
``near``) may be scoped: ``scope: sentence`` or ``paragraph`` (it must hold within one of them) and
``in: title`` or ``in: lead`` (the title, the summary and the first ``lead_words`` words of the
body). Terms are scoped; a regex or date condition inside a scoped group still reads its fields whole.

Finding terms in text is :mod:`monitor.termindex`'s job (a memo from each distinct token to the terms
it starts, so the cost grows with the article, not with the number of rules). Only the rules whose
required term sets all occur in the article are evaluated, and positions are found for their terms
only.
"""

from __future__ import annotations

import difflib
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from itertools import repeat
from typing import TYPE_CHECKING, Any

from monitor.arabic import leading_spans, normalize, token_offsets, token_spans, tokens
from monitor.dates import mentioned_dates
from monitor.language import detect_language
from monitor.model import Article, FieldName, Match, MentionedDate, TermHit
from monitor.morphology import MorphologyError, inflections
from monitor.ruleregex import RulePattern, compile_regex
from monitor.termindex import Hits, TermIndex
from monitor.termindex import Tok as _Tok

if TYPE_CHECKING:
    from monitor.ruleconfig import RuleConfig

FIELDS: tuple[FieldName, ...] = ("title", "summary", "body", "url", "source")
DEFAULT_FIELD_WEIGHT: dict[str, float] = {
    "title": 3.0,
    "summary": 2.0,
    "body": 1.0,
    "url": 1.0,
    "source": 1.0,
}
FIELD_ORDER: dict[str, int] = {f: i for i, f in enumerate(FIELDS)}
BARE_MIN = 4  # letters that must follow ال for a term to match the bare word
PRONOUN_SUFFIXES = ("ه", "ها", "هما", "هم", "هن", "ك", "كما", "كم", "كن", "ي", "ني", "نا")
FUTURE_TOLERANCE = timedelta(days=1)  # a publication date further ahead than this is wrong
REGEX_MAX_TEXT = 200_000
MAX_NESTING = 20  # groups inside groups; real rules use 3 or 4
LEAD_WORDS = 50  # words of the body that, with the title and summary, make the lead
SCOPES = ("sentence", "paragraph")
PLACES = ("title", "lead")
SCOPE_KEYS = ("scope", "in", "lead_words")
# Regexes are the exception (terms do the work): with RE2's memory per pattern (ruleregex.MAX_MEMORY)
# 200 of them keep at most about 40 MB, and a pathological set costs seconds, not minutes, an article.
MAX_REGEXES = 200

Loc = tuple[str | int, ...]


class RuleError(Exception):
    """Rules that cannot be compiled: ``problems`` is a list of (config location, message)."""

    def __init__(self, problems: list[tuple[Loc, str]]) -> None:
        super().__init__("; ".join(m for _, m in problems))
        self.problems = problems


# ---------------------------------------------------------------- terms


@dataclass(frozen=True, slots=True)
class Term:
    id: int
    text: str  # as written in the rule
    toks: tuple[_Tok, ...]
    weight: float = 1.0


# ---------------------------------------------------------------- condition nodes


def article_dates(article: Article, now: datetime) -> list[MentionedDate]:
    """Every date the article mentions, resolved against its publication date (else ``now``)."""
    published = article.published
    if published is not None and published > now + FUTURE_TOLERANCE:
        published = None
    return mentioned_dates(_dated_text(article), (published or now).date())


def _dated_text(article: Article) -> str:
    return f"{article.title}\n{article.summary}\n{article.body}"


@dataclass
class _Ctx:
    """What one article offers one rule: term hits in the rule's fields, texts, dates."""

    article: Article
    hits: Hits  # term id → (field, position, length)
    reference: date
    fields: frozenset[str]
    cached_dates: list[MentionedDate] | None = None
    _sentences: dict[str, list[int]] = field(default_factory=dict)
    _normalised: dict[str, str] = field(default_factory=dict)
    _paragraphs: dict[str, list[int]] = field(default_factory=dict)
    # scope → (field, unit) → the hits in that sentence or paragraph (never shared with a narrowed ctx)
    _by_unit: dict[str, dict[tuple[str, int], Hits]] = field(default_factory=dict)

    @property
    def dates(self) -> list[MentionedDate]:
        if self.cached_dates is None:
            self.cached_dates = mentioned_dates(_dated_text(self.article), self.reference)
        return self.cached_dates

    def sentences(self, field_name: str) -> list[int]:
        if field_name not in self._sentences:
            self._sentences[field_name] = sentence_ids(self.article.field_text(field_name))  # type: ignore[arg-type]
        return self._sentences[field_name]

    def units(self, field_name: str, scope: str) -> list[int]:
        """For each token of the field, the number of its sentence or paragraph."""
        if scope == "sentence":
            return self.sentences(field_name)
        if field_name not in self._paragraphs:
            self._paragraphs[field_name] = paragraph_ids(self.article.field_text(field_name))  # type: ignore[arg-type]
        return self._paragraphs[field_name]

    def narrowed(self, keep: Callable[[str, int], bool], fields: frozenset[str] | None = None) -> _Ctx:
        """The same article seen only where ``keep(field, position)`` holds (the lead, the title)."""
        hits = {t: kept for t, found in self.hits.items() if (kept := [h for h in found if keep(h[0], h[1])])}
        return self.with_hits(hits, fields)

    def by_unit(self, scope: str) -> dict[tuple[str, int], Hits]:
        """The hits grouped by their sentence or paragraph, in one pass over them (kept)."""
        grouped = self._by_unit.get(scope)
        if grouped is None:
            grouped = {}
            for t, found in self.hits.items():
                for h in found:
                    units = self.units(h[0], scope)
                    unit = (h[0], units[h[1]] if h[1] < len(units) else -1)
                    grouped.setdefault(unit, {}).setdefault(t, []).append(h)
            self._by_unit[scope] = grouped
        return grouped

    def with_hits(self, hits: Hits, fields: frozenset[str] | None = None) -> _Ctx:
        """The same article with only ``hits`` (texts, dates and unit numbers are shared)."""
        return _Ctx(
            self.article,
            hits,
            self.reference,
            fields if fields is not None else self.fields,
            self.cached_dates,
            self._sentences,
            self._normalised,
            self._paragraphs,
        )

    def normalised(self, field_name: str) -> str:
        if field_name not in self._normalised:
            text = self.article.field_text(field_name)[:REGEX_MAX_TEXT]  # type: ignore[arg-type]
            self._normalised[field_name] = normalize(text)
        return self._normalised[field_name]


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

    def __post_init__(self) -> None:
        leaves = tuple(c for c in self.children if isinstance(c, _Leaf))
        object.__setattr__(self, "leaves", leaves)
        object.__setattr__(self, "leaf_terms", frozenset().union(*(c.term_set for c in leaves)))
        object.__setattr__(self, "others", tuple(c for c in self.children if not isinstance(c, _Leaf)))

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
        grouped = base.by_unit(scope)
        tried: set[tuple[str, int]] = set()
        for t in self.term_ids():
            for f, pos, _ in base.hits.get(t, ()):
                units = base.units(f, scope)
                unit = (f, units[pos] if pos < len(units) else -1)
                if unit in tried:
                    continue
                tried.add(unit)
                sub = base.with_hits(grouped[unit])
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
    # a hit (see ``_required``; a rule without such sets: the set of all its terms). The sets of all
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


# ---------------------------------------------------------------- compilation


class _Compiler:
    def __init__(self, aliases: Mapping[str, Sequence[Any]]) -> None:
        self.aliases = aliases
        self.terms: list[Term] = []
        self.by_key: dict[tuple[str, float], int] = {}
        self.problems: list[tuple[Loc, str]] = []
        self.regexes = 0

    def fail(self, loc: Loc, message: str) -> None:
        self.problems.append((loc, message))

    def term(self, text: str, loc: Loc, weight: float = 1.0) -> int | None:
        key = (text, weight)
        if key in self.by_key:
            return self.by_key[key]
        toks: list[_Tok] = []
        for piece in text.split():
            if piece.startswith("~"):  # the word and its inflections (monitor.morphology)
                if piece.endswith(("*", "+")):
                    self.fail(loc, f"term '{text}': '{piece}' takes ~ or {piece[-1]}, not both")
                    return None
                try:
                    toks.append(_Tok(inflections(piece[1:]), False))
                except MorphologyError as exc:
                    self.fail(loc, f"term '{text}': {exc}")
                    return None
                continue
            prefix, suffixed = piece.endswith("*"), piece.endswith("+")
            words = tokens(piece.rstrip("*+"))
            for i, word in enumerate(words):
                last = i == len(words) - 1
                if (prefix or suffixed) and last and len(word) < 2:
                    self.fail(loc, f"term '{text}': '{piece}' needs at least 2 letters before '{piece[-1]}'")
                    return None
                forms = {word}
                if word.startswith("ال") and len(word) - 2 >= BARE_MIN:
                    forms.add(word[2:])
                if suffixed and last:
                    forms |= {_suffixed(f, s) for f in list(forms) for s in PRONOUN_SUFFIXES}
                toks.append(_Tok(frozenset(forms), prefix and last))
        if not toks:
            self.fail(loc, f"term '{text}' has no letters or digits")
            return None
        term = Term(len(self.terms), text, tuple(toks), weight)
        self.terms.append(term)
        self.by_key[key] = term.id
        return term.id

    def leaf(self, cond: Any, loc: Loc) -> _Leaf | None:
        """A term, ``@alias`` or ``{term: …, weight: …}``."""
        if isinstance(cond, dict) and "term" in cond:
            unknown = sorted(set(cond) - {"term", "weight"})
            if unknown:
                self.fail(loc, f"unknown key '{unknown[0]}' in a term (use term and weight)")
                return None
            weight = cond.get("weight", 1.0)
            if not isinstance(weight, int | float) or isinstance(weight, bool) or weight <= 0:
                self.fail((*loc, "weight"), f"weight must be a positive number, not {weight!r}")
                return None
            term_id = self.term(str(cond["term"]), loc, float(weight))
            return None if term_id is None else _Leaf((term_id,), str(cond["term"]))
        if not isinstance(cond, str):
            return None
        if cond.startswith("@"):
            name = cond[1:]
            if name not in self.aliases:
                close = difflib.get_close_matches(name, list(self.aliases), n=1)
                known = (
                    f"did you mean '@{close[0]}'?"
                    if close
                    else "known: " + (", ".join(sorted(self.aliases)) or "none defined")
                )
                self.fail(loc, f"unknown alias '{cond}' ({known})")
                return None
            ids: list[int] = []
            for i, item in enumerate(self.aliases[name]):
                sub = self.leaf(item, ("aliases", name, i))
                if sub is None:
                    if not isinstance(item, str | dict):
                        self.fail(("aliases", name, i), "an alias lists terms")
                    continue
                ids.extend(sub.terms)
            return _Leaf(tuple(dict.fromkeys(ids)), cond)
        term_id = self.term(cond, loc)
        return None if term_id is None else _Leaf((term_id,), cond)

    def condition(self, cond: Any, loc: Loc, depth: int = 1) -> Node | None:
        """A condition ``depth`` groups deep (a rule's all/any/none lists are depth 1)."""
        if isinstance(cond, str) or (isinstance(cond, dict) and "term" in cond):
            return self.leaf(cond, loc)
        if not isinstance(cond, dict):
            self.fail(loc, f"a condition is a term or a group, not {type(cond).__name__}")
            return None
        kinds = [k for k in ("all", "any", "none", "at_least", "near", "regex", "mentions_date") if k in cond]
        if len(kinds) != 1:
            unknown = sorted(
                set(cond)
                - {
                    "all",
                    "any",
                    "none",
                    "at_least",
                    "of",
                    "near",
                    "within",
                    "same_sentence",
                    "regex",
                    "mentions_date",
                    *SCOPE_KEYS,
                }
            )
            if unknown:
                self.fail(
                    loc,
                    f"unknown key '{unknown[0]}' in a condition (use all, any, none, at_least, near, "
                    "regex or mentions_date)",
                )
            else:
                self.fail(
                    loc,
                    "a condition group needs exactly one of all, any, none, at_least, near, regex, "
                    "mentions_date",
                )
            return None
        kind = kinds[0]
        allowed = {
            "at_least": {"at_least", "of", *SCOPE_KEYS},
            "near": {"near", "within", "same_sentence", "scope"},
            "all": {"all", *SCOPE_KEYS},
            "any": {"any", *SCOPE_KEYS},
        }.get(kind, {kind})
        extra = sorted(set(cond) - allowed)
        if extra:
            why = " (it would change nothing)" if kind == "none" and extra[0] in SCOPE_KEYS else ""
            self.fail((*loc, extra[0]), f"'{extra[0]}' does not go with '{kind}'{why}")
            return None
        scoping = self.scoping(cond, loc)
        if scoping is None:
            return None
        scope, where, lead = scoping
        if kind in ("all", "any", "none"):
            g = self.group(kind, cond[kind], (*loc, kind), depth + 1)
            return None if g is None else _Group(kind, g.children, 1, scope, where, lead)
        if kind == "at_least":
            need = cond["at_least"]
            if not isinstance(need, int) or isinstance(need, bool) or need < 1:
                self.fail((*loc, "at_least"), f"at_least needs a whole number ≥ 1, not {need!r}")
                return None
            g = self.group("at_least", cond.get("of"), (*loc, "of"), depth + 1)
            if g is None:
                return None
            if need > len(g.children):
                self.fail(
                    (*loc, "at_least"), f"at_least {need} of only {len(g.children)} conditions can never hold"
                )
                return None
            return _Group("at_least", g.children, need, scope, where, lead)
        if kind == "near":
            return self.near(cond, loc, scope)
        if kind == "regex":
            return self.regex(cond["regex"], (*loc, "regex"))
        bounds = self.date_bounds(cond["mentions_date"], (*loc, "mentions_date"))
        return None if bounds is None else _Mentions(*bounds)

    def group(self, kind: str, items: Any, loc: Loc, depth: int = 1) -> _Group | None:
        if not isinstance(items, list) or not items:
            self.fail(loc, f"'{kind}' needs a non-empty list")
            return None
        if depth > MAX_NESTING:  # matching and explaining walk the groups recursively
            self.fail(
                loc, f"groups nest more than {MAX_NESTING} deep; flatten them (an any in an any is one any)"
            )
            return None
        children = [self.condition(c, (*loc, i), depth) for i, c in enumerate(items)]
        if any(c is None for c in children):
            return None
        return _Group(kind, tuple(c for c in children if c is not None))

    def scoping(self, cond: dict[str, Any], loc: Loc) -> tuple[str | None, str | None, int] | None:
        """A group's ``scope`` (sentence or paragraph), ``in`` (title or lead) and ``lead_words``."""
        scope, where, lead = cond.get("scope"), cond.get("in"), cond.get("lead_words", LEAD_WORDS)
        if cond.get("same_sentence"):
            if scope not in (None, "sentence"):
                self.fail((*loc, "same_sentence"), "same_sentence and scope say different things: keep scope")
                return None
            scope = "sentence"
        if scope is not None and scope not in SCOPES:
            self.fail((*loc, "scope"), f"scope is sentence or paragraph, not {scope!r}")
            return None
        if where is not None and where not in PLACES:
            self.fail((*loc, "in"), f"in is title or lead, not {where!r}")
            return None
        if "lead_words" in cond and where != "lead":
            self.fail((*loc, "lead_words"), "lead_words goes with in: lead")
            return None
        if not isinstance(lead, int) or isinstance(lead, bool) or not 5 <= lead <= 1000:
            self.fail((*loc, "lead_words"), f"lead_words is a whole number from 5 to 1000, not {lead!r}")
            return None
        return scope, where, lead

    def near(self, cond: dict[str, Any], loc: Loc, scope: str | None = None) -> _Near | None:
        items, within = cond["near"], cond.get("within", 10)
        if not isinstance(items, list) or len(items) < 2:
            self.fail((*loc, "near"), "'near' needs a list of at least two terms")
            return None
        if not isinstance(within, int) or isinstance(within, bool) or within < 1:
            self.fail((*loc, "within"), f"within needs a whole number of tokens ≥ 1, not {within!r}")
            return None
        leaves = [self.leaf(item, (*loc, "near", i)) for i, item in enumerate(items)]
        for i, (item, leaf) in enumerate(zip(items, leaves, strict=True)):
            if leaf is None and not isinstance(item, str | dict):
                self.fail((*loc, "near", i), "'near' lists terms or @aliases")
        if any(leaf is None for leaf in leaves):
            return None
        return _Near(tuple(leaf for leaf in leaves if leaf is not None), within, scope)

    def regex(self, pattern: Any, loc: Loc) -> _Regex | None:
        if not isinstance(pattern, str) or not pattern:
            self.fail(loc, "regex needs a pattern")
            return None
        self.regexes += 1
        if self.regexes > MAX_REGEXES:
            self.fail(
                loc,
                f"more than {MAX_REGEXES} regexes in one rules file; use terms (each regex is searched "
                "through every article its rule is tried on)",
            )
            return None
        try:
            return _Regex(compile_regex(pattern))
        except ValueError as exc:
            self.fail(loc, str(exc))
            return None

    def date_bounds(self, spec: Any, loc: Loc) -> tuple[date, date, str] | None:
        if not isinstance(spec, dict) or not spec or set(spec) - {"between", "after", "before"}:
            self.fail(
                loc,
                "mentions_date needs between: [FROM, TO], or after: and/or before: (YYYY, YYYY-MM or "
                "YYYY-MM-DD)",
            )
            return None
        if "between" in spec:
            pair = spec["between"]
            if not isinstance(pair, list) or len(pair) != 2 or len(spec) != 1:
                self.fail(loc, "between needs exactly two dates: [FROM, TO]")
                return None
            lo_s, hi_s = pair
        else:
            lo_s, hi_s = spec.get("after"), spec.get("before")
        lo = period(lo_s)[0] if lo_s is not None else date.min
        hi = period(hi_s)[1] if hi_s is not None else date.max
        bad = next((v for v in (lo_s, hi_s) if v is not None and period(v) == (date.max, date.min)), None)
        if bad is not None:
            self.fail(loc, f"invalid date '{bad}' (use YYYY, YYYY-MM or YYYY-MM-DD)")
            return None
        if lo > hi:
            self.fail(loc, f"the period {lo_s} … {hi_s} is empty")
            return None
        label = f"{lo_s if lo_s is not None else '…'} … {hi_s if hi_s is not None else '…'}"
        return lo, hi, label


def period(value: Any) -> tuple[date, date]:
    """``2025`` → the whole year, ``2025-09`` → September, ``2025-09-14`` → that day.
    An unreadable value gives the empty period (date.max, date.min)."""
    if isinstance(value, datetime):
        return value.date(), value.date()
    if isinstance(value, date):
        return value, value
    text = str(value).strip()
    try:
        if re.fullmatch(r"\d{4}", text):
            return date(int(text), 1, 1), date(int(text), 12, 31)
        if re.fullmatch(r"\d{4}-\d{1,2}", text):
            y, m = map(int, text.split("-"))
            nxt = date(y + (m == 12), m % 12 + 1, 1)
            return date(y, m, 1), nxt - timedelta(days=1)
        d = date.fromisoformat(text)
        return d, d
    except ValueError:
        return date.max, date.min


def _suffixed(word: str, suffix: str) -> str:
    # teh marbuta (normalised to ه) is written ت before a suffix: مهمة + ها → مهمتها
    stem = word[:-1] + "ت" if word.endswith("ه") else word
    return stem + suffix


def compile_rules(
    configs: Sequence[RuleConfig],
    aliases: Mapping[str, Sequence[Any]],
    *,
    places: Sequence[int] | None = None,
) -> RuleSet:
    """Compile validated rule configs. Raises RuleError listing every problem of every rule with its
    location, ``("rules", N, …)``, N being ``places[i]`` (the rule's index in its file) when given."""
    comp = _Compiler(aliases)
    compiled: list[CompiledRule] = []
    seen: dict[str, int] = {}
    for i, cfg in enumerate(configs):
        place = places[i] if places is not None else i
        loc: Loc = ("rules", place)
        before = len(comp.problems)
        if cfg.id in seen:  # still compiled below, so that its other problems are reported too
            comp.fail((*loc, "id"), f"duplicate rule id '{cfg.id}' (first used by rules[{seen[cfg.id]}])")
        seen.setdefault(cfg.id, place)
        parts: list[Node] = []
        for kind in ("all", "any", "none"):
            items = getattr(cfg, kind)
            if items is not None:
                g = comp.group(kind, items, (*loc, kind))
                if g is not None:
                    parts.append(g)
        if cfg.mentions_date is not None:
            bounds = comp.date_bounds(cfg.mentions_date, (*loc, "mentions_date"))
            if bounds is not None:
                parts.append(_Mentions(*bounds))
        if len(comp.problems) > before or not cfg.enabled:
            continue
        root = _Group("all", tuple(parts))
        term_ids = frozenset(root.term_ids())
        compiled.append(
            CompiledRule(
                id=cfg.id,
                name=cfg.name or cfg.id,
                channels=tuple(
                    (r, "immediate") if isinstance(r, str) else (r.channel, r.mode) for r in cfg.channels
                ),
                escalate=(cfg.escalate.outlets, cfg.escalate.within, cfg.escalate.channel)
                if cfg.escalate
                else None,
                fields=frozenset(cfg.fields),
                field_weights={**DEFAULT_FIELD_WEIGHT, **{str(k): v for k, v in cfg.field_weights.items()}},
                root=root,
                published_within=cfg.published_within,
                published_after=cfg.published_after,
                published_before=cfg.published_before,
                languages=None if cfg.languages == "any" else frozenset(cfg.languages),
                threshold=cfg.threshold,
                term_ids=term_ids,
                all_terms=tuple(dict.fromkeys(root.all_term_ids())),
                required=tuple(_required(root)),
                always=_holds_without_terms(root),
                flat=_flat(root),
            )
        )
    if comp.problems:
        raise RuleError(list(dict.fromkeys(comp.problems)))  # an alias's problem once, however often used
    return _index(compiled, comp.terms)


def _holds_without_terms(node: Node) -> bool:
    """Whether ``node`` can hold in an article that contains none of its terms (a regex, a date,
    ``none``): such a rule is evaluated for every article."""
    if isinstance(node, _Leaf | _Near):
        return False
    if not isinstance(node, _Group):
        return True
    if node.kind == "none":
        return True
    able = sum(1 for c in node.children if _holds_without_terms(c))
    need = {"all": len(node.children), "any": 1}.get(node.kind, node.need)
    return able >= need


def _required(node: Node) -> list[frozenset[int]]:
    """Term sets of which the rule needs at least one hit each: a cheap test before evaluating it."""
    if isinstance(node, _Leaf):
        return [node.term_set]
    if isinstance(node, _Near):
        return [leaf.term_set for leaf in node.items]
    if not isinstance(node, _Group) or node.kind == "none":
        return []
    if node.kind == "all":
        return [s for child in node.children for s in _required(child)]
    # any / at_least: one of the children must hold; only a test if every child needs terms
    alternatives = [_required(child) for child in node.children]
    if all(alternatives):
        return [frozenset().union(*(a[0] for a in alternatives))]
    return []


def _index(rules: list[CompiledRule], terms: list[Term]) -> RuleSet:
    fields = [f for f in FIELDS if any(f in r.fields for r in rules)]
    term_sets: list[set[int]] = [set() for _ in terms]
    first_sets: set[int] = set()
    set_rule: list[int] = []
    rule_sets: list[frozenset[int]] = []
    for i, rule in enumerate(rules):
        sets = list(dict.fromkeys(rule.required)) or ([rule.term_ids] if rule.term_ids else [])
        numbers = range(len(set_rule), len(set_rule) + len(sets))
        rule_sets.append(frozenset(numbers))
        if sets and not rule.always:
            first_sets.add(numbers[min(range(len(sets)), key=lambda k: len(sets[k]))])  # the narrowest
        for number, term_set in zip(numbers, sets, strict=True):
            set_rule.append(i)
            for t in term_set:
                term_sets[t].add(number)
    return RuleSet(
        rules=tuple(rules),
        terms=tuple(terms),
        index=TermIndex((t.id, t.toks) for t in terms),
        fields=tuple(fields),
        by_id={r.id: r for r in rules},
        term_sets=tuple(map(frozenset, term_sets)),
        first_sets=frozenset(first_sets),
        set_rule=tuple(set_rule),
        rule_sets=tuple(rule_sets),
        always=tuple(i for i, r in enumerate(rules) if r.always),
    )


# ---------------------------------------------------------------- matching


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
    ctx = _Ctx(p.article, hits, p.reference, rule.fields)
    ctx.cached_dates = p.dates
    return ctx


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


_SENTENCE_END = re.compile(r"[.!?؟\n]")
_PARAGRAPH_END = re.compile(r"\n")


def sentence_ids(text: str, ends: re.Pattern[str] = _SENTENCE_END) -> list[int]:
    """For each token of ``text`` (as :func:`tokens` yields them), the number of its sentence."""
    out, sentence, prev_end = [], 0, 0
    for _, start, end in token_spans(text):
        if ends.search(text, prev_end, start):
            sentence += 1
        out.append(sentence)
        prev_end = end
    return out


def paragraph_ids(text: str) -> list[int]:
    """For each token of ``text``, the number of its paragraph (paragraphs end at a line break, as
    extracted article bodies write them)."""
    return sentence_ids(text, _PARAGRAPH_END)
