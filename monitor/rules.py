"""Watch rules: compile once, match many (pure).

``compile_rules(configs, aliases)`` turns validated rule configs into a :class:`RuleSet`;
``match(article, ruleset, now)`` returns the rules the article satisfies, each with the terms that
matched (field, token position, original text).

Terms and text meet in one normalised spelling (:mod:`monitor.arabic`). Rule terms are never
stemmed; text tokens are also read with their proclitics removed (و/ف, ب/ك/ل, ال). A term written
with ال also matches the bare word when at least four letters follow ال. ``word*`` matches any
continuation. A phrase matches as a token sequence, clitics allowed on its first token only.

Matching looks every text token (and its readings) up in one dictionary keyed by the first token of
every term, so its cost grows with the article, not with the number of rules.
"""

from __future__ import annotations

import difflib
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from monitor.arabic import readings, token_spans, tokens
from monitor.model import Article, FieldName, Match, TermHit

if TYPE_CHECKING:
    from monitor.config import RuleConfig

FIELD_WEIGHT: dict[str, float] = {"title": 3.0, "summary": 2.0, "body": 1.0, "url": 1.0, "source": 1.0}
BARE_MIN = 4  # letters that must follow ال for a term to match the bare word


class RuleError(Exception):
    """Rules that cannot be compiled: ``problems`` is a list of (config location, message)."""

    def __init__(self, problems: list[tuple[tuple[str | int, ...], str]]) -> None:
        super().__init__("; ".join(m for _, m in problems))
        self.problems = problems


@dataclass(frozen=True, slots=True)
class _Tok:
    """One token of a term: accepted spellings, and whether any continuation is allowed."""

    forms: frozenset[str]
    prefix: bool

    def accepts(self, token: str) -> bool:
        if self.prefix:
            return any(token.startswith(f) for f in self.forms)
        return token in self.forms


@dataclass(frozen=True, slots=True)
class Term:
    id: int
    text: str  # as written in the rule
    toks: tuple[_Tok, ...]


@dataclass(frozen=True, slots=True)
class _Leaf:
    terms: tuple[int, ...]  # satisfied by any of these


@dataclass(frozen=True, slots=True)
class _Group:
    kind: Literal["all", "any", "none"]
    children: tuple[_Leaf | _Group, ...]


Node = _Leaf | _Group


@dataclass(frozen=True)
class CompiledRule:
    id: str
    name: str
    channels: tuple[str, ...]
    fields: frozenset[str]
    root: _Group
    published_within: timedelta | None
    threshold: float
    term_ids: frozenset[int]


@dataclass(frozen=True)
class RuleSet:
    rules: tuple[CompiledRule, ...]
    terms: tuple[Term, ...]
    # first-token spelling → [(term id, remaining tokens)]
    exact: Mapping[str, tuple[tuple[int, tuple[_Tok, ...]], ...]]
    prefixes: Mapping[str, tuple[tuple[int, tuple[_Tok, ...]], ...]]
    prefix_lengths: tuple[int, ...]
    fields: tuple[FieldName, ...]
    by_id: Mapping[str, CompiledRule] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.rules)


# ---------------------------------------------------------------- compilation


