"""Is this article the same story as an earlier one? (pure)

Outlets rewrite each other: the same event comes with other words, other quotes, other background.
What survives a rewrite is the event's particulars — its people, places, numbers and rare words — so
articles are compared on their content words (clitics removed, function words dropped), each
weighted by how rare it is in the recent articles (IDF): sharing "عين الأسد" and "2500" says more
than sharing "العراق". Two articles are one story when they were published within the window of
each other and their weighted overlap reaches the threshold. The decision is explained by the score
and the rarest words they share.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from monitor.arabic import readings, tokens

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


def features(title: str, body: str, limit: int = 1500) -> frozenset[str]:
    """Content words of an article: clitic-free, function words and short words dropped."""
    out = set()
    for tok in tokens(f"{title}\n{body}")[:limit]:
        if tok in _STOP:
            continue
        if tok.isdigit():
            if len(tok) >= 2:
                out.add(tok)  # numbers are particulars: 2500 troops, 86 countries, 2026
            continue
        stem = min(readings(tok), key=len)
        if len(stem) >= 3 and stem not in _STOP:
            out.add(stem)
    return frozenset(out)


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


def similarity(a: frozenset[str], b: frozenset[str], rarity: Rarity) -> float:
    """IDF-weighted Jaccard: the weight of shared words over the weight of all their words."""
    union = a | b
    if not union:
        return 0.0
    idf = rarity.idf
    return sum(idf(w) for w in a & b) / sum(idf(w) for w in union)


def shared(a: frozenset[str], b: frozenset[str], rarity: Rarity, k: int = 8) -> list[str]:
    """The rarest words two articles share: why they were grouped."""
    return sorted(a & b, key=lambda w: (-rarity.idf(w), w))[:k]


@dataclass(frozen=True)
class Decision:
    """Where an article went, and why."""

    story: int  # the story's number: the first article's index
    joined: int | None  # the earlier article it matched best, when it joined a story
    score: float
    shared: tuple[str, ...]


def assign(
    earlier: list[tuple[datetime, frozenset[str], int]],
    published: datetime,
    words: frozenset[str],
    rarity: Rarity,
    window: timedelta,
    threshold: float,
) -> tuple[int | None, float, list[str]]:
    """The story (of ``earlier``: (published, words, story)) this article belongs to, if any."""
    best: tuple[float, int, frozenset[str]] | None = None
    for when, other, story in earlier:
        if abs(published - when) > window:
            continue
        score = similarity(words, other, rarity)
        if best is None or score > best[0]:
            best = (score, story, other)
    if best is None or best[0] < threshold:
        return None, best[0] if best else 0.0, []
    return best[1], best[0], shared(words, best[2], rarity)
