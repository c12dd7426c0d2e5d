"""Every matched rule reaches its channels, named in a message; nothing is marked sent that no message
said. Real SMTP (aiosmtpd), a Slack stand-in, the seed site serving the feeds, the real pipeline.

Found by trying Rasad as a user would: a second outlet's article that joined a story while the first
alert was pending had its new rule's alert swallowed; a slow outlet was judged "already named" by an
alert that never named it; alert keys repeated across databases; one article matching three rules
sent three messages; a 429 did not stop the next posts to the same webhook.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from alerts.email import EmailChannel
from alerts.outbox import Outbox
from alerts.render import render
from alerts.slack import SlackChannel
from monitor.config import SlackChannel as SlackConfig
from monitor.config import StorySettings, load_config
from monitor.fetch import Fetcher, Limits
from monitor.model import Article, Extracted, Match, MentionedDate, TermHit
from monitor.netguard import AddressPolicy
from monitor.pacing import parse_quiet
from monitor.pipeline import Pipeline
from monitor.site import send
from monitor.store import Store, StoredMatch
from tests.conftest import Clock, local_email, write_config

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
RULES = """rules:
  - id: coalition
    name: نهاية مهمة التحالف
    any: [التحالف الدولي]
    channels: [{channel: email, mode: MODE}, {channel: slack, mode: MODE}]
  - id: hmc
    name: اللجنة العسكرية العليا
    any: [اللجنة العسكرية العليا]
    channels: [{channel: email, mode: MODE}, {channel: slack, mode: MODE}]
