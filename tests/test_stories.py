"""One alert per story: articles of the same event from several outlets are grouped."""

import asyncio
import random
from datetime import UTC, datetime, timedelta

from monitor.arabic import tokens
from monitor.config import FeedConfig, StorySettings, load_config
from monitor.extract import extract_page, warm_up
from monitor.fetch import Fetcher, Limits
from monitor.netguard import AddressPolicy
from monitor.pipeline import Pipeline
from monitor.store import Store
from monitor.stories import Rarity, assign, cosine, features, lead_terms, shared_passages, vector
from monitor.workers import ProcessPool
from tests.conftest import ROOT, local_email

NOW = datetime(2026, 11, 22, tzinfo=UTC)


def poll_seeds(site, tmp_path, ruleset, stories):
    """One poll of the seed site through the real pipeline, with story grouping on."""
    store = Store(f"sqlite:///{tmp_path / 'x.db'}")
    store.create()
    feed = FeedConfig(name="موقع", url=site.url("/feed.xml"))
    store.sync_feeds([(feed.name, feed.url)])

    async def go():
        pool = ProcessPool(2, deadline=20, warmup=warm_up)
        async with Fetcher(Limits(timeout=10), policy=AddressPolicy(["127.0.0.0/8"])) as fetcher:

            async def extract(page, url, metadata=True, summary=""):
                return await pool.run(extract_page, page, url, metadata, summary)

            pipeline = Pipeline(
                store,
                fetcher,
                extract,
                10**6,
                10**6,
                lambda: NOW,
                timedelta(minutes=15),
                random.Random(1),
                stories=stories,
            )
            try:
                return await pipeline.poll(feed, ruleset)
            finally:
                pool.close()

    return store, asyncio.run(go())


def test_features_are_clitic_free_content_words_and_numbers():
    words = features("انسحاب قوات التحالف", "وقال المسؤول إن 2500 جندي سيغادرون قاعدة عين الأسد في الأنبار")
    assert {"انسحاب", "قوات", "تحالف", "2500", "جندي", "قاعده", "اسد", "انبار"} <= words
    assert not words & {"في", "قال", "وقال", "ان"}


def test_rare_shared_words_weigh_more_than_common_ones():
    rarity = Rarity()
    for _ in range(20):
        rarity.add({"عراق", "تحالف"})
    a = vector(lead_terms("", "العراق التحالف حرير أربيل تسليم"), rarity)
    b = vector(lead_terms("", "العراق التحالف حرير أربيل مغادرة"), rarity)
    c = vector(lead_terms("", "العراق التحالف صواريخ عين الأسد"), rarity)
    assert cosine(a, b) > 2 * cosine(a, c)


def test_lead_terms_count_title_words_twice_and_stop_after_the_lead():
    """Two rewrites of one event share their title and lead; a different event on the same topic
    shares the long background paragraph every article on the topic repeats."""
    background = " ".join(["انسحاب قوات التحالف الدولي من قاعدة عين الأسد بحلول أيلول 2025"] * 12)
    counts = lead_terms("اجتماع اللجنة العسكرية العليا السابع", "حضر وفد البيشمركة " + background)
    assert counts["سابع"] == 2 and counts["بيشمركه"] == 1  # a title word counts twice
    assert sum(counts.values()) < 90  # only the first 80 body words


def test_the_window_keeps_far_apart_articles_apart():
    rarity = Rarity()
    lead = lead_terms("حرير", "أربيل حرير")
    earlier = [(NOW - timedelta(days=10), lead, 1)]
    assert assign(earlier, NOW, lead, rarity, timedelta(hours=72), 0.05)[0] is None
    assert assign(earlier, NOW - timedelta(days=9), lead, rarity, timedelta(hours=72), 0.05)[0] == 1


def test_shared_passages_are_the_longest_common_runs_as_written():
    a = "قال المتحدث إن والتحالف الدولي سيغادر قاعدة حرير في أربيل نهاية العام، وأضاف أن الوضع مستقر"
    b = "أكد مسؤول أن التحالف الدولي سيغادر قاعدة حرير في أربيل خلال أسابيع"
    # clitics and hamza forms ignored (إن/أن, والتحالف/التحالف), the text as the first article wrote it
    assert shared_passages(a, b) == ["إن والتحالف الدولي سيغادر قاعدة حرير في أربيل"]
    assert shared_passages(a, "خبر آخر تماما عن الطقس") == []


def test_shared_passages_read_from_a_title_and_body_already_tokenised_are_the_same():
    # the story desk gives the article's title and body with the tokens the matcher read: the
    # passages are the same as from the joined text, located in it (a ligature in the title, a
    # word glued to digits, a passage that crosses from the title into the body)
    title = "ﻻ انسحاب قبل أيلول: كوردستان24 تنقل"
    body = "أن التحالف الدولي سيغادر قاعدة حرير في أربيل نهاية العام.\nوأضاف أن الوضع مستقر في المنطقة"
    other = "نقلت كوردستان24 تنقل أن التحالف الدولي سيغادر قاعدة حرير قريبا، وأضاف أن الوضع مستقر"
    joined = shared_passages(f"{title}\n{body}", other)
    assert joined == ["كوردستان24 تنقل\nأن التحالف الدولي سيغادر قاعدة حرير", "وأضاف أن الوضع مستقر"]
    assert shared_passages(((title, tokens(title)), (body, tokens(body))), other) == joined


