"""Is this article the same story as an earlier one? (pure)

Outlets rewrite each other: the same event comes with other words, other quotes, other background.
News is written as an inverted pyramid: the title and the lead say what happened ("the seventh round,
Peshmerga present"); the rest is background that every article on the topic repeats (the 2026
timeline, Ain al-Asad, ISIS). So articles are compared on their *lead terms* — content words of the
title (counted twice) and of the first 80 words of the body, clitics removed, function words
dropped — as TF-IDF vectors, by cosine; IDF comes from the content words of all recent articles
(sharing "عين الأسد" and "2500" says more than sharing "العراق"). Comparing whole articles lets the
shared background outweigh the event (scripts/evaluate_stories.py measures both; word shingles and
MinHash did worse: rewrites paraphrase, and the runs they share are the topic's stock phrases).

Two articles are one story when they were published within the window of each other and their
similarity reaches the threshold. The decision is explained by the score, the rarest lead terms
they share and the longest passages they share.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from itertools import compress, count

from monitor.arabic import readings, spans, token_offsets, token_spans, tokens

# Function words and reporting verbs: frequent in every article, evidence of nothing.
_STOP = frozenset(
    tokens(
        "في من على الى إلى عن ان أن إن التي الذي الذين اللذين هذا هذه ذلك تلك هناك هنا مع كان كانت "
        "يكون تكون قد "
        "لقد لم لن ما لا لا او أو ثم بين حتى كما بعد قبل عند خلال حول اي أي كل بعض هو هي هم هما نحن وقال قال "
        "قالت وقالت اضاف أضاف وأضاف اكد أكد وأكد اوضح أوضح وأوضح اشار أشار وأشار ذكر وذكر اليوم امس أمس ايضا "
        "أيضا فيما حيث منذ وفق لدى عبر ضد دون غير اذ إذ اذا إذا لكن ولكن بل اما أما انه أنه إنه انها أنها "
        "يتم تم سيتم وكان وكانت الى جانب مثل عدد اكثر أكثر اقل أقل ومن وفي وعلى ذات نفس"
    )
)


TITLE_WEIGHT = 2  # a title word counts as much as two lead words
LEAD_TOKENS = 80  # the body's first words: the lead, before the background


@lru_cache(maxsize=32_768)  # every article says most of its words again: one look-up each
def _term(tok: str) -> str | None:
    """A token's content term: clitic-free; function words, short words and single digits dropped."""
    if tok in _STOP:
        return None
    if tok.isdigit():
        return tok if len(tok) >= 2 else None  # numbers are particulars: 2500 troops, 86 countries
    stem = min(readings(tok), key=len)
    return stem if len(stem) >= 3 and stem not in _STOP else None


Tokenised = tuple[list[str], list[str]]  # an article's title and body tokens (arabic.tokens)


def features(title: str, body: str, limit: int = 1500, toks: Tokenised | None = None) -> frozenset[str]:
    """Content words of an article (the corpus that says which words are rare). ``toks``: its title
    and body tokens, when the caller has them (the same as tokenising the two joined by a newline)."""
    words = [*toks[0], *toks[1][:limit]][:limit] if toks is not None else tokens(f"{title}\n{body}")[:limit]
    return frozenset(t for t in map(_term, set(words)) if t is not None)


def lead_terms(title: str, body: str, toks: Tokenised | None = None) -> Counter[str]:
    """Content terms of the title (each counted TITLE_WEIGHT times) and of the body's lead.
    ``toks``: the title and body tokens, when the caller has them."""
    out: Counter[str] = Counter()
    for tok in toks[0] if toks is not None else tokens(title):
        if (t := _term(tok)) is not None:
            out[t] += TITLE_WEIGHT
    for tok in (toks[1] if toks is not None else tokens(lead_text(body)))[:LEAD_TOKENS]:
        if (t := _term(tok)) is not None:
            out[t] += 1
    return out


_LEAD_CHARS = 2000  # enough text for the lead's words in any article seen (about 6 characters a word)


def lead_text(body: str) -> str:
    """The start of ``body`` whose tokens begin as the whole body's do, through its lead: cut at a
    space (tokens never cross one), so a long body is not tokenised whole for its first words."""
    if len(body) <= _LEAD_CHARS:
        return body
    cut = body.rfind(" ", 0, _LEAD_CHARS)
    head = body[:cut] if cut > 0 else body
    return head if len(tokens(head)) > LEAD_TOKENS else body


_TF = [0.0, *(1.0 + math.log(n) for n in range(1, 64))]  # sublinear term frequency, by count


