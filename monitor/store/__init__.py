"""Storage: SQLModel tables and the queries the pipeline, the deliverer and the CLI need.

The tables never leave this module: callers get frozen dataclasses. SQLite is the embedded default
(WAL, ``synchronous=FULL``, a busy timeout, write transactions opened with ``BEGIN IMMEDIATE`` so two
writers never deadlock on a lock upgrade); a ``postgresql://`` URL runs the same code.

Invariants the rest of Rasad relies on:
- an article key is stored once; a stored key is never fetched again;
- a match is unique per (article, rule) and a delivery per (match, channel);
- a match and its pending deliveries are written in one transaction;
- a delivery is claimed (attempts + 1, leased) before it is sent and marked sent after, so a crash
  can cause at most a resend of the same message, never a loss.
"""

from __future__ import annotations

from monitor.store.articles import ArticleStore
from monitor.store.deliveries import DeliveryStore
from monitor.store.feeds import FeedStore
from monitor.store.records import (
    Delivery,
    FeedState,
    FeedStatus,
    NewArticle,
    Notice,
    Origin,
    PollRecord,
    RouteSpec,
    StoredMatch,
    StoryLink,
    StoryMember,
    StoryNote,
)
from monitor.store.stories import StoryStore

__all__ = [
    "Delivery",
    "FeedState",
    "FeedStatus",
    "NewArticle",
    "Notice",
    "Origin",
    "PollRecord",
    "RouteSpec",
    "Store",
    "StoredMatch",
    "StoryLink",
    "StoryMember",
    "StoryNote",
]


class Store(FeedStore, ArticleStore, DeliveryStore, StoryStore):
    """All database access, one part per aggregate (feeds, articles, deliveries, stories) over one
    connection (:class:`monitor.store.base.StoreBase`). Thread-safe; one instance per process."""