"""
STORY = (
    "بغداد تعلن اكتمال الجدول الزمني لإنهاء مهمة التحالف الدولي في العراق وانتقال العلاقة مع "
    "واشنطن إلى شراكة أمنية ثنائية بعد جولة مباحثات في العاصمة"
)


def item(guid: str, title: str, summary: str) -> str:
    return f"<item><title>{title}</title><guid>{guid}</guid><description>{summary}</description></item>"


def rss(*items: str) -> bytes:
    return f'<rss version="2.0"><channel><title>t</title>{"".join(items)}</channel></rss>'.encode()


async def no_page(page: bytes, url: str, metadata: bool = True, summary: str = "") -> Extracted | None:
    return None  # these items have no page: the feed's summary is the article


class World:
    """Two outlets on the local site, the pipeline with story grouping, an outbox to SMTP and Slack."""

    def __init__(self, tmp_path, site, smtp, slack, mode: str = "immediate", quiet: str | None = None):
        cfg = write_config(
            tmp_path / "cfg",
            feeds=[("first", site.url("/first.xml")), ("second", site.url("/second.xml"))],
            smtp_port=smtp.port,
            rules=RULES.replace("MODE", mode),
        )
        self.config = load_config(cfg)
        self.clock = Clock(NOW)
        self.store = Store(f"sqlite:///{tmp_path / 'x.db'}")
        self.store.create()
        self.store.sync_feeds([(f.name, f.url) for f in self.config.feeds])
        self.fetcher = Fetcher(Limits(timeout=30), policy=AddressPolicy(["127.0.0.0/8"]))
        self.pipeline = Pipeline(
            self.store,
            self.fetcher,
            no_page,
            5_000_000,
            5_000_000,
            self.clock,
            stories=StorySettings(),
            updates={"email": "reply", "slack": "reply"},
        )
        self.channels = {
            "email": EmailChannel("email", local_email(smtp.port), secret_dir=tmp_path, environ={}),
            "slack": SlackChannel(
                "slack",
                SlackConfig.model_validate({"type": "slack", "webhook_url_env": "HOOK"}),
                secret_dir=tmp_path,
                environ={"HOOK": slack.url},
            ),
        }
        pacing = {ch: (parse_quiet(quiet) if quiet else None, None) for ch in self.channels}
        self.outbox = Outbox(
            self.store,
            self.channels,
            lambda r: self.config.ruleset.by_id[r].name,
            self.clock,
            pacing=pacing,
        )
        self.loop = asyncio.new_event_loop()
        self.site, self.smtp, self.slack = site, smtp, slack

    def poll(self, name: str) -> None:
        feed = next(f for f in self.config.feeds if f.name == name)
        self.loop.run_until_complete(self.pipeline.poll(feed, self.config.ruleset))

    def deliver(self) -> None:
        self.loop.run_until_complete(self.outbox.deliver_due())

    def received(self) -> list[str]:
        """Every message as one text: emails (plain part) and Slack posts."""
        mails = [f"{m['Subject']}\n{m.get_body(('plain',)).get_content()}" for m in self.smtp.messages]
        return mails + [str(p) for p in self.slack.posts]

    def close(self) -> None:
        for ch in self.channels.values():
            self.loop.run_until_complete(ch.aclose())
        self.loop.run_until_complete(self.fetcher.aclose())
        self.loop.close()
        self.store.close()


@pytest.fixture
def world(tmp_path, site, smtp, slack):
    made = []

    def make(**kwargs):
        w = World(tmp_path / str(len(made)), site, smtp, slack, **kwargs)
        made.append(w)
        return w

    yield make
    for w in made:
        w.close()


@pytest.mark.parametrize(
    "mode, quiet, later",
    [
        ("immediate", None, timedelta(0)),
        ("batch 15m", None, timedelta(minutes=20)),
        ("digest daily 18:00", None, timedelta(hours=10)),
        ("immediate", "08:00-12:00", timedelta(hours=4)),  # quiet hours hold both, then release them
    ],
)
def test_a_rule_new_to_a_story_is_alerted_not_swallowed_by_another_rules_alert(world, mode, quiet, later):
    """Outlet 1 matches rule A only; its alert is still pending when outlet 2's near-identical article,
    which also names the HMC (rule B), joins the story. Rule B must still be alerted, by name."""
    w = world(mode=mode, quiet=quiet)
    w.site.routes["/first.xml"] = lambda h: send(
        h, 200, rss(item("urn:a:1", "التحالف الدولي ينهي مهمته في العراق", STORY)), "application/rss+xml"
    )
    w.site.routes["/second.xml"] = lambda h: send(
        h,
        200,
        rss(
            item(
                "urn:b:1",
                "التحالف الدولي ينهي مهمته في العراق",
                STORY + " عقدتها اللجنة العسكرية العليا",
            )
        ),
        "application/rss+xml",
    )
    w.poll("first")
    w.deliver()  # nothing goes out yet when the mode or quiet hours hold it
    w.clock.now += timedelta(minutes=1)
    w.poll("second")
    matches = w.store.matches()
    assert sorted((m.article.source, m.rule_id) for m in matches) == [
        ("first", "coalition"),
        ("second", "coalition"),
        ("second", "hmc"),
    ]
    assert len({m.story_id for m in matches}) == 1  # one story: outlet 2 joined outlet 1's
    for _ in range(3):
        w.clock.now += later + timedelta(minutes=1)
        w.deliver()
    assert not w.store.deliveries(), "nothing pending or dead"
    texts = w.received()
    for channel_texts in (texts[: len(w.smtp.messages)], texts[len(w.smtp.messages) :]):
        assert any("اللجنة العسكرية العليا" in t for t in channel_texts), "rule B reached no one"
        assert any("نهاية مهمة التحالف" in t for t in channel_texts)


def test_a_later_outlet_counts_as_named_only_if_the_alert_named_it(world):
    """The fast outlet's alert goes out while the slow outlet's page is still loading: the slow one's
    article is stored afterwards, with the poll's start time. It was not in the alert: a follow-up."""
    w = world()
    w.site.routes["/first.xml"] = lambda h: send(
        h, 200, rss(item("urn:a:1", "التحالف الدولي ينهي مهمته في العراق", STORY)), "application/rss+xml"
    )
    w.site.routes["/second.xml"] = lambda h: send(
        h, 200, rss(item("urn:b:1", "التحالف الدولي ينهي مهمته في العراق", STORY)), "application/rss+xml"
    )
    cycle_start = w.clock.now
    w.poll("first")
    w.clock.now = cycle_start + timedelta(seconds=2)
    w.deliver()  # the story's alert, naming no other outlet
    assert len(w.smtp.messages) == 1 and len(w.slack.posts) == 1
    w.clock.now = cycle_start  # the slow outlet's article carries the same poll start time
    w.poll("second")
    w.clock.now = cycle_start + timedelta(seconds=10)
    w.deliver()
    assert len(w.smtp.messages) == 2 and len(w.slack.posts) == 2, "the slow outlet reached no one"
    follow_up = w.smtp.messages[1]
    assert follow_up["In-Reply-To"] == w.smtp.messages[0]["Message-ID"]
    assert "second" in follow_up.get_body(("plain",)).get_content()