@dataclass
class Rarity:
    """Document frequencies over recent articles, for IDF weights."""

    docs: int = 0
    df: Counter[str] | None = None

    def __post_init__(self) -> None:
        if self.df is None:
            self.df = Counter()

    def add(self, words: Iterable[str]) -> None:
        assert self.df is not None
        self.docs += 1
        self.df.update(set(words))

    def idf(self, word: str) -> float:
        assert self.df is not None
        return math.log((self.docs + 1) / (self.df[word] + 1)) + 1.0


def vector(terms: Counter[str], rarity: Rarity, idfs: dict[str, float] | None = None) -> dict[str, float]:
    """Unit TF-IDF vector with sublinear term frequency. ``idfs``: weights already computed, kept
    across the calls of one decision (a backlog compares an article with hundreds of earlier ones,
    which share most of their words)."""
    if idfs is None:
        idfs = {}
    idf = rarity.idf
    v = {}
    for w, n in terms.items():
        if n > 0:
            weight = idfs.get(w)
            if weight is None:
                weight = idfs[w] = idf(w)
            v[w] = (_TF[n] if n < len(_TF) else 1.0 + math.log(n)) * weight
    norm = math.sqrt(sum(x * x for x in v.values())) or 1.0
    return {w: x / norm for w, x in v.items()}


def cosine(a: dict[str, float], b: dict[str, float]) -> float:
    return sum(a[w] * b[w] for w in a.keys() & b.keys())


def shared(a: Counter[str], b: Counter[str], rarity: Rarity, k: int = 8) -> list[str]:
    """The rarest lead terms two articles share: why they were grouped."""
    return sorted(set(a) & set(b), key=lambda w: (-rarity.idf(w), w))[:k]


def as_written(title: str, body: str, terms: Sequence[str]) -> list[str]:
    """Each term as the article first writes it in its title or lead (terms are clitic-free stems,
    which read oddly: لجنة → جنه): for showing why two articles were grouped."""
    wanted = set(terms)
    found: dict[str, str] = {}
    lead = lead_text(body)
    for text in (title, lead):
        for n, (tok, start, end) in enumerate(token_spans(text)):
            if text is lead and n >= LEAD_TOKENS:
                break
            term = _term(tok)
            if term in wanted and term not in found:
                found[term] = text[start:end]
    return [found.get(t, t) for t in terms]


@lru_cache(maxsize=32_768)
def _key(tok: str) -> str:
    """A token with its clitics removed, for comparing passages (والتحالف and التحالف meet)."""
    if tok.isdigit():
        return tok
    stems = [r for r in readings(tok) if len(r) >= 3]
    return min(stems, key=len) if stems else tok


def passage_keys(text: str) -> list[str]:
    """``text``'s words as :func:`shared_passages` compares them (clitics removed)."""
    return [_key(t) for t in tokens(text)]  # the same tokens as token_spans, without their spans


Part = tuple[str, list[str]]  # a text and its tokens (:func:`monitor.arabic.tokens`)


def shared_passages(
    text_a: str | Sequence[Part], text_b: str | Sequence[str], k: int = 3, n: int = 3
) -> list[str]:
    """The ``k`` longest runs of at least ``n`` consecutive words the two texts share (clitics
    ignored), as written in ``text_a``, longest first. ``text_a`` may be given as its parts with
    their tokens (a title and a body: the text is then the parts joined by a newline, not tokenised
    again, and only the passages found are located in it); ``text_b`` as its
    :func:`passage_keys`. Context for a grouping decision, not its proof: articles on one topic
    share stock phrases too."""
    parts: list[Part] = [(text_a, tokens(text_a))] if isinstance(text_a, str) else list(text_a)
    a = [_key(t) for _, toks in parts for t in toks]
    b = passage_keys(text_b) if isinstance(text_b, str) else text_b
    grams_a = list(zip(*(a[s:] for s in range(n)), strict=False))  # n-word runs from each position
    grams_b = list(zip(*(b[s:] for s in range(n)), strict=False))
    common = set(grams_a).intersection(grams_b)  # only where these start is anything compared
    starts: dict[tuple[str, ...], list[int]] = {}
    for j in compress(count(), map(common.__contains__, grams_b)):
        starts.setdefault(grams_b[j], []).append(j)
    runs: list[tuple[int, int]] = []
    after = 0  # a run found is not looked into again
    for i in compress(count(), map(common.__contains__, grams_a)):
        if i < after:
            continue
        best = n
        for j in starts[grams_a[i]]:
            length = n
            while i + length < len(a) and j + length < len(b) and a[i + length] == b[j + length]:
                length += 1
            best = max(best, length)
        runs.append((best, i))
        after = i + best
    out: list[str] = []
    seen: list[str] = []
    place = _Places(parts)
    for length, i in sorted(runs, key=lambda r: (-r[0], r[1])):
        keys = " ".join(a[i : i + length])
        if any(keys in other for other in seen):
            continue
        seen.append(keys)
        out.append(place.text[place(i)[0] : place(i + length - 1)[1]])
        if len(out) == k:
            break
    return out