class _Compiler:
    def __init__(self, aliases: Mapping[str, Sequence[str]]) -> None:
        self.aliases = aliases
        self.terms: list[Term] = []
        self.by_text: dict[str, int] = {}
        self.problems: list[tuple[tuple[str | int, ...], str]] = []

    def term(self, text: str, loc: tuple[str | int, ...]) -> int | None:
        if text in self.by_text:
            return self.by_text[text]
        toks: list[_Tok] = []
        for piece in text.split():
            prefix = piece.endswith("*")
            words = tokens(piece.rstrip("*"))
            if not words:
                continue
            for i, word in enumerate(words):
                last = i == len(words) - 1
                if prefix and last and len(word) < 2:
                    self.problems.append(
                        (loc, f"term '{text}': '{piece}' needs at least 2 letters before '*'")
                    )
                    return None
                forms = {word}
                if word.startswith("ال") and len(word) - 2 >= BARE_MIN:
                    forms.add(word[2:])
                toks.append(_Tok(frozenset(forms), prefix and last))
        if not toks:
            self.problems.append((loc, f"term '{text}' has no letters or digits"))
            return None
        term = Term(len(self.terms), text, tuple(toks))
        self.terms.append(term)
        self.by_text[text] = term.id
        return term.id

    def condition(self, cond: Any, loc: tuple[str | int, ...]) -> Node | None:
        if isinstance(cond, str):
            if cond.startswith("@"):
                name = cond[1:]
                if name not in self.aliases:
                    close = difflib.get_close_matches(name, list(self.aliases), n=1)
                    known = (
                        f"did you mean '@{close[0]}'?"
                        if close
                        else "known: " + (", ".join(sorted(self.aliases)) or "none defined")
                    )
                    self.problems.append((loc, f"unknown alias '{cond}' ({known})"))
                    return None
                ids = [self.term(t, ("aliases", name, i)) for i, t in enumerate(self.aliases[name])]
                return _Leaf(tuple(i for i in ids if i is not None))
            term_id = self.term(cond, loc)
            return None if term_id is None else _Leaf((term_id,))
        if isinstance(cond, dict):
            keys = [k for k in cond if k in ("all", "any", "none")]
            unknown = [k for k in cond if k not in ("all", "any", "none")]
            if unknown:
                self.problems.append(
                    (loc, f"unknown key '{unknown[0]}' in a condition (use all, any or none)")
                )
                return None
            if len(keys) != 1:
                self.problems.append((loc, "a condition group needs exactly one of all, any, none"))
                return None
            kind = keys[0]
            return self.group(kind, cond[kind], (*loc, kind))
        self.problems.append((loc, f"a condition is a term or a group, not {type(cond).__name__}"))
        return None

    def group(self, kind: str, items: Any, loc: tuple[str | int, ...]) -> _Group | None:
        if not isinstance(items, list) or not items:
            self.problems.append((loc, f"'{kind}' needs a non-empty list"))
            return None
        children = [self.condition(c, (*loc, i)) for i, c in enumerate(items)]
        if any(c is None for c in children):
            return None
        return _Group(kind, tuple(c for c in children if c is not None))  # type: ignore[arg-type]


def compile_rules(configs: Sequence[RuleConfig], aliases: Mapping[str, Sequence[str]]) -> RuleSet:
    """Compile validated rule configs. Raises RuleError listing every problem with its location."""
    comp = _Compiler(aliases)
    compiled: list[CompiledRule] = []
    seen: dict[str, int] = {}
    for i, cfg in enumerate(configs):
        loc: tuple[str | int, ...] = ("rules", i)
        if cfg.id in seen:
            comp.problems.append(
                ((*loc, "id"), f"duplicate rule id '{cfg.id}' (first used by rules[{seen[cfg.id]}])")
            )
            continue
        seen[cfg.id] = i
        parts: list[Node] = []
        for kind in ("all", "any", "none"):
            items = getattr(cfg, kind)
            if items is not None:
                g = comp.group(kind, items, (*loc, kind))
                if g is not None:
                    parts.append(g)
        if not cfg.enabled or comp.problems:
            continue
        root = _Group("all", tuple(parts))
        compiled.append(
            CompiledRule(
                id=cfg.id,
                name=cfg.name or cfg.id,
                channels=tuple(cfg.channels),
                fields=frozenset(cfg.fields),
                root=root,
                published_within=cfg.published_within,
                threshold=cfg.threshold,
                term_ids=frozenset(_positive_terms(root)),
            )
        )
    if comp.problems:
        raise RuleError(comp.problems)
    return _index(compiled, comp.terms)


def _positive_terms(node: Node, negated: bool = False) -> Iterable[int]:
    if isinstance(node, _Leaf):
        if not negated:
            yield from node.terms
        return
    for child in node.children:
        yield from _positive_terms(child, negated or node.kind == "none")


def _index(rules: list[CompiledRule], terms: list[Term]) -> RuleSet:
    exact: dict[str, list[tuple[int, tuple[_Tok, ...]]]] = defaultdict(list)
    prefixes: dict[str, list[tuple[int, tuple[_Tok, ...]]]] = defaultdict(list)
    for term in terms:
        first, rest = term.toks[0], term.toks[1:]
        for form in first.forms:
            (prefixes if first.prefix else exact)[form].append((term.id, rest))
    fields = sorted({f for r in rules for f in r.fields}, key=list(FIELD_WEIGHT).index)
    return RuleSet(
        rules=tuple(rules),
        terms=tuple(terms),
        exact={k: tuple(v) for k, v in exact.items()},
        prefixes={k: tuple(v) for k, v in prefixes.items()},
        prefix_lengths=tuple(sorted({len(k) for k in prefixes})),
        fields=tuple(fields),  # type: ignore[arg-type]
        by_id={r.id: r for r in rules},
    )


