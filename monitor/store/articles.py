"""Articles and their matches: stored once each, with their matches and pending deliveries in
one transaction; read back for the CLI, backtests and explanations."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, insert, update
from sqlalchemy import select as sa_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from monitor.model import Article, Match
from monitor.published import restored, stored
from monitor.store.base import StoreBase, in_chunks
from monitor.store.records import (
    NewArticle,
    RouteSpec,
    StoredMatch,
    StoryLink,
    StoryNote,
    _explanation,
    _explanation_json,
)
from monitor.store.tables import ARTICLES, DELIVERIES, MATCHES, ArticleRow, DeliveryRow, FeedRow, MatchRow

# which of some keys are stored: one Core statement made once (an ORM select each time cost more
# than the lookup), its IN list expanded when it runs
_STORED_KEYS = sa_select(ARTICLES.c.key).where(ARTICLES.c.key.in_(bindparam("keys", expanding=True)))


class ArticleStore(StoreBase):
    def known_keys(self, keys: Sequence[str]) -> set[str]:
        """Which of ``keys`` are stored already (and must not be fetched again)."""
        found: set[str] = set()
        with self._read("look up articles") as s:
            conn = s.connection()
            for chunk in in_chunks(keys):
                found.update(conn.execute(_STORED_KEYS, {"keys": chunk}).scalars())
        return found

    def save_article(
        self,
        feed: str,
        article: Article,
        matches: Sequence[tuple[Match, Sequence[RouteSpec]]],
        now: datetime,
        story: StoryLink | None = None,
    ) -> list[int]:
        """Store an article, its matches and one pending delivery per (match, channel), atomically.

        Returns the new match ids; an article already stored is left as it is and returns [].
        """
        return self.save_articles([(feed, article, matches, now, story)])[0]

    def save_articles(self, items: Sequence[NewArticle]) -> list[list[int]]:
        """Store several articles in one transaction (one commit, one sync to disk), each one whole:
        an article already stored is left as it is and gets []. Returns each one's new match ids."""
        try:
            with self._write("store articles", durable=False) as s:
                keys = [article.key for _, article, *_ in items]
                stored_keys: set[str] = set()
                conn = s.connection()
                for chunk in in_chunks(keys):
                    stored_keys.update(conn.execute(_STORED_KEYS, {"keys": chunk}).scalars())
                out: list[list[int]] = []
                feed_ids = self._feed_ids
                plain: list[dict[str, Any]] = []  # articles without matches, inserted together
                for feed, article, matches, now, story in items:
                    if article.key in stored_keys:
                        out.append([])
                        continue
                    stored_keys.add(article.key)
                    values = _article_values(s, feed, article, now, story, feed_ids)
                    if not matches:
                        plain.append(values)
                        out.append([])
                        continue
                    _insert(s, plain)  # the articles before it first: ids in the order they came
                    out.append(self._add_article(s, values, matches, now, story))
                _insert(s, plain)
                return out
        except IntegrityError:
            # another process stored one of them meanwhile (PostgreSQL, several daemons): one by one
            self._feed_ids.clear()
            if len(items) == 1:
                return [[]]
            return [self.save_articles([item])[0] for item in items]

    def _add_article(
        self,
        s: Session,
        values: dict[str, Any],
        matches: Sequence[tuple[Match, Sequence[RouteSpec]]],
        now: datetime,
        story: StoryLink | None,
    ) -> list[int]:
        """Insert one article (its column ``values``) with its matches and deliveries, in ``s``'s
        transaction; returns the matches' ids. Core statements, not ORM objects: each ORM object
        cost a flush (four times a Core insert), on the thread that every story decision waits for."""
        conn = s.connection()
        article_id = conn.execute(insert(ARTICLES), values).inserted_primary_key[0]  # type: ignore[index]
        if story is not None and story.joined is None:  # it starts a story: the story is its own id
            conn.execute(update(ARTICLES).where(ARTICLES.c.id == article_id).values(story_id=article_id))
        ids: list[int] = []
        deliveries: list[dict[str, Any]] = []
        for m, channels in matches:
            row = {
                "article_id": article_id,
                "rule_id": m.rule_id,
                "score": m.score,
                "explanation": _explanation_json(m),
                "created_at": now,
            }
            match_id = conn.execute(insert(MATCHES), row).inserted_primary_key[0]  # type: ignore[index]
            ids.append(match_id)
            seen: set[str] = set()
            for route in channels:  # a channel name, or (channel, mode, due[, kind])
                channel, mode, due, *kind = (route, "immediate", now) if isinstance(route, str) else route
                if channel in seen:
                    continue
                seen.add(channel)
                deliveries.append(
                    {
                        "match_id": match_id,
                        "channel": channel,
                        "mode": mode,
                        "next_attempt_at": due,
                        "created_at": now,
                        "kind": kind[0] if kind else "alert",
                    }
                )
        if deliveries:
            conn.execute(insert(DELIVERIES), deliveries)
        return ids

    def matches(self, *, since: datetime | None = None, rule: str | None = None) -> list[StoredMatch]:
        with self._read("list matches") as s:
            q = (
                select(MatchRow, ArticleRow, FeedRow)
                .join(ArticleRow, col(ArticleRow.id) == col(MatchRow.article_id))
                .join(FeedRow, col(FeedRow.id) == col(ArticleRow.feed_id))
            )
            if since is not None:
                q = q.where(col(MatchRow.created_at) >= since)
            if rule is not None:
                q = q.where(MatchRow.rule_id == rule)
            rows = s.exec(q.order_by(col(MatchRow.created_at), col(MatchRow.id))).all()
            deliveries: dict[int, list[tuple[str, str]]] = {}
            ids = [m.id for m, _, _ in rows]
            for chunk in in_chunks(ids):
                for d in s.exec(select(DeliveryRow).where(col(DeliveryRow.match_id).in_(chunk))):
                    deliveries.setdefault(d.match_id, []).append((d.channel, d.status))
            stories = sorted({a.story_id for _, a, _ in rows if a.story_id is not None})
            outlets: dict[int, list[str]] = {}
            for chunk in in_chunks(stories):
                members = s.exec(
                    select(ArticleRow.story_id, ArticleRow.source)
                    .where(col(ArticleRow.story_id).in_(chunk))
                    .order_by(col(ArticleRow.id))
                )
                for story_id, source in members:
                    names = outlets.setdefault(story_id or 0, [])
                    if source not in names:
                        names.append(source)
            out = []
            for m, a, f in rows:
                stored = _stored(m, a, f, deliveries.get(m.id or 0, []))
                if a.story_id is not None:
                    note = StoryNote(
                        tuple(outlets.get(a.story_id, [])),
                        a.story_score if a.story_id != a.id else None,
                        tuple(json.loads(a.story_shared or "[]")),
                        tuple(json.loads(a.story_passages or "[]")),
                    )
                    stored = replace(stored, story=note)
                out.append(stored)
            return out

    def articles(self, since: datetime | None = None, batch: int = 200) -> Iterator[tuple[Article, set[str]]]:
        """Stored articles (first seen since ``since``) with the ids of the rules they matched."""
        last_id = 0
        while True:
            with self._read("read articles") as s:
                q = select(ArticleRow).where(col(ArticleRow.id) > last_id)
                if since is not None:
                    q = q.where(col(ArticleRow.fetched_at) >= since)
                rows = s.exec(q.order_by(col(ArticleRow.id)).limit(batch)).all()
                if not rows:
                    return
                ids = [r.id for r in rows]
                matched: dict[int, set[str]] = {}
                for article_id, rule_id in s.exec(
                    select(MatchRow.article_id, MatchRow.rule_id).where(col(MatchRow.article_id).in_(ids))
                ):
                    matched.setdefault(article_id, set()).add(rule_id)
            for r in rows:
                yield _article(r), matched.get(r.id or 0, set())
            last_id = rows[-1].id or 0

    def count_articles(self, since: datetime | None = None) -> int:
        with self._read("count articles") as s:
            q = select(func.count()).select_from(ArticleRow)
            if since is not None:
                q = q.where(col(ArticleRow.fetched_at) >= since)
            return int(s.exec(q).one())