class _Places:
    """Where each token of some parts is in the parts joined by a newline (``text``), found for
    the few tokens asked about (each part's spans read whole only when its translation cannot
    tell: see :func:`monitor.arabic.token_offsets`)."""

    def __init__(self, parts: list[Part]) -> None:
        self.parts = parts
        self.text = "\n".join(text for text, _ in parts)
        self._whole: dict[int, list[tuple[int, int]]] = {}

    def __call__(self, i: int) -> tuple[int, int]:
        offset = 0
        for n, (text, toks) in enumerate(self.parts):
            if i < len(toks):
                whole = self._whole.get(n)
                found = token_offsets(text, toks, [i]) if whole is None else None
                if found is not None:
                    start, end = found[i]
                else:
                    if whole is None:
                        whole = self._whole[n] = spans(text, len(toks))
                    start, end = whole[i]
                return offset + start, offset + end
            i -= len(toks)
            offset += len(text) + 1
        raise IndexError(i)


class Vectors:
    """Earlier articles' vectors, kept while the weights they were made with stay close to the
    current ones: all are dropped when the rarity table is replaced or has grown by ``drift`` of its
    documents since. A backlog compares each matched article with every earlier one; without this,
    each comparison rebuilt the earlier article's vector, and a backlog cost its square."""

    def __init__(self, drift: float = 0.1, limit: int = 50_000) -> None:
        self.drift = drift
        self.limit = limit
        self._made_with: tuple[int, int] | None = None  # (id of the rarity table, its documents)
        self._vectors: dict[int, dict[str, float]] = {}

    def get(self, key: int, terms: Counter[str], rarity: Rarity, idfs: dict[str, float]) -> dict[str, float]:
        """One earlier article's vector: kept, or made now and kept."""
        found = self.kept(rarity).get(key)
        if found is None:
            found = vector(terms, rarity, idfs)
            self.keep(key, found)
        return found

    def kept(self, rarity: Rarity) -> dict[int, dict[str, float]]:
        """The vectors still good for ``rarity`` (none when it was replaced or has drifted)."""
        made = self._made_with
        if made is None or made[0] != id(rarity) or rarity.docs > made[1] * (1 + self.drift):
            self._vectors.clear()
            self._made_with = (id(rarity), rarity.docs)
        return self._vectors

    def keep(self, key: int, v: dict[str, float]) -> None:
        if len(self._vectors) >= self.limit:
            self._vectors.clear()
        self._vectors[key] = v


def assign(
    earlier: list[tuple[datetime, Counter[str], int]],
    published: datetime,
    lead: Counter[str],
    rarity: Rarity,
    window: timedelta,
    threshold: float,
    *,
    keys: list[int] | None = None,
    vectors: Vectors | None = None,
) -> tuple[int | None, float, list[str], int | None]:
    """The story this article belongs to, if any, of ``earlier``: (published, lead terms, story).
    Returns (story, best score, rarest shared lead terms, index in ``earlier`` of the best match).
    ``keys`` (the earlier articles' ids) and ``vectors``: reuse their vectors across decisions."""
    idfs: dict[str, float] = {}
    mine = vector(lead, rarity, idfs)
    words = mine.keys()
    best: tuple[float, int, int] | None = None
    ids = keys if vectors is not None else None  # earlier vectors reused by the articles' ids
    kept: dict[int, dict[str, float]] | None = None  # asked for at the first comparison, as before
    # once per earlier article (hundreds under a backlog): the kept vectors' look-ups written out
    for n, (when, other, story) in enumerate(earlier):
        if abs(published - when) > window or words.isdisjoint(other):
            continue
        theirs = None
        if vectors is not None and ids is not None:
            if kept is None:
                kept = vectors.kept(rarity)
            theirs = kept.get(ids[n])
        if theirs is None:
            theirs = vector(other, rarity, idfs)
            if vectors is not None and ids is not None:
                vectors.keep(ids[n], theirs)
        score = cosine(mine, theirs)
        if best is None or score > best[0]:
            best = (score, story, n)
    if best is None or best[0] < threshold:
        return None, best[0] if best else 0.0, [], None
    return best[1], best[0], shared(lead, earlier[best[2]][1], rarity), best[2]
