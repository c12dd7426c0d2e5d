"""A new article's CPU work, pure: the article made of its feed item and its page, the rules it
satisfies, and the words story grouping keeps of it.

``analyse_page(ruleset, page, url, job)`` runs in an extraction worker (``monitor.workers``), right
after the page's extraction, so that the daemon's own process is left with the network and the
store: under a backlog that process, not extraction, had become the bottleneck. The pipeline calls
the same :func:`assemble` and :func:`analyse` itself for an article made from its feed alone (no
page), and when it is given a plain extractor (tests).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from monitor.bodytext import with_lead
from monitor.extract import extract_page
from monitor.model import Article, Extracted, FeedItem, Match
from monitor.published import plausible
from monitor.rules import FUTURE_TOLERANCE, RuleSet, match
from monitor.stories import features, lead_terms

PAGE_SLACK = timedelta(days=7)  # a page date this far before the feed's oldest item is a misreading


@dataclass(frozen=True, slots=True)
class PageJob:
    """What a worker needs besides the page and the rules."""

    source: str  # the feed's name
    item: FeedItem
    now: datetime  # the poll's time: date conditions are read against it
    fetched: datetime  # when the page was fetched: a page date well after it is not believed
    stories: bool  # whether story grouping is on (its words are wanted)


@dataclass(frozen=True, slots=True)
class Analysed:
    article: Article
    found: list[Match]  # best score first
    words: frozenset[str] | None  # the article's content words, when stories are on
    lead: Counter[str] | None  # its title and lead terms, when stories are on and it matched
    ignored_date: datetime | None = None  # a page date not believed (logged by the pipeline)


def metadata_wanted(item: FeedItem) -> bool:
    """The page's own title and date are read only when the feed lacks them."""
    return not (item.title and item.published)


def assemble(
    source: str, item: FeedItem, extracted: Extracted, fetched: datetime
) -> tuple[Article, datetime | None]:
    """The article from its feed item and extracted page, and the page date not believed, if any.

    The feed's date wins; the page's fills the gap unless it is in the future or far before the
    feed's oldest item. A summary that says what the extracted body lacks leads the body."""
    page_date = extracted.published
    ignored = None
    if (
        item.published is None
        and page_date is not None
        and not plausible(page_date, fetched, item.feed_oldest, ahead=FUTURE_TOLERANCE, before=PAGE_SLACK)
    ):
        ignored, page_date = page_date, None
    article = Article(
        key=item.key,
        url=item.url,
        source=item.source or source,
        title=item.title or extracted.title,
        summary=item.summary,
        body=with_lead(extracted.body, item.summary),
        published=item.published or page_date,
    )
    return article, ignored


def analyse(
    article: Article, ruleset: RuleSet, now: datetime, stories: bool, ignored_date: datetime | None = None
) -> Analysed:
    found = match(article, ruleset, now)
    words = features(article.title, article.body) if stories else None
    lead = lead_terms(article.title, article.body) if stories and found else None
    return Analysed(article, found, words, lead, ignored_date)


def analyse_page(ruleset: RuleSet, page: bytes, url: str, job: PageJob) -> Analysed | None:
    """Extract ``page`` and analyse the article; None when the page has no main text."""
    extracted = extract_page(page, url, metadata_wanted(job.item))
    if extracted is None:
        return None
    article, ignored = assemble(job.source, job.item, extracted, job.fetched)
    return analyse(article, ruleset, job.now, job.stories, ignored)
