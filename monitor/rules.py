"""Watch rules: compile once, match many, explain why (pure).

``compile_rules(configs, aliases)`` turns validated rule configs into a :class:`RuleSet`;
``match(article, ruleset, now)`` returns the rules the article satisfies, each with the terms that
matched (field, token position, original text) and the mentioned dates that satisfied a date
condition (:mod:`monitor.explain` says, for every rule, which parts held and which failed).

Terms and text meet in one normalised spelling (:mod:`monitor.arabic`). Rule terms are never
stemmed; text tokens are also read with their proclitics removed (و/ف, ب/ك/ل, ال). A term written
with ال also matches the bare word when at least four letters follow ال. ``word*`` matches any
continuation, ``word+`` the word with a pronoun suffix (مهمة+ → مهمتها, مهمتهم, مهمتنا …). A phrase
matches as a token sequence, clitics allowed on its first token only.

Conditions: a term, ``@alias``, ``{term, weight}``, and groups ``all`` / ``any`` / ``none`` /
``{at_least: N, of: [...]}`` / ``{near: [...], within: N, same_sentence: bool}`` /
``{regex: ...}`` (on normalised text) / ``{mentions_date: {between|after|before}}``.

Every text token is looked up once in a per-ruleset memo from token to candidate terms, so the cost
of matching grows with the article, not with the number of rules.
"""

from __future__ import annotations

import difflib
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from monitor.arabic import normalize, readings, token_spans, tokens
from monitor.arabic import spans as token_offsets
from monitor.dates import mentioned_dates
from monitor.language import detect_language
from monitor.model import Article, FieldName, Match, MentionedDate, TermHit

if TYPE_CHECKING:
    from monitor.config import RuleConfig

FIELDS: tuple[FieldName, ...] = ("title", "summary", "body", "url", "source")
DEFAULT_FIELD_WEIGHT: dict[str, float] = {
    "title": 3.0,
    "summary": 2.0,
    "body": 1.0,
    "url": 1.0,
    "source": 1.0,
}
BARE_MIN = 4  # letters that must follow ال for a term to match the bare word
PRONOUN_SUFFIXES = ("ه", "ها", "هما", "هم", "هن", "ك", "كما", "كم", "كن", "ي", "ني", "نا")
FUTURE_TOLERANCE = timedelta(days=1)  # a publication date further ahead than this is wrong
REGEX_MAX_TEXT = 200_000
MEMO_MAX = 500_000

Loc = tuple[str | int, ...]


class RuleError(Exception):
    """Rules that cannot be compiled: ``problems`` is a list of (config location, message)."""

    def __init__(self, problems: list[tuple[Loc, str]]) -> None:
        super().__init__("; ".join(m for _, m in problems))
        self.problems = problems


# ---------------------------------------------------------------- terms


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
    hits: dict[int, list[tuple[FieldName, int, int]]]  # term id → (field, position, length)
    reference: date
    fields: frozenset[str]
    cached_dates: list[MentionedDate] | None = None
    _sentences: dict[str, list[int]] = field(default_factory=dict)
    _normalised: dict[str, str] = field(default_factory=dict)

    @property
    def dates(self) -> list[MentionedDate]:
        if self.cached_dates is None:
            self.cached_dates = mentioned_dates(_dated_text(self.article), self.reference)
        return self.cached_dates

    def sentences(self, field_name: str) -> list[int]:
        if field_name not in self._sentences:
            self._sentences[field_name] = sentence_ids(self.article.field_text(field_name))  # type: ignore[arg-type]
        return self._sentences[field_name]

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

    def holds(self, ctx: _Ctx) -> bool:
        if self.kind == "all":
            return all(c.holds(ctx) for c in self.children)
        if self.kind == "any":
            return any(c.holds(ctx) for c in self.children)
        if self.kind == "none":
            return not any(c.holds(ctx) for c in self.children)
        return sum(1 for c in self.children if c.holds(ctx)) >= self.need

    def used(self, ctx: _Ctx, terms: set[int], dates: list[MentionedDate]) -> None:
        if self.kind == "none":
            return
        for c in self.children:
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
    same_sentence: bool

    def _window(self, ctx: _Ctx) -> tuple[str, list[int]] | None:
        """A field and one position per item, all within ``within`` tokens (and one sentence)."""
        by_field: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for i, leaf in enumerate(self.items):
            for t in leaf.terms:
                for f, pos, _ in ctx.hits.get(t, ()):
                    by_field[f].append((pos, i))
        for fname, points in by_field.items():
            if len({i for _, i in points}) < len(self.items):
                continue
            points.sort()
            sentences = ctx.sentences(fname) if self.same_sentence else None
            last: dict[int, int] = {}
            for pos, i in points:
                last[i] = pos
                if len(last) == len(self.items):
                    lo = min(last.values())
                    if pos - lo <= self.within and (
                        sentences is None or _same_sentence(sentences, list(last.values()))
                    ):
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
    ids = {sentences[p] for p in positions if p < len(sentences)}
    return len(ids) == 1


