"""Finding rule terms in an article's tokens fast (pure).

A :class:`TermIndex` holds every term of a rule set by the spelling of its first token. Text
tokens are read with their proclitics removed (:func:`monitor.arabic.readings`); what each distinct
token starts is worked out once and remembered, so an article costs a few set operations:

- one-word terms: the article's distinct tokens intersected with the tokens known to be one, then
  the union of their term sets;
- two-word phrases: looked up as (token, next token) pairs, only for the first words whose phrase's
  second word occurs in the article too;
- longer phrases (rare): checked position by position.

Positions are found only when a rule is evaluated, and only for the terms it asks about.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import compress, repeat
from typing import Generic, TypeVar

from monitor.arabic import readings

MEMO_MAX = 500_000  # entries per memo; a full memo is emptied and refilled

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

# (field, token position, length in tokens) of each occurrence, by term id
Hits = dict[int, list[tuple[str, int, int]]]


@dataclass(frozen=True, slots=True)
class Tok:
    """One token of a term: accepted spellings, and whether any continuation is allowed."""

    forms: frozenset[str]
    prefix: bool
    starts: tuple[str, ...] = field(init=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "starts", tuple(self.forms))

    def accepts(self, token: str) -> bool:
        return token.startswith(self.starts) if self.prefix else token in self.forms


class _Memo(dict[K, V], Generic[K, V]):
    """A bounded dict that computes missing values (so lookups can run in ``map``, at C speed)."""

    def __init__(self, compute: Callable[[K], V]) -> None:
        super().__init__()
        self.compute = compute

    def __missing__(self, key: K) -> V:
        value = self.compute(key)
        if len(self) >= MEMO_MAX:
            self.clear()
        self[key] = value
        return value


_EMPTY: frozenset[int] = frozenset()
_NO_TOKENS: frozenset[str] = frozenset()


class TermIndex:
    def __init__(self, terms: Iterable[tuple[int, Sequence[Tok]]]) -> None:
        self.exact: dict[str, list[tuple[int, tuple[Tok, ...]]]] = defaultdict(list)
        self.prefixes: dict[str, list[tuple[int, tuple[Tok, ...]]]] = defaultdict(list)
        for term_id, toks in terms:
            first, rest = toks[0], tuple(toks[1:])
            for form in first.forms:
                (self.prefixes if first.prefix else self.exact)[form].append((term_id, rest))
        self.prefix_lengths = tuple(sorted({len(k) for k in self.prefixes}))
        # token → two-word phrases it begins (with their second token), and longer phrases: filled
        # as tokens are first seen; never stale (they depend on the token only), so the token memo
        # may be emptied on its own
        self.pair_first: dict[str, tuple[tuple[int, Tok], ...]] = {}
        self.long_first: dict[str, tuple[tuple[int, tuple[Tok, ...]], ...]] = {}
        # term id → the text tokens seen so far that start it (to find its positions quickly)
        self.term_tokens: defaultdict[int, set[str]] = defaultdict(set)
        # every token worked out so far; of those, the ones that are a one-word term, and their terms.
        # Most tokens start nothing, so an article is intersected with these key sets, in C (a set
        # intersects a set about twice as fast as it does a dict's keys).
        self.seen: set[str] = set()
        self.single_of: dict[str, frozenset[int]] = {}
        self.single_keys: set[str] = set()
        self.pair_keys: set[str] = set()
        self.long_keys: set[str] = set()
        # spelling of a phrase's second token → the text tokens seen that begin such a phrase; the
        # tokens that begin a phrase whose second token is a prefix (then any next word may do)
        self.firsts_before: defaultdict[str, set[str]] = defaultdict(set)
        self.second_keys: set[str] = set()
        self.open_firsts: set[str] = set()

        self.pairs: _Memo[tuple[str, str], frozenset[int]] = _Memo(self._pair)

    def clear(self) -> None:
        """Forget every memoised token (as a fresh process would)."""
        self.seen.clear()
        self.single_of.clear()
        self.single_keys.clear()
        self.pair_first.clear()
        self.pair_keys.clear()
        self.firsts_before.clear()
        self.second_keys.clear()
        self.open_firsts.clear()
        self.pairs.clear()
        self.long_first.clear()
        self.long_keys.clear()
        self.term_tokens.clear()

    def begin(self) -> None:
        """Called before an article's fields are searched: keeps the memos bounded. Between two
        calls nothing is forgotten that :meth:`locate` relies on."""
        if len(self.seen) + len(self.term_tokens) >= MEMO_MAX:
            self.clear()

    def starting(self, token: str) -> list[tuple[int, tuple[Tok, ...]]]:
        """Every term whose first token accepts one of ``token``'s readings, with its other tokens."""
        out: dict[int, tuple[Tok, ...]] = {}
        for reading in readings(token):
            for term_id, rest in self.exact.get(reading, ()):
                out.setdefault(term_id, rest)
            for length in self.prefix_lengths:
                if length > len(reading):
                    break
                for term_id, rest in self.prefixes.get(reading[:length], ()):
                    out.setdefault(term_id, rest)
        return list(out.items())

    def _learn(self, token: str) -> None:
        """Work out once what ``token`` starts."""
        self.seen.add(token)
        singles, pairs, longer = [], [], []
        for term_id, rest in self.starting(token):
            self.term_tokens[term_id].add(token)
            if not rest:
                singles.append(term_id)
            elif len(rest) == 1:
                pairs.append((term_id, rest[0]))
            else:
                longer.append((term_id, rest))
        if singles:
            self.single_of[token] = frozenset(singles)
            self.single_keys.add(token)
        if pairs:
            self.pair_first[token] = tuple(pairs)
            self.pair_keys.add(token)
            for _, second in pairs:
                if second.prefix:
                    self.open_firsts.add(token)
                for form in second.forms:
                    self.firsts_before[form].add(token)
                self.second_keys.update(second.forms)
        if longer:
            self.long_first[token] = tuple(longer)
            self.long_keys.add(token)

    def _pair(self, pair: tuple[str, str]) -> frozenset[int]:
        first, second = pair
        found = [t for t, tok in self.pair_first.get(first, ()) if tok.accepts(second)]
        return frozenset(found) if found else _EMPTY

    def find(self, fields: Iterable[Sequence[str]]) -> set[int]:
        """The ids of the terms that occur in any of ``fields`` (token lists; a phrase never runs
        from one into the next)."""
        fields = [toks for toks in fields if toks]
        distinct: set[str] = set().union(*fields)
        if not distinct.issubset(self.seen):
            for token in distinct - self.seen:
                self._learn(token)
        single_of = self.single_of
        found: set[int] = set().union(*map(single_of.__getitem__, distinct & self.single_keys))
        firsts = distinct & self.pair_keys
        if firsts:  # only where the second word of one of its phrases is in the text too
            before = self.firsts_before
            seconds = distinct & self.second_keys
            live = firsts & self.open_firsts
            if seconds:
                live |= firsts.intersection(set().union(*map(before.__getitem__, seconds)))
            if live:
                for toks in fields:
                    found.update(*map(self.pairs.__getitem__, _pairs_after(toks, live)))
        longs = distinct & self.long_keys
        if longs:
            hits: Hits = {}
            for toks in fields:
                self._locate_long("", toks, longs, None, hits)
            found.update(hits)
        return found

    def locate(self, fields: Mapping[str, Sequence[str]], need: set[int], hits: Hits) -> None:
        """Record every occurrence of the terms ``need`` in each field's tokens (in position order).

        The fields must have gone through :meth:`find` since the last :meth:`begin`."""
        starts: set[str] = set().union(*map(self.term_tokens.get, need, repeat(_NO_TOKENS)))
        if not starts:
            return
        singles, pairs, pair_first = self.single_of, self.pairs, self.pair_first
        longs = starts & self.long_keys
        for field_name, toks in fields.items():
            last = len(toks) - 1
            for i in compress(range(len(toks)), map(starts.__contains__, toks)):
                tok = toks[i]
                for term_id in singles.get(tok, _EMPTY) & need:
                    hits.setdefault(term_id, []).append((field_name, i, 1))
                if tok in pair_first and i < last:
                    for term_id in pairs[tok, toks[i + 1]] & need:
                        hits.setdefault(term_id, []).append((field_name, i, 2))
            if longs:
                self._locate_long(field_name, toks, longs, need, hits)

    def _locate_long(
        self, field_name: str, toks: Sequence[str], firsts: set[str], need: set[int] | None, hits: Hits
    ) -> None:
        n = len(toks)
        for i, tok in enumerate(toks):
            if tok not in firsts:
                continue
            for term_id, rest in self.long_first[tok]:
                if need is not None and term_id not in need:
                    continue
                if i + len(rest) < n and all(t.accepts(toks[i + 1 + j]) for j, t in enumerate(rest)):
                    hits.setdefault(term_id, []).append((field_name, i, 1 + len(rest)))


def _pairs_after(toks: Sequence[str], firsts: set[str]) -> set[tuple[str, str]]:
    """The distinct (token, next token) pairs of ``toks`` whose first token is one of ``firsts``."""
    last = len(toks) - 1
    if len(firsts) > 2:
        return {(toks[i], toks[i + 1]) for i in compress(range(last), map(firsts.__contains__, toks))}
    out = set()
    for first in firsts:  # a few words: let list.index do the scanning
        i = -1
        try:
            while (i := toks.index(first, i + 1)) < last:
                out.add((first, toks[i + 1]))
        except ValueError:
            pass
    return out
