"""Where a new article's alerts go, and a matched article's story decision and store write.

``routes`` turns matches into the outbox's pending deliveries: each rule's channels, when each is
due. :meth:`Filer.file` decides a matched article's story, routes it (a rule the story has alerted
on before gets the channel's follow-up instead, as ``story_updates`` says), stores it and queues
escalations, blocking: the pipeline runs it in one thread hop per article, one article at a time,
so that each decision sees the articles stored before it (two copies cannot both start a story)
and the story lock is held for one hop, not one per store read as when each read was its own hop
behind everything else the event loop had to do.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import TypeVar

from monitor.model import Article, Match
from monitor.pacing import first_due, parse_mode
from monitor.rules import RuleSet
from monitor.store import RouteSpec, Store, StoryLink
from monitor.stories import Tokenised
from monitor.storydesk import StoryDesk

Routed = list[tuple[Match, list[RouteSpec]]]
T = TypeVar("T")


async def held_through(job: Awaitable[T]) -> T:
    """``await job``, which goes on to its end even if the caller is cancelled meanwhile (a thread
    cannot be stopped): the caller's lock is released only then, so that a cancelled decision's
    thread never runs beside the next one. The cancellation is raised once the job has ended."""
    task = asyncio.ensure_future(job)
    cancelled = False
    while True:
        try:
            result = await asyncio.shield(task)
        except asyncio.CancelledError:
            if not task.done():
                cancelled = True
                continue
            raise
        if cancelled:
            raise asyncio.CancelledError
        return result


def routes(found: Sequence[Match], ruleset: RuleSet, now: datetime, tz: tzinfo) -> Routed:
    """Each match with its rule's channels and when each is due (a digest's next time, or now)."""
    return [
        (
            m,
            [
                (ch, mode, first_due(parse_mode(mode), now, tz))
                for ch, mode in ruleset.by_id[m.rule_id].channels
            ],
        )
        for m in found
    ]


@dataclass(frozen=True)
class Filed:
    story: StoryLink
    escalated: list[tuple[str, str]]  # (rule, channel) of the escalations this article queued


@dataclass
class Filer:
    store: Store
    desk: StoryDesk
    updates: Mapping[str, str]  # channel → its story_updates setting (reply, off, or a digest mode)
    tz: tzinfo

    def file(
        self,
        feed: str,
        article: Article,
        found: Sequence[Match],
        ruleset: RuleSet,
        now: datetime,
        toks: Tokenised | None,
    ) -> Filed:
        """Decide the article's story, route its matches, store it with them (one transaction),
        then queue the escalations its story now warrants. Blocking: one call at a time."""
        story = self.desk.link_matched(article, now, toks)
        routed = routes(found, ruleset, now, self.tz)
        if story.joined is not None:
            # a rule the story has matched before was alerted already: a follow-up where the channel
            # wants one; a rule new to the story is news, and alerts like any first match
            told = self.store.story_rules(story.joined)
            routed = [
                (m, self._follow_ups(ruleset.by_id[m.rule_id].channels, now) if m.rule_id in told else r)
                for m, r in routed
            ]
        self.store.save_articles([(feed, article, routed, now, story)])
        escalated: list[tuple[str, str]] = []
        if story.joined is not None:
            for m in found:
                rule = ruleset.by_id[m.rule_id]
                if rule.escalate is not None:
                    outlets, within, channel = rule.escalate
                    if self.store.escalate(story.joined, rule.id, channel, outlets, within, now):
                        escalated.append((rule.id, channel))
        return Filed(story, escalated)

    def _follow_ups(self, channels: Sequence[tuple[str, str]], now: datetime) -> list[RouteSpec]:
        out: list[RouteSpec] = []
        for channel, _ in channels:
            setting = self.updates.get(channel, "reply")
            if setting == "off":
                continue
            mode = "immediate" if setting == "reply" else setting
            out.append((channel, mode, first_due(parse_mode(mode), now, self.tz), "update"))
        return out