@dataclass(frozen=True)
class _Regex:
    pattern: re.Pattern[str]

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
    always: bool  # holds without any term hit possible (regex/date-only): evaluated for every article


Candidates = tuple[tuple[int, tuple[_Tok, ...]], ...]


@dataclass(frozen=True)
class RuleSet:
    rules: tuple[CompiledRule, ...]
    terms: tuple[Term, ...]
    exact: Mapping[str, Candidates]  # first-token spelling → (term id, remaining tokens)
    prefixes: Mapping[str, Candidates]
    prefix_lengths: tuple[int, ...]
    fields: tuple[FieldName, ...]
    by_id: Mapping[str, CompiledRule] = field(default_factory=dict)
    term_rules: Mapping[int, tuple[int, ...]] = field(default_factory=dict)  # term id → rules it can satisfy
    always: tuple[int, ...] = ()  # rules evaluated for every article
    memo: dict[str, Candidates] = field(default_factory=dict, compare=False, repr=False)

    def __len__(self) -> int:
        return len(self.rules)

    def candidates(self, token: str) -> Candidates:
        """Every term whose first token accepts one of ``token``'s readings (memoised)."""
        found = self.memo.get(token)
        if found is not None:
            return found
        out: list[tuple[int, tuple[_Tok, ...]]] = []
        seen: set[int] = set()
        for reading in readings(token):
            for cand in self.exact.get(reading, ()):
                if cand[0] not in seen:
                    seen.add(cand[0])
                    out.append(cand)
            for length in self.prefix_lengths:
                if length > len(reading):
                    break
                for cand in self.prefixes.get(reading[:length], ()):
                    if cand[0] not in seen:
                        seen.add(cand[0])
                        out.append(cand)
        result = tuple(out)
        if len(self.memo) >= MEMO_MAX:
            self.memo.clear()
        self.memo[token] = result
        return result


# ---------------------------------------------------------------- compilation


_NESTED_QUANTIFIER = re.compile(r"\((?:[^()\\]|\\.)*[+*}](?:[^()\\]|\\.)*\)\s*[+*{]")


class _Compiler:
    def __init__(self, aliases: Mapping[str, Sequence[Any]]) -> None:
        self.aliases = aliases
        self.terms: list[Term] = []
        self.by_key: dict[tuple[str, float], int] = {}
        self.problems: list[tuple[Loc, str]] = []

    def fail(self, loc: Loc, message: str) -> None:
        self.problems.append((loc, message))

    def term(self, text: str, loc: Loc, weight: float = 1.0) -> int | None:
        key = (text, weight)
        if key in self.by_key:
            return self.by_key[key]
        toks: list[_Tok] = []
        for piece in text.split():
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

    def condition(self, cond: Any, loc: Loc) -> Node | None:
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
        allowed = {"at_least": {"at_least", "of"}, "near": {"near", "within", "same_sentence"}}.get(
            kind, {kind}
        )
        extra = sorted(set(cond) - allowed)
        if extra:
            self.fail((*loc, extra[0]), f"'{extra[0]}' does not go with '{kind}'")
            return None
        if kind in ("all", "any", "none"):
            return self.group(kind, cond[kind], (*loc, kind))
        if kind == "at_least":
            need = cond["at_least"]
            if not isinstance(need, int) or isinstance(need, bool) or need < 1:
                self.fail((*loc, "at_least"), f"at_least needs a whole number ≥ 1, not {need!r}")
                return None
            g = self.group("at_least", cond.get("of"), (*loc, "of"))
            if g is None:
                return None
            if need > len(g.children):
                self.fail(
                    (*loc, "at_least"), f"at_least {need} of only {len(g.children)} conditions can never hold"
                )
                return None
            return _Group("at_least", g.children, need)
        if kind == "near":
            return self.near(cond, loc)
        if kind == "regex":
            return self.regex(cond["regex"], (*loc, "regex"))
        bounds = self.date_bounds(cond["mentions_date"], (*loc, "mentions_date"))
        return None if bounds is None else _Mentions(*bounds)

    def group(self, kind: str, items: Any, loc: Loc) -> _Group | None:
        if not isinstance(items, list) or not items:
            self.fail(loc, f"'{kind}' needs a non-empty list")
            return None
        children = [self.condition(c, (*loc, i)) for i, c in enumerate(items)]
        if any(c is None for c in children):
            return None
        return _Group(kind, tuple(c for c in children if c is not None))

    def near(self, cond: dict[str, Any], loc: Loc) -> _Near | None:
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
        return _Near(
            tuple(leaf for leaf in leaves if leaf is not None), within, bool(cond.get("same_sentence"))
        )

    def regex(self, pattern: Any, loc: Loc) -> _Regex | None:
        if not isinstance(pattern, str) or not pattern:
            self.fail(loc, "regex needs a pattern")
            return None
        if len(pattern) > 300:
            self.fail(loc, "regex is longer than 300 characters; split it into terms")
            return None
        if _NESTED_QUANTIFIER.search(pattern):
            self.fail(loc, f"regex '{pattern}' nests quantifiers (catastrophic backtracking); simplify it")
            return None
        try:
            return _Regex(re.compile(pattern))
        except re.error as exc:
            self.fail(loc, f"invalid regex '{pattern}': {exc}")
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