def test_an_outlet_the_alert_named_gets_no_follow_up(world):
    w = world()
    w.site.routes["/first.xml"] = lambda h: send(
        h, 200, rss(item("urn:a:1", "التحالف الدولي ينهي مهمته في العراق", STORY)), "application/rss+xml"
    )
    w.site.routes["/second.xml"] = lambda h: send(
        h, 200, rss(item("urn:b:1", "التحالف الدولي ينهي مهمته في العراق", STORY)), "application/rss+xml"
    )
    w.poll("first")
    w.poll("second")  # joins before the alert goes out: the alert names it
    w.deliver()
    w.deliver()
    assert len(w.smtp.messages) == 1 and len(w.slack.posts) == 1
    body = w.smtp.messages[0].get_body(("plain",)).get_content()
    assert "also reported by" in body and "second" in body
    assert not w.store.deliveries()


# ---------------------------------------------------------------- keys, dates, one message per article


def _article(n: int = 1) -> Article:
    return Article(f"k{n}", f"https://example.org/{n}", "كتابات", "التحالف الدولي ينهي مهمته", "", "نص", NOW)


def _outbox(store, smtp, slack, tmp_path, group_rules=True) -> tuple[Outbox, dict]:
    channels = {
        "email": EmailChannel("email", local_email(smtp.port), secret_dir=tmp_path, environ={}),
        "slack": SlackChannel(
            "slack",
            SlackConfig.model_validate({"type": "slack", "webhook_url_env": "HOOK"}),
            secret_dir=tmp_path,
            environ={"HOOK": slack.url},
        ),
    }
    names = {"a": "القاعدة أ", "b": "القاعدة ب", "c": "القاعدة ج"}
    outbox = Outbox(
        store,
        channels,
        lambda r: names.get(r, r),
        Clock(NOW),
        group_rules={"email": group_rules, "slack": group_rules},
    )
    return outbox, channels


def _run(outbox: Outbox, channels: dict) -> None:
    async def go():
        await outbox.deliver_due()
        for ch in channels.values():
            await ch.aclose()

    asyncio.run(go())


def test_alert_keys_are_unique_across_databases_and_stable_across_resends(tmp_path, smtp, slack):
    ids = []
    for name in ("old", "new"):  # the same first article and match id in a lost and a new database
        store = Store(f"sqlite:///{tmp_path / name}.db")
        store.create()
        store.sync_feeds([("كتابات", "http://x.test/feed")])
        hit = (TermHit("التحالف", "title", 0, "التحالف"),)
        store.save_article("كتابات", _article(), [(Match("a", 1.0, hit), ["email", "slack"])], NOW)
        outbox, channels = _outbox(store, smtp, slack, tmp_path)
        _run(outbox, channels)
        ids.append(smtp.messages[-1]["Message-ID"])
        if name == "old":  # an operator re-sends it: the same key
            assert store.retry(NOW, all_dead=False, ids=[d.id for d in store.deliveries(("sent",))]) == 0
            store.mark_failed(1, "lost in transit", NOW)
            outbox, channels = _outbox(store, smtp, slack, tmp_path)
            _run(outbox, channels)
            assert smtp.messages[-1]["Message-ID"] == ids[0]
        store.close()
    assert ids[0] != ids[1]
    assert ids[0].startswith("<rasad.") and ".m1.email@" in ids[0]
    keys = [p["blocks"][-1]["elements"][0]["text"].rsplit("rasad:", 1)[1] for p in slack.posts]
    assert len(set(keys)) == 2


def test_one_message_per_article_and_channel_names_every_rule(tmp_path, smtp, slack):
    store = Store(f"sqlite:///{tmp_path / 'x.db'}")
    store.create()
    store.sync_feeds([("كتابات", "http://x.test/feed")])
    hit = (TermHit("التحالف", "title", 0, "التحالف"),)
    found = [(Match(r, 1.0 + i, hit), ["email", "slack"]) for i, r in enumerate("abc")]
    store.save_article("كتابات", _article(), found, NOW)
    outbox, channels = _outbox(store, smtp, slack, tmp_path)
    _run(outbox, channels)
    assert len(smtp.messages) == 1 and len(slack.posts) == 1
    subject = str(smtp.messages[0]["Subject"])
    assert all(name in subject for name in ("القاعدة أ", "القاعدة ب", "القاعدة ج"))
    assert all(name in str(slack.posts[0]) for name in ("القاعدة أ", "القاعدة ب", "القاعدة ج"))
    assert not store.deliveries()  # all six deliveries recorded as sent

    # a channel that asks for one message per rule gets three
    store.save_article("كتابات", _article(2), [(m, ch) for m, ch in found], NOW)
    outbox, channels = _outbox(store, smtp, slack, tmp_path, group_rules=False)
    _run(outbox, channels)
    assert len(smtp.messages) == 4 and len(slack.posts) == 4
    store.close()


