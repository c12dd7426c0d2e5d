"""Stories: recent members and their words for grouping decisions, and escalation of a story
to a rule it had not matched."""

from __future__ import annotations

import functools
from collections import Counter
from datetime import datetime, timedelta

from sqlalchemy import bindparam
from sqlalchemy import select as sa_select
from sqlmodel import col, select

from monitor.store.base import StoreBase
from monitor.store.records import StoryMember
from monitor.store.tables import ARTICLES, ArticleRow, DeliveryRow, MatchRow

# read for every matched article's decision: Core statements made once (an ORM query each time
# cost twice the read)
_CANDIDATES = (
    sa_select(
        ARTICLES.c.id,
        ARTICLES.c.story_id,
        ARTICLES.c.published_at,
        ARTICLES.c.fetched_at,
        ARTICLES.c.source,
        ARTICLES.c.title,
        ARTICLES.c.url,
        ARTICLES.c.lead,
    )
    .where(ARTICLES.c.story_id.is_not(None))
    .where(ARTICLES.c.fetched_at >= bindparam("since"))
    .where(ARTICLES.c.id > bindparam("after"))
    .order_by(ARTICLES.c.id)
)
_TEXT = sa_select(ARTICLES.c.title, ARTICLES.c.body).where(ARTICLES.c.id == bindparam("id"))


class StoryStore(StoreBase):
    def story_candidates(self, since: datetime, after: int = 0) -> list[StoryMember]:
        """Articles that belong to a story and were first seen since ``since``, with an id above
        ``after`` (a caller that keeps the earlier ones reads only what is new); plain columns."""
        with self._read("read stories") as s:
            rows = s.connection().execute(_CANDIDATES, {"since": since, "after": after}).all()
            return [
                StoryMember(i, story, published or fetched, source, title, url, _lead(lead), fetched)
                for i, story, published, fetched, source, title, url, lead in rows
            ]

    def recent_words(self, since: datetime, limit: int = 5000) -> list[frozenset[str]]:
        """Content words of recent articles: the corpus that says which words are rare."""
        with self._read("read recent words") as s:
            rows = s.exec(
                select(ArticleRow.words)
                .where(col(ArticleRow.words).is_not(None))
                .where(col(ArticleRow.fetched_at) >= since)
                .order_by(col(ArticleRow.id).desc())
                .limit(limit)
            ).all()
            return [frozenset((w or "").split()) for w in rows]

    def escalate(
        self, story_id: int, rule_id: str, channel: str, outlets: int, within: timedelta, now: datetime
    ) -> bool:
        """If ``outlets`` distinct outlets reported the story within ``within`` of its start, queue its
        alert for ``channel`` — once: a delivery is unique per match and channel. True when queued now."""
        with self._write("escalate a story") as s:
            rows = s.exec(
                select(ArticleRow).where(ArticleRow.story_id == story_id).order_by(col(ArticleRow.id))
            ).all()
            if not rows:
                return False
            start = rows[0].published_at or rows[0].fetched_at
            sources = {r.source for r in rows if abs((r.published_at or r.fetched_at) - start) <= within}
            if len(sources) < outlets:
                return False
            head = s.exec(
                select(MatchRow).where(MatchRow.article_id == rows[0].id, MatchRow.rule_id == rule_id)
            ).first()
            if head is None or head.id is None:
                return False
            exists = s.exec(
                select(DeliveryRow).where(DeliveryRow.match_id == head.id, DeliveryRow.channel == channel)
            ).first()
            if exists is not None:
                return False
            s.add(DeliveryRow(match_id=head.id, channel=channel, next_attempt_at=now, created_at=now))
            return True

    def article_text(self, article_id: int) -> tuple[str, str]:
        """An article's title and body."""
        with self._read("read an article") as s:
            row = s.connection().execute(_TEXT, {"id": article_id}).first()
            return (row[0], row[1]) if row is not None else ("", "")

    def story_members(self, story_id: int) -> list[StoryMember]:
        with self._read("read a story") as s:
            rows = s.exec(
                select(ArticleRow).where(ArticleRow.story_id == story_id).order_by(col(ArticleRow.id))
            )
            return [_member(r) for r in rows]


@functools.lru_cache(maxsize=4096)
def _lead_terms(lead: str) -> Counter[str]:
    return Counter(lead.split())


def _lead(lead: str | None) -> Counter[str]:
    """A stored lead's term counts, parsed once per distinct lead (it is read again for every
    decision) and shared: read it, never change it."""
    return _lead_terms(lead or "")


def _member(a: ArticleRow) -> StoryMember:
    assert a.id is not None and a.story_id is not None
    return StoryMember(
        a.id,
        a.story_id,
        a.published_at or a.fetched_at,
        a.source,
        a.title,
        a.url,
        Counter((a.lead or "").split()),
    )
