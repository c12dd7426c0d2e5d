"""Poll one feed end to end; the only orchestrator of the pipeline steps.

fetch feed (conditional) → parse → drop known keys → fetch + extract each new article (worker
processes) → match → store article, matches and pending deliveries in one transaction. One feed's
failure is that feed's :class:`FeedReport`, stored on the feed, never an exception for the batch.
Alerts are not sent here: the outbox does that apart, so a failing channel never fails ingestion.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta, tzinfo

from monitor.arabic import tokens
from monitor.config import FeedConfig, HealthSettings, StorySettings
from monitor.errors import FetchError, RasadError, StoreLost
from monitor.fetch import Fetcher
from monitor.filing import Filed, Filer, held_through, routes
from monitor.groupwrite import Batcher
from monitor.health import HealthRules, problem
from monitor.logs import event
from monitor.model import Article, Extracted, FeedItem, FeedReport, Match
from monitor.parse import parse_feed
from monitor.published import plausible, stored
from monitor.rules import FUTURE_TOLERANCE, RuleSet, match
from monitor.schedule import cadence, max_age, next_poll, trust_validators
from monitor.settings import PollSettings
from monitor.store import FeedState, NewArticle, PollRecord, Store
from monitor.storydesk import StoryDesk
from monitor.waitlist import FEED, ORDINARY, PRIORITY, URGENT, Budget, Guess, WaitList

log = logging.getLogger("rasad.pipeline")

FEED_ACCEPT = "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.1"
PAGE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.1"
PAGE_SLACK = timedelta(days=7)  # a page date this far before the feed's oldest item is a misreading
HTML_TYPES = ("text/html", "application/xhtml+xml", "")
WRITE_LINGER = 0.05  # seconds a write that sends no alert may wait to share a transaction

# page bytes, url, metadata wanted (the item lacks a title or date), the item's summary (put first
# when the body lacks what it says) → Extracted
Extractor = Callable[[bytes, str, bool, str], Awaitable[Extracted | None]]


@dataclass
class Pipeline:
    store: Store
    fetcher: Fetcher
    extract: Extractor  # runs in a worker process
    max_feed_size: int
    max_page_size: int
    clock: Callable[[], datetime]
    default_interval: timedelta = timedelta(minutes=15)
    rng: random.Random = field(default_factory=random.Random)
    polling: PollSettings | None = None  # adaptive intervals and their bounds, when configured
    health: HealthSettings | None = None  # source-health notices, when an admin channel is configured
    tz: tzinfo = UTC  # for digest times
    stories: StorySettings | None = None  # group one story's articles from several outlets
    updates: Mapping[str, str] = field(default_factory=dict)  # channel → its story_updates setting
    _desk: StoryDesk | None = field(default=None, init=False, repr=False)  # when stories are on
    _filer: Filer | None = field(default=None, init=False, repr=False)  # stores matched articles then
    _story_lock: asyncio.Lock = field(default_factory=asyncio.Lock, init=False, repr=False)
    # fetched pages worked on at once (extracted, matched); a page fetched when there is no room
    # waits for it, likely alerts first, keeping its places under the fetcher's connection caps, so
    # no further page is fetched meanwhile: the pages held are at most these and those caps
    in_flight: int = 8
    on_new_items: Callable[[], None] | None = None  # a feed has new items (starts idle workers)
    # feeds being polled and new items not yet stored: past this, a feed is fetched only once some
    # are done (memory stays flat); a feed weighs feed_units until its new items are known (as one
    # unit, every due feed was parsed before the first page reached a worker)
    backlog: int = 200
    feed_units: int = 10
    _budget: Budget = field(init=False, repr=False)
    _capacity: WaitList[int] = field(init=False, repr=False)
    # group commit: the articles (and poll records) that are ready together are stored together
    _articles: Batcher[NewArticle, list[int]] = field(init=False, repr=False)
    _polls: Batcher[PollRecord, None] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._capacity = WaitList(list(range(self.in_flight)))
        self._budget = Budget(self.backlog)
        if self.polling is None:  # made once, not at every poll
            self.polling = PollSettings(interval=self.default_interval)
        if self.stories is not None:
            self._desk = StoryDesk(self.store, self.stories)
            self._filer = Filer(self.store, self._desk, self.updates, self.tz)
        self._articles = Batcher(lambda items: self.store.save_articles(items), linger=WRITE_LINGER)
        self._polls = Batcher(lambda polls: self.store.record_polls(polls), linger=WRITE_LINGER)

    async def poll(self, feed: FeedConfig, ruleset: RuleSet, state: FeedState | None = None) -> FeedReport:
        """Poll one feed. Never raises: failures are returned in the report and stored on the feed.
        ``state``: the feed's stored state, when the caller has just read it."""
        # under a backlog, the feed waits until enough work taken on is done (priority feeds first)
        await self._budget.room(URGENT if feed.priority else FEED)
        guess = self._budget.guess(self.feed_units - 1)  # its new items, until they are known
        try:
            return await self._poll(feed, ruleset, state, guess)
        finally:
            guess.settle()
            self._budget.done()

    async def _poll(
        self, feed: FeedConfig, ruleset: RuleSet, state: FeedState | None, guess: Guess
    ) -> FeedReport:
        start = time.monotonic()
        now = self.clock()
        report: FeedReport
        etag = last_modified = None
        retry_after = cache_max_age = None
        error_count = 0
        learned = fresh = None  # the feed's publishing cadence: as stored, as its items tell now
        try:
            if state is None:
                state = await asyncio.to_thread(self.store.feed_state, feed.name)
            error_count = state.error_count
            learned = state.cadence
            trusted = trust_validators(state.last_full_fetch_at, now)  # lying validators are caught
            resp = await self.fetcher.get(
                feed.url,
                max_size=self.max_feed_size,
                etag=state.etag if trusted else None,
                last_modified=state.last_modified if trusted else None,
                accept=FEED_ACCEPT,
            )
            cache_max_age = max_age(resp.headers.get("cache-control"))
            if resp.not_modified:
                report = FeedReport(feed.name, "not_modified")
            else:
                etag, last_modified = resp.etag, resp.last_modified
                skipped: list[str] = []
                items = parse_feed(resp.content, url=resp.url, headers=resp.headers, skipped=skipped)
                for why in skipped:
                    event(log, "item.skipped", logging.WARNING, feed=feed.name, reason=why)
                fresh = cadence([i.published for i in items if i.published is not None], now)
                learned = fresh or learned
                report = await self._new_items(feed, items, ruleset, now, guess)
        except FetchError as exc:
            retry_after = exc.retry_after
            report = FeedReport(feed.name, "error", error=str(exc), hint=exc.hint)
        except StoreLost:
            raise  # not this feed's problem: the daemon stops
        except RasadError as exc:
            report = FeedReport(feed.name, "error", error=str(exc), hint=exc.hint)
        except Exception as exc:  # a bug must not stop the other feeds; it is logged with its traceback
            log.exception("feed.crashed feed=%s", feed.name)
            report = FeedReport(feed.name, "error", error=f"internal error: {type(exc).__name__}: {exc}")
        failed = report.status == "error"
        interval = self.interval_for(feed, learned)
        upcoming = next_poll(
            now,
            interval,
            failed=failed,
            error_count=error_count + failed,
            retry_after=retry_after,
            cache_max_age=cache_max_age,
            rng=self.rng,
        )
        report = replace(
            report,
            seconds=round(time.monotonic() - start, 3),
            next_poll=upcoming,
            interval=interval,
            cadence=fresh,
        )
        recorded = True
        try:
            await self._polls.submit(PollRecord(report, now, etag, last_modified, upcoming, fresh))
            if self.health is not None:
                await asyncio.to_thread(self._check_health, feed.name, report, error_count + failed, now)
        except StoreLost:
            raise
        except RasadError as exc:
            recorded = False
            if not failed:  # a failed poll's line below says it already
                report = replace(report, error=f"not recorded: {exc}", hint=exc.hint)
        event(
            log,
            "feed.polled",
            logging.WARNING if report.status == "error" else logging.INFO,
            feed=feed.name,
            status=report.status,
            items=report.items,
            new=report.new,
            matched=report.matched,
            fallbacks=report.fallbacks,
            seconds=report.seconds,
            next=upcoming.isoformat(timespec="seconds") if failed else None,
            recorded=None if recorded else "no",
            error=report.error,
            hint=report.hint,
        )
        return report

    def interval_for(self, feed: FeedConfig, learned: timedelta | None) -> timedelta:
        """How often ``feed`` is polled: see :func:`monitor.schedule.poll_interval`."""
        assert self.polling is not None  # set in __post_init__
        return self.polling.interval_for(feed.interval, feed.priority, learned)

    def _check_health(self, name: str, report: FeedReport, error_count: int, now: datetime) -> None:
        assert self.health is not None
        rules = HealthRules(self.health.failures, self.health.silence_factor, self.health.min_silence)
        reason = problem(
            now,
            rules,
            error_count=error_count if report.status == "error" else 0,
            last_error=report.error,
            first_seen=self.store.first_seen(name),
        )
        kind = self.store.set_health(name, reason, self.health.channel, now)
        if kind is not None:
            event(log, kind, logging.WARNING if reason else logging.INFO, feed=name, reason=reason)

    async def _new_items(
        self, feed: FeedConfig, items: list[FeedItem], ruleset: RuleSet, now: datetime, guess: Guess
    ) -> FeedReport:
        unique = list({i.key: i for i in items}.values())
        known = await asyncio.to_thread(self.store.known_keys, [i.key for i in unique])
        new = [i for i in unique if i.key not in known]
        if new and self.on_new_items is not None:
            self.on_new_items()
        self._budget.add(len(new))
        guess.settle()  # the items are known now
        results = await asyncio.gather(*(self._article(feed, item, ruleset, now) for item in new))
        matches = tuple((key, rule) for key, rules, _ in results for rule in rules)
        fallbacks = sum(1 for _, _, fell_back in results if fell_back)
        return FeedReport(
            feed.name,
            "ok",
            items=len(items),
            new=len(new),
            matched=len({k for k, _ in matches}),
            fallbacks=fallbacks,
            matches=matches,
        )

    async def _article(
        self, feed: FeedConfig, item: FeedItem, ruleset: RuleSet, now: datetime
    ) -> tuple[str, list[str], bool]:
        try:
            return await self._taken_on(feed, item, ruleset, now)
        finally:
            self._budget.done()  # stored, or failed: either way no longer held

    async def _taken_on(
        self, feed: FeedConfig, item: FeedItem, ruleset: RuleSet, now: datetime
    ) -> tuple[str, list[str], bool]:
        # under a backlog, an item whose title and summary alone match a rule goes first (here and
        # in the worker pool): the likely alert does not wait behind pages that will not match
        priority = URGENT if match(_from_feed(feed.name, item), ruleset, now) else ORDINARY
        PRIORITY.set(priority)
        place: list[int] = []  # its place among the pages in flight, once its page is fetched

        async def admit() -> None:
            place.append(await self._capacity.take(priority))

        def done_with_page() -> None:
            if place:
                self._capacity.give(place.pop())

        try:
            article = await self.build_article(feed.name, item, admit)
            # the matcher and the story desk read the same tokens: the text is tokenised once
            toks = (tokens(article.title), tokens(article.body)) if self._desk is not None else None
            found = match(article, ruleset, now, {"title": toks[0], "body": toks[1]} if toks else None)
            if found and self._filer is not None:
                # its page is done: the next article goes on while this one waits for the story desk
                done_with_page()
                async with self._story_lock:  # one at a time decides: two copies cannot both start a story
                    filed = await held_through(
                        asyncio.to_thread(self._filer.file, feed.name, article, found, ruleset, now, toks)
                    )
                self._grouped(feed, article, filed)
                self._matched(feed, article, found)
            else:  # joins no story: stored with the others ready at the same time
                story = await self._desk.link(article, False, now, toks) if self._desk is not None else None
                # its page is done: the next article goes on while this write waits to share a commit
                done_with_page()
                routed = routes(found, ruleset, now, self.tz)
                await self._articles.submit((feed.name, article, routed, now, story), urgent=bool(found))
                self._matched(feed, article, found)
        finally:
            done_with_page()
        return item.key, [m.rule_id for m in found], article.extraction != "trafilatura"

    def _grouped(self, feed: FeedConfig, article: Article, filed: Filed) -> None:
        story = filed.story
        if story.joined is None:
            return
        event(
            log,
            "article.grouped",
            feed=feed.name,
            story=story.joined,
            score=round(story.score or 0, 3),
            shared=",".join(story.shared[:5]),
            url=article.url,
        )
        for rule, channel in filed.escalated:
            event(log, "story.escalated", story=story.joined, rule=rule, channel=channel)

    def _matched(self, feed: FeedConfig, article: Article, found: list[Match]) -> None:
        for m in found:
            event(
                log,
                "article.matched",
                feed=feed.name,
                rule=m.rule_id,
                score=m.score,
                url=article.url,
                terms=",".join(m.terms[:8]),
            )

    async def build_article(
        self, source: str, item: FeedItem, admit: Callable[[], Awaitable[object]] | None = None
    ) -> Article:
        """Fetch and extract the page; on any failure fall back to the feed's title and summary.
        ``admit``: awaited when the page has been fetched, before the fetch's connection places are
        given up (see :meth:`monitor.fetch.Fetcher.get`): the caller's room for one more page.

        The feed's date wins; the page's fills the gap unless it is in the future or far before the
        feed's oldest item. A summary that says what the extracted body lacks leads the body (the
        extractor puts it first, in its worker)."""
        source = item.source or source
        extracted: Extracted | None = None
        why = "no article URL" if item.url else "no link or GUID: keyed by its title and content"
        hint: str | None = None
        if item.url.startswith(("http://", "https://")):
            try:
                page = await self.fetcher.get(
                    item.url, max_size=self.max_page_size, accept=PAGE_ACCEPT, admit=admit
                )
                if page.content_type not in HTML_TYPES:
                    why = f"not an HTML page ({page.content_type})"
                else:
                    # the page's own title and date are read only when the feed lacks them
                    metadata = not (item.title and item.published)
                    extracted = await self.extract(page.content, page.url, metadata, item.summary)
                    why = "no main text found on the page"
            except RasadError as exc:
                why, hint = str(exc), exc.hint
        if extracted is None:
            event(log, "article.fallback", logging.WARNING, feed=source, url=item.url, reason=why, hint=hint)
            return _from_feed(source, item, f"fallback: {why}")
        page_date = extracted.published
        believed = page_date is None or plausible(
            page_date, self.clock(), item.feed_oldest, ahead=FUTURE_TOLERANCE, before=PAGE_SLACK
        )
        if item.published is None and page_date is not None and not believed:
            event(log, "article.date_ignored", feed=source, url=item.url, date=stored(page_date))
            page_date = None
        return Article(
            key=item.key,
            url=item.url,
            source=source,
            title=item.title or extracted.title,
            summary=item.summary,
            body=extracted.body,
            published=item.published or page_date,
        )

    async def cycle(self, feeds: Sequence[FeedConfig], ruleset: RuleSet) -> list[FeedReport]:
        """Poll every enabled feed once, concurrently (states read in one query); caps bound the load."""
        on = [f for f in feeds if f.enabled]
        states = await asyncio.to_thread(self.store.feed_states, [f.name for f in on])
        return list(await asyncio.gather(*(self.poll(f, ruleset, states[f.name]) for f in on)))


def _from_feed(source: str, item: FeedItem, extraction: str = "feed") -> Article:
    """The article as the feed alone tells it: its title, and its summary as the body."""
    return Article(
        key=item.key,
        url=item.url,
        source=item.source or source,
        title=item.title,
        summary=item.summary,
        body=item.summary,
        published=item.published,
        extraction=extraction,
    )