# ---------------------------------------------------------------- matching

# term id → [(field, first token position, token count)]
Hits = dict[int, list[tuple[FieldName, int, int]]]


def find_terms(ruleset: RuleSet, field_name: FieldName, toks: Sequence[str], hits: Hits) -> None:
    """Record every occurrence of every term in one field's tokens."""
    exact, prefixes, lengths = ruleset.exact, ruleset.prefixes, ruleset.prefix_lengths
    n = len(toks)
    for i, tok in enumerate(toks):
        found: set[int] = set()
        for reading in readings(tok):
            candidates = list(exact.get(reading, ()))
            for length in lengths:
                if length > len(reading):
                    break
                candidates.extend(prefixes.get(reading[:length], ()))
            for term_id, rest in candidates:
                if term_id in found or i + len(rest) >= n:
                    continue
                if all(t.accepts(toks[i + 1 + j]) for j, t in enumerate(rest)):
                    found.add(term_id)
                    hits.setdefault(term_id, []).append((field_name, i, 1 + len(rest)))


def _holds(node: Node, present: set[int]) -> bool:
    if isinstance(node, _Leaf):
        return any(t in present for t in node.terms)
    if node.kind == "all":
        return all(_holds(c, present) for c in node.children)
    if node.kind == "any":
        return any(_holds(c, present) for c in node.children)
    return not any(_holds(c, present) for c in node.children)


def _contributing(node: Node, present: set[int], out: set[int]) -> None:
    """Terms that made positive parts of the rule hold (for the explanation and the score)."""
    if isinstance(node, _Leaf):
        out.update(t for t in node.terms if t in present)
    elif node.kind != "none":
        for child in node.children:
            if _holds(child, present):
                _contributing(child, present, out)


def match(article: Article, ruleset: RuleSet, now: datetime) -> list[Match]:
    """The rules ``article`` satisfies at time ``now``, best score first."""
    texts = {f: article.field_text(f) for f in ruleset.fields}
    toks = {f: tokens(t) for f, t in texts.items()}
    hits: Hits = {}
    for f, ts in toks.items():
        find_terms(ruleset, f, ts, hits)
    if not hits:
        return []
    out: list[Match] = []
    spans: dict[str, list[tuple[int, int]]] = {}
    for rule in ruleset.rules:
        if rule.term_ids.isdisjoint(hits):
            continue
        if _too_old(rule, article, now):
            continue
        present = {t for t, hs in hits.items() if any(h[0] in rule.fields for h in hs)}
        if not _holds(rule.root, present):
            continue
        used: set[int] = set()
        _contributing(rule.root, present, used)
        score = sum(max(FIELD_WEIGHT[h[0]] for h in hits[t] if h[0] in rule.fields) for t in used)
        if score < rule.threshold:
            continue
        term_hits = []
        for t in sorted(used):
            for f, pos, length in hits[t]:
                if f in rule.fields:
                    term_hits.append(
                        TermHit(
                            ruleset.terms[t].text, f, pos, _original(texts[f], toks[f], pos, length, spans, f)
                        )
                    )
        term_hits.sort(key=lambda h: (list(FIELD_WEIGHT).index(h.field), h.position))
        out.append(Match(rule.id, score, tuple(term_hits)))
    out.sort(key=lambda m: -m.score)
    return out


def _too_old(rule: CompiledRule, article: Article, now: datetime) -> bool:
    """An article without a date is judged by when Rasad first saw it: now."""
    limit = rule.published_within
    return limit is not None and article.published is not None and now - article.published > limit


def _original(
    text: str, toks: Sequence[str], pos: int, length: int, cache: dict[str, list[tuple[int, int]]], key: str
) -> str:
    """The article's own spelling of tokens ``pos .. pos+length``."""
    if key not in cache:
        cache[key] = [(s, e) for _, s, e in token_spans(text)]
    spans = cache[key]
    if len(spans) != len(toks) or pos + length > len(spans):
        return " ".join(toks[pos : pos + length])
    return text[spans[pos][0] : spans[pos + length - 1][1]]
