"""Which story a new article joins: the stateful side of :mod:`monitor.stories` (pure measures).

``StoryDesk.link(article, matched, now)`` keeps every article's words (they tell which words are
rare) and decides for a matched one whether it joins an earlier story (``link_matched``: the same
decision, blocking, for a caller that decides and stores in one thread hop). What it keeps between
decisions, each read again from the store every RARITY_TTL: the word rarity table (kept current
by adding each new article), the recent story members (only newer ids read in between) and their
vectors (:class:`monitor.stories.Vectors`). The caller decides one matched article at a time.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from monitor.config import StorySettings
from monitor.model import Article
from monitor.store import Store, StoryLink, StoryMember
from monitor.stories import (
    Rarity,
    Tokenised,
    Vectors,
    as_written,
    assign,
    features,
    lead_terms,
    passage_keys,
    shared_passages,
)

RARITY_TTL = timedelta(minutes=30)
KEYS_KEPT = 256  # story members whose passage keys are kept (about 7 KB each)


@dataclass
class StoryDesk:
    store: Store
    settings: StorySettings
    _rarity: Rarity | None = field(default=None, init=False, repr=False)  # word document frequencies
    _rarity_at: datetime | None = field(default=None, init=False, repr=False)
    _vectors: Vectors = field(default_factory=Vectors, init=False, repr=False)
    _members: dict[int, StoryMember] = field(default_factory=dict, init=False, repr=False)
    _members_upto: int = field(default=0, init=False, repr=False)  # the highest member id read
    _members_at: datetime | None = field(default=None, init=False, repr=False)
    _keys: dict[int, list[str]] = field(default_factory=dict, init=False, repr=False)  # member → passage keys

    async def link(
        self, article: Article, matched: bool, now: datetime, toks: Tokenised | None = None
    ) -> StoryLink:
        """Every article's words are kept (they tell which words are rare); a matched one may join a
        story (decided in a thread: see :meth:`link_matched`). ``toks``: the article's title and
        body tokens, when the caller has them."""
        if matched:
            return await asyncio.to_thread(self.link_matched, article, now, toks)
        rarity = self._fresh(now)
        if rarity is None:  # read from the store in a thread, like the decisions' reads
            rarity = await asyncio.to_thread(self._read_rarity, now)
        return StoryLink(_counted(article, toks, rarity))  # joins no story: no lead terms needed

    def link_matched(self, article: Article, now: datetime, toks: Tokenised | None = None) -> StoryLink:
        """The story a matched article joins, if any. Blocking (it reads the store): run it in a
        thread, one decision at a time, each seeing the articles stored by the ones before it."""
        rarity = self._fresh(now) or self._read_rarity(now)
        words = _counted(article, toks, rarity)
        window = self.settings.window
        lead = lead_terms(article.title, article.body, toks)
        earlier = self._candidates(now - window * 2, now)
        joined, score, common, best = assign(
            [(m.published, m.lead, m.story_id) for m in earlier],
            article.published or now,
            lead,
            rarity,
            window,
            self.settings.threshold,
            keys=[m.article_id for m in earlier],
            vectors=self._vectors,
        )
        if joined is None or best is None:
            return StoryLink(words, lead=lead)
        text = (
            ((article.title, toks[0]), (article.body, toks[1]))  # not tokenised again
            if toks is not None
            else f"{article.title}\n{article.body}"
        )
        passages = shared_passages(text, self._passage_keys(earlier[best].article_id))
        common = as_written(article.title, article.body, common)
        return StoryLink(words, joined, score, tuple(common), lead, tuple(passages))

    def _candidates(self, since: datetime, now: datetime) -> list[StoryMember]:
        """Recent story members, oldest first: kept between decisions, only newer ones read from
        the store (a member's story never changes once stored); read whole again every RARITY_TTL,
        so members another process stored out of id order are not missed for long."""
        if self._members_at is None or now - self._members_at > RARITY_TTL:
            self._members, self._members_upto, self._members_at = {}, 0, now
        for m in self.store.story_candidates(since, self._members_upto):
            self._members[m.article_id] = m
            self._members_upto = max(self._members_upto, m.article_id)
        self._members = {i: m for i, m in self._members.items() if m.fetched is None or m.fetched >= since}
        return list(self._members.values())

    def _passage_keys(self, article_id: int) -> list[str]:
        """A story member's words as passages are compared, read and worked out once and kept for
        the next articles it is the closest to (a stored article's text never changes)."""
        keys = self._keys.pop(article_id, None)
        if keys is None:
            title, body = self.store.article_text(article_id)
            keys = passage_keys(f"{title}\n{body}")
            if len(self._keys) >= KEYS_KEPT:
                del self._keys[next(iter(self._keys))]  # the one used longest ago
        self._keys[article_id] = keys
        return keys

    def _fresh(self, now: datetime) -> Rarity | None:
        """The rarity table, unless it is due to be read again."""
        if self._rarity_at is None or now - self._rarity_at > RARITY_TTL:
            return None
        return self._rarity

    def _read_rarity(self, now: datetime) -> Rarity:
        """How rare each word is in recent articles: read from the store (blocking) at most every
        RARITY_TTL (thousands of word lists), kept current in between by adding each new article."""
        rarity = Rarity()
        for recent in self.store.recent_words(now - max(self.settings.window * 2, timedelta(days=7))):
            rarity.add(recent)
        self._rarity, self._rarity_at = rarity, now
        return rarity


def _counted(article: Article, toks: Tokenised | None, rarity: Rarity) -> frozenset[str]:
    """The article's words, added to the rarity table (every article counts, matched or not)."""
    words = features(article.title, article.body, toks=toks)
    rarity.add(words)
    return words