def _article_values(
    s: Session,
    feed: str,
    article: Article,
    now: datetime,
    story: StoryLink | None,
    feed_ids: dict[str, int],
) -> dict[str, Any]:
    """An article's row, as column values. ``feed_ids``: feeds' ids already read (kept by the store)."""
    feed_id = feed_ids.get(feed)
    if feed_id is None:
        found = s.exec(select(FeedRow.id).where(FeedRow.name == feed)).one()
        assert found is not None
        feed_id = feed_ids[feed] = found
    values: dict[str, Any] = {
        "key": article.key,
        "feed_id": feed_id,
        "source": article.source,
        "url": article.url,
        "title": article.title,
        "summary": article.summary,
        "body": article.body,
        "published_at": article.published,
        "published_as": stored(article.published),
        "fetched_at": now,
        "extraction": article.extraction,
        "words": None,
        "lead": None,
        "story_passages": None,
        "story_id": None,
        "story_score": None,
        "story_shared": None,
    }
    if story is not None:
        values["words"] = " ".join(sorted(story.words))
        values["lead"] = " ".join(w for w, n in sorted(story.lead.items()) for _ in range(n)) or None
        if story.passages:
            values["story_passages"] = json.dumps(list(story.passages), ensure_ascii=False)
        values["story_id"], values["story_score"] = story.joined, story.score
        values["story_shared"] = json.dumps(list(story.shared), ensure_ascii=False) if story.shared else None
    return values


def _insert(s: Session, rows: list[dict[str, Any]]) -> None:
    """Insert articles without matches in one statement (no ORM object each: most of a backlog's
    articles match nothing), and empty ``rows``."""
    if rows:
        s.connection().execute(insert(ARTICLES), rows)
        rows.clear()


def _stored(m: MatchRow, a: ArticleRow, f: FeedRow, deliveries: list[tuple[str, str]]) -> StoredMatch:
    assert m.id is not None
    hits, dates = _explanation(m.explanation)
    assert a.id is not None
    return StoredMatch(
        m.id,
        m.rule_id,
        m.score,
        hits,
        m.created_at,
        _article(a),
        tuple(deliveries),
        dates,
        a.story_id,
        article_id=a.id,
    )


def _article(a: ArticleRow) -> Article:
    return Article(
        key=a.key,
        url=a.url,
        source=a.source,
        title=a.title,
        summary=a.summary,
        body=a.body,
        published=restored(a.published_as, a.published_at),
        extraction=a.extraction,
    )