def compile_rules(configs: Sequence[RuleConfig], aliases: Mapping[str, Sequence[Any]]) -> RuleSet:
    """Compile validated rule configs. Raises RuleError listing every problem with its location."""
    comp = _Compiler(aliases)
    compiled: list[CompiledRule] = []
    seen: dict[str, int] = {}
    for i, cfg in enumerate(configs):
        loc: Loc = ("rules", i)
        if cfg.id in seen:
            comp.fail((*loc, "id"), f"duplicate rule id '{cfg.id}' (first used by rules[{seen[cfg.id]}])")
            continue
        seen[cfg.id] = i
        before = len(comp.problems)
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
                always=not term_ids,
            )
        )
    if comp.problems:
        raise RuleError(comp.problems)
    return _index(compiled, comp.terms)


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
    exact: dict[str, list[tuple[int, tuple[_Tok, ...]]]] = defaultdict(list)
    prefixes: dict[str, list[tuple[int, tuple[_Tok, ...]]]] = defaultdict(list)
    for term in terms:
        first, rest = term.toks[0], term.toks[1:]
        for form in first.forms:
            (prefixes if first.prefix else exact)[form].append((term.id, rest))
    fields = [f for f in FIELDS if any(f in r.fields for r in rules)]
    term_rules: dict[int, list[int]] = defaultdict(list)
    for i, rule in enumerate(rules):
        for t in rule.term_ids:
            term_rules[t].append(i)
    return RuleSet(
        rules=tuple(rules),
        terms=tuple(terms),
        exact={k: tuple(v) for k, v in exact.items()},
        prefixes={k: tuple(v) for k, v in prefixes.items()},
        prefix_lengths=tuple(sorted({len(k) for k in prefixes})),
        fields=tuple(fields),
        by_id={r.id: r for r in rules},
        term_rules={t: tuple(rs) for t, rs in term_rules.items()},
        always=tuple(i for i, r in enumerate(rules) if r.always),
    )


# ---------------------------------------------------------------- matching

Hits = dict[int, list[tuple[FieldName, int, int]]]


def find_terms(ruleset: RuleSet, field_name: FieldName, toks: Sequence[str], hits: Hits) -> None:
    """Record every occurrence of every term in one field's tokens."""
    n = len(toks)
    memo_get = ruleset.memo.get
    for i, tok in enumerate(toks):
        cands = memo_get(tok)
        if cands is None:
            cands = ruleset.candidates(tok)
        if not cands:
            continue
        for term_id, rest in cands:
            if not rest:  # a one-word term: the common case
                hits.setdefault(term_id, []).append((field_name, i, 1))
            elif i + len(rest) < n and all(t.accepts(toks[i + 1 + j]) for j, t in enumerate(rest)):
                hits.setdefault(term_id, []).append((field_name, i, 1 + len(rest)))