def test_seed_stories_group_and_only_the_first_article_of_a_story_alerts(site, tmp_path, smtp):
    store, report = poll_seeds(
        site,
        tmp_path,
        load_config(ROOT / "config").ruleset,
        # a threshold below the default: the default (0.22) keeps 000 and 002 apart (see the note in
        # scripts/evaluate_stories.py); this test is about what grouping does, so it groups them
        StorySettings(window=timedelta(hours=72), threshold=0.12),
    )
    assert report.matched == 5  # every seed still matches and is stored
    coalition = [m for m in store.matches() if m.rule_id == "coalition-mission-iraq"]
    stories: dict[int, set[str]] = {}
    for m in coalition:
        stories.setdefault(m.story_id, set()).add(m.article.key.rsplit("/", 1)[-1][:3])
    assert sorted(map(sorted, stories.values())) == [["000", "002"], ["001", "003"], ["004"]]
    alerts = [d for d in store.deliveries() if d.kind == "alert"]
    alerted = {d.match.article.key for d in alerts if d.match.rule_id == "coalition-mission-iraq"}
    assert len(alerted) == 3  # one alert per story; the others are attached to it (a follow-up each)
    # hmc-talks (only 003 matches it) is news for that rule whether 003 started the story or joined it
    assert [d.match.article.key.rsplit("/", 1)[-1][:3] for d in alerts if d.match.rule_id == "hmc-talks"] == [
        "003"
    ]
    assert len([d for d in store.deliveries() if d.kind == "update"]) == 4  # 2 outlets × email, slack
    members = store.story_members(next(sid for sid, keys in stories.items() if keys == {"001", "003"}))
    assert {m.source for m in members} == {"عنب بلدي", "كوردستان24"}

    # the story's alert names the other outlets that reported it
    from alerts.email import EmailChannel
    from alerts.outbox import Outbox

    cfg = local_email(smtp.port)
    channels = {"email": EmailChannel("email", cfg, secret_dir=tmp_path, environ={})}
    asyncio.run(Outbox(store, channels, lambda r: r, lambda: NOW).deliver_due())
    assert len(smtp.messages) == 3  # the follow-ups were named in the alerts: no message of their own
    # nothing pending or dead for email: its follow-ups count as sent, in the alerts that named them
    assert not [d for d in store.deliveries() if d.channel == "email"]
    texts = [m.get_body(("plain",)).get_content() for m in smtp.messages]
    also = [t for t in texts if "also reported by" in t]
    assert len(also) == 2  # the two stories with a second outlet
    assert any("كوردستان24" in t or "عنب بلدي" in t for t in also)
    store.close()


def test_grouping_quality_on_the_independent_event_set_does_not_regress():
    import sys

    sys.path.insert(0, str(ROOT / "scripts"))
    from evaluate_stories import evaluate, written

    default = StorySettings()
    precision, recall, pairs, _ = evaluate(written(), default.window, default.threshold)
    assert pairs == 18
    assert precision >= 0.99 and recall >= 0.88  # the figures measured when this default was chosen


def test_a_story_reported_by_enough_outlets_escalates_once(site, tmp_path):
    from monitor.config import load_rules_file

    text = (
        (ROOT / "config" / "rules.yaml")
        .read_text(encoding="utf-8")
        .replace(
            "    channels: [email, slack]\n",
            "    channels: [slack]\n    escalate: {outlets: 2, within: 48h, channel: email}\n",
            1,
        )
    )
    rules_file = tmp_path / "rules.yaml"
    rules_file.write_text(text, encoding="utf-8")
    ruleset = load_rules_file(rules_file)
    store, _ = poll_seeds(site, tmp_path, ruleset, StorySettings())
    coalition = [m for m in store.matches() if m.rule_id == "coalition-mission-iraq"]
    emails = [(m.article.source, m.story_id) for m in coalition if ("email", "pending") in m.deliveries]
    assert (
        len(emails) == 1
    )  # the 001+003 story (two outlets within 48 h) escalated once, to its first article
    (_, story) = emails[0]
    assert {m.source for m in store.story_members(story)} == {"عنب بلدي", "كوردستان24"}
    store.close()


def test_grouping_is_on_by_default_and_can_be_turned_off(tmp_path):
    from monitor.config import Settings

    assert Settings().stories.enabled and Settings().stories.threshold == 0.22
    assert not Settings.model_validate({"stories": {"enabled": False}}).stories.enabled