def test_a_date_mentioned_several_times_is_shown_once(tmp_path):
    when = datetime(2027, 1, 1).date()
    said = MentionedDate("الشهر المقبل", 10, 22, when, when.replace(day=31), "month")
    art = _article()
    stored = StoredMatch(1, "a", 1.0, (), NOW, art, (), (said, said, said))
    alert = render(stored, "القاعدة أ")
    assert alert.text.count("الشهر المقبل") == 1
    assert alert.html.count("2027-01") == 1


def test_a_429_pauses_the_whole_channel_until_retry_after(tmp_path, smtp, slack):
    store = Store(f"sqlite:///{tmp_path / 'x.db'}")
    store.create()
    store.sync_feeds([("كتابات", "http://x.test/feed")])
    hit = (TermHit("التحالف", "title", 0, "التحالف"),)
    for n in range(5):
        store.save_article("كتابات", _article(n), [(Match("a", 1.0, hit), ["slack"])], NOW)
    slack.statuses.append((429, {"Retry-After": "30"}))
    outbox, channels = _outbox(store, smtp, slack, tmp_path)
    _run(outbox, channels)
    assert slack.requests == 1  # the 429; the other four waited instead of hitting the webhook
    waiting = store.deliveries()
    assert len(waiting) == 5 and all(d.next_attempt_at >= NOW + timedelta(seconds=30) for d in waiting)
    assert all(d.attempts <= 1 for d in waiting)  # waiting on the server is not a failed attempt
    outbox, channels = _outbox(store, smtp, slack, tmp_path)
    outbox.clock = Clock(NOW + timedelta(minutes=2))  # past the pause and the failed one's backoff
    _run(outbox, channels)
    assert len(slack.posts) == 5 and slack.requests == 6
    assert not store.deliveries()
    store.close()


def test_a_resend_after_a_crash_names_the_same_outlets_and_a_later_one_gets_its_follow_up(world):
    """Killed between sending the story's alert and recording it: the resend (same Message-ID, which
    mail clients show once) must say what the first copy said; an outlet that joined in between is
    not in it, so it gets a follow-up of its own."""
    w = world()
    w.site.routes["/first.xml"] = lambda h: send(
        h, 200, rss(item("urn:a:1", "التحالف الدولي ينهي مهمته في العراق", STORY)), "application/rss+xml"
    )
    w.site.routes["/second.xml"] = lambda h: send(
        h, 200, rss(item("urn:b:1", "التحالف الدولي ينهي مهمته في العراق", STORY)), "application/rss+xml"
    )
    w.poll("first")
    real = w.store.mark_sent

    class Killed(Exception):
        pass

    def crash(ids, *args, **kwargs):
        channels = {d.id: d.channel for d in w.store.deliveries(("sending",))}
        if any(channels.get(i) == "email" for i in ([ids] if isinstance(ids, int) else ids)):
            raise Killed("killed after the email went out, before its record")
        return real(ids, *args, **kwargs)

    w.store.mark_sent = crash
    with pytest.raises(Killed):
        w.deliver()
    w.store.mark_sent = real
    w.store.release_claims(w.clock.now)  # what the next start does
    w.clock.now += timedelta(minutes=1)
    w.poll("second")  # joins while the alert's record is missing
    w.deliver()
    w.deliver()
    emails = w.smtp.messages
    alerts = [m for m in emails if not m["In-Reply-To"]]
    assert len(alerts) == 2 and alerts[0]["Message-ID"] == alerts[1]["Message-ID"]  # the resend
    bodies = [m.get_body(("plain",)).get_content() for m in alerts]
    assert bodies[0] == bodies[1]  # the same message, whatever joined meanwhile
    (follow_up,) = [m for m in emails if m["In-Reply-To"]]
    assert "second" in follow_up.get_body(("plain",)).get_content()
    assert not w.store.deliveries()