@dataclass
class _Prepared:
    """An article read once for all rules."""

    article: Article
    texts: dict[str, str]
    toks: dict[str, list[str]]
    hits: Hits
    published: datetime | None  # None when missing or impossibly far in the future
    reference: date
    spans: dict[str, list[tuple[int, int]]] = field(default_factory=dict)
    dates: list[MentionedDate] | None = None
    _language: str | None = None

    @property
    def language(self) -> str:
        if self._language is None:
            a = self.article
            self._language = detect_language(f"{a.title}\n{a.body[:2000] or a.summary}")
        return self._language


def prepare(
    article: Article, ruleset: RuleSet, now: datetime, toks: Mapping[str, list[str]] | None = None
) -> _Prepared:
    """Read the article once for all rules: tokens (unless given), term hits, language, dates."""
    texts: dict[str, str] = {f: article.field_text(f) for f in ruleset.fields}
    field_toks: dict[str, list[str]] = {}
    hits: Hits = {}
    for f in ruleset.fields:
        field_toks[f] = toks[f] if toks is not None and f in toks else tokens(texts[f])
        find_terms(ruleset, f, field_toks[f], hits)
    published = article.published
    if published is not None and published > now + FUTURE_TOLERANCE:
        published = None  # "2030" from a feed is wrong, not news from the future
    reference = (published or now).date()
    return _Prepared(article, texts, field_toks, hits, published, reference)


def _context(p: _Prepared, rule: CompiledRule) -> _Ctx:
    """The article's hits of this rule's terms, in this rule's fields (cost: the rule's size)."""
    hits: Hits = {}
    for t in rule.all_terms:
        found = p.hits.get(t)
        if found:
            kept = [h for h in found if h[0] in rule.fields]
            if kept:
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
    candidates = set(ruleset.always)
    term_rules = ruleset.term_rules
    for t in p.hits:
        candidates.update(term_rules.get(t, ()))
    found = frozenset(p.hits)
    out: list[Match] = []
    for i in sorted(candidates):
        rule = ruleset.rules[i]
        if any(s.isdisjoint(found) for s in rule.required):
            continue  # a part of the rule that needs a term has none: it cannot hold
        if _gate(rule, p, now) is not None:
            continue
        ctx = _context(p, rule)
        if not rule.root.holds(ctx):
            p.dates = ctx.cached_dates
            continue
        p.dates = ctx.cached_dates
        m = _match(rule, ruleset, p, ctx)
        if m is not None:
            out.append(m)
    out.sort(key=lambda m: -m.score)
    return out


def _match(rule: CompiledRule, ruleset: RuleSet, p: _Prepared, ctx: _Ctx) -> Match | None:
    used: set[int] = set()
    dates: list[MentionedDate] = []
    rule.root.used(ctx, used, dates)
    score = _score(rule, ruleset, ctx, used)
    if score < rule.threshold:
        return None
    term_hits = []
    for t in sorted(used):
        for f, pos, length in ctx.hits[t]:
            term_hits.append(TermHit(ruleset.terms[t].text, f, pos, _original(p, f, pos, length)))
    term_hits.sort(key=lambda h: (FIELDS.index(h.field), h.position))
    return Match(rule.id, score, tuple(term_hits), tuple(dates))


def _score(rule: CompiledRule, ruleset: RuleSet, ctx: _Ctx, used: set[int]) -> float:
    """Each matched term counts once: its weight times the weight of the best field it was found in."""
    return sum(ruleset.terms[t].weight * max(rule.field_weights[h[0]] for h in ctx.hits[t]) for t in used)


def _original(p: _Prepared, f: str, pos: int, length: int) -> str:
    """The article's own spelling of tokens ``pos .. pos+length``."""
    if f not in p.spans:
        p.spans[f] = token_offsets(p.texts[f], len(p.toks[f]))
    spans, toks = p.spans[f], p.toks[f]
    if len(spans) != len(toks) or pos + length > len(spans):
        return " ".join(toks[pos : pos + length])
    return p.texts[f][spans[pos][0] : spans[pos + length - 1][1]]


_SENTENCE_END = re.compile(r"[.!?؟\n]")


def sentence_ids(text: str) -> list[int]:
    """For each token of ``text`` (as :func:`tokens` yields them), the number of its sentence."""
    out, sentence, prev_end = [], 0, 0
    for _, start, end in token_spans(text):
        if _SENTENCE_END.search(text, prev_end, start):
            sentence += 1
        out.append(sentence)
        prev_end = end
    return out