def test_grouping_quality_on_the_held_out_event_set_does_not_regress():
    """tests/stories_heldout.yaml was written after the method and threshold were chosen and was
    never used to choose them: 10 events, 27 articles, close events on purpose."""
    import sys

    sys.path.insert(0, str(ROOT / "scripts"))
    from evaluate_stories import evaluate, written

    default = StorySettings()
    precision, recall, pairs, _ = evaluate(written("stories_heldout"), default.window, default.threshold)
    assert pairs == 24
    assert precision >= 0.99 and recall >= 0.66  # measured once: precision 1.000, recall 0.667


def test_a_wire_copy_with_other_boilerplate_is_the_same_story_another_event_is_not():
    def seed(prefix: str) -> tuple[str, str]:
        path = next((ROOT / "seeds" / "golden").glob(f"{prefix}_*.txt"))
        title, _, rest = path.read_text(encoding="utf-8").partition("\n")
        return title, rest.split("\n\n", 1)[1]

    title, body = seed("003")
    # another outlet runs the agency copy: its own dateline and credit, a "read also" line at the end
    copy_title = f"{title} (فيديو)"
    copy_body = "بغداد - شفق نيوز: " + body.split("- ", 1)[-1] + "\nاقرأ أيضاً: أخبار العراق اليوم"
    rarity = Rarity()
    for prefix in ("000", "001", "002", "003", "004"):
        rarity.add(features(*seed(prefix)))
    original, copy = (
        vector(lead_terms(title, body), rarity),
        vector(lead_terms(copy_title, copy_body), rarity),
    )
    other = vector(lead_terms(*seed("004")), rarity)  # the coalition's end too, another event
    threshold = StorySettings().threshold
    assert cosine(original, copy) > 0.8 > threshold
    assert cosine(original, other) < threshold


def test_earlier_vectors_are_reused_until_the_weights_drift():
    from collections import Counter

    from monitor.stories import Vectors

    rarity = Rarity()
    for words in (["قوات", "التحالف", "بغداد"], ["قوات", "الانسحاب"], ["الطقس", "بغداد"]):
        rarity.add(words)
    leads = [Counter({"قوات": 2, "التحالف": 1}), Counter({"الطقس": 1, "بغداد": 1})]
    earlier = [(datetime(2026, 11, 1, tzinfo=UTC), lead, story) for story, lead in enumerate(leads, 1)]
    cache = Vectors(drift=0.5)
    mine = Counter({"قوات": 1, "التحالف": 2})
    plain = assign(earlier, earlier[0][0], mine, rarity, timedelta(days=3), 0.2)
    cached = assign(
        earlier, earlier[0][0], mine, rarity, timedelta(days=3), 0.2, keys=[10, 11], vectors=cache
    )
    assert cached == plain and plain[0] == 1  # the same decision
    first = cache.get(10, leads[0], rarity, {})
    rarity.add(["الطقس"])  # 3 → 4 documents: within the drift
    assert cache.get(10, leads[0], rarity, {}) is first
    for _ in range(3):
        rarity.add(["الطقس"])  # 7 documents: beyond it, made again with today's weights
    again = cache.get(10, leads[0], rarity, {})
    assert again is not first and again == vector(leads[0], rarity)


class _CountingStore(Store):
    reads = 0

    def article_text(self, article_id):  # type: ignore[no-untyped-def]
        self.reads += 1
        return super().article_text(article_id)


def test_a_member_text_is_read_once_for_the_articles_that_join_it(tmp_path):
    """Each article that joins a story shows the passages it shares with the member it is closest
    to; that member's text is read from the store and worked out once, not once per article."""
    from monitor.model import Article, Match
    from monitor.storydesk import StoryDesk

    path = next((ROOT / "seeds" / "golden").glob("003_*.txt"))
    title, _, rest = path.read_text(encoding="utf-8").partition("\n")
    body = rest.split("\n\n", 1)[1]
    store = _CountingStore(f"sqlite:///{tmp_path / 'x.db'}")
    store.create()
    store.sync_feeds([(f"outlet{n}", f"http://outlet{n}.example/feed.xml") for n in range(4)])
    desk = StoryDesk(store, StorySettings())
    found = [(Match("exit", 1.0, ()), [])]
    first = Article("k0", "http://outlet0.example/0", "outlet0", title, "", body, NOW)
    started = desk.link_matched(first, NOW)
    assert started.joined is None
    store.save_articles([("outlet0", first, found, NOW, started)])
    for n in (1, 2, 3):  # other outlets run the agency copy, each with its own dateline
        copy = Article(
            f"k{n}", f"http://outlet{n}.example/{n}", f"outlet{n}", title, "", f"مراسل {n}: {body}", NOW
        )
        link = desk.link_matched(copy, NOW)
        assert link.joined is not None and link.passages
        # (not stored: the first article stays the only member, the one each copy is closest to)
        assert list(link.passages) == shared_passages(f"{title}\n{copy.body}", f"{title}\n{body}")
    assert store.reads == 1
    store.close()
