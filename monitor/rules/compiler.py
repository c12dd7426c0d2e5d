"""Rule configs → a :class:`RuleSet`: terms normalised once, aliases and inflections expanded,
every problem reported with its place in the config (pure)."""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from monitor.arabic import tokens
from monitor.morphology import MorphologyError, inflections
from monitor.ruleregex import compile_regex
from monitor.rules.base import (
    BARE_MIN,
    DEFAULT_FIELD_WEIGHT,
    LEAD_WORDS,
    MAX_NESTING,
    MAX_REGEXES,
    PLACES,
    PRONOUN_SUFFIXES,
    SCOPE_KEYS,
    SCOPES,
    Loc,
    RuleError,
    Term,
)
from monitor.rules.conditions import (
    CompiledRule,
    Node,
    RuleSet,
    _flat,
    _Group,
    _Leaf,
    _Mentions,
    _Near,
    _Regex,
)
from monitor.rules.index import holds_without_terms, index_rules, required_terms
from monitor.termindex import Tok as _Tok

if TYPE_CHECKING:
    from monitor.ruleconfig import RuleConfig


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
                required=tuple(required_terms(root)),
                always=holds_without_terms(root),
                flat=_flat(root),
            )
        )
    if comp.problems:
        raise RuleError(list(dict.fromkeys(comp.problems)))  # an alias's problem once, however often used
    return index_rules(compiled, comp.terms)
