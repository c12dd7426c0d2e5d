"""Later outlets of a story: a Slack thread reply and an email in the same thread after the alert
went out; nothing extra when the alert itself named them; a digest of follow-ups when configured.
Real SMTP (aiosmtpd) and a Slack stand-in that speaks chat.postMessage."""

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from alerts.email import EmailChannel
from alerts.outbox import Outbox
from alerts.slack import SlackChannel
from monitor.config import SlackChannel as SlackConfig
from monitor.model import Article, Match, TermHit
from monitor.pacing import first_due, parse_mode
from monitor.store import Store, StoryLink
from tests.conftest import Clock, local_email

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
HIT = (TermHit("التحالف", "title", 1, "التحالف"),)


class World:
    def __init__(
        self,
        tmp_path,
        smtp,
        slack,
        email_updates="reply",
        slack_updates="reply",
        mode="immediate",
        database=None,
    ):
        tmp_path.mkdir()
        self.store = Store(database or f"sqlite:///{tmp_path / 'x.db'}")
        self.store.create()
        self.clock = Clock(NOW)
        self.mode = mode
        self.updates = {"email": email_updates, "slack": slack_updates}
        outlets = ("كتابات", "المسلة", "عنب بلدي")
        self.store.sync_feeds([(o, f"http://{i}.test/feed") for i, o in enumerate(outlets)])
        email = local_email(smtp.port)
        api = SlackConfig.model_validate(
            {"type": "slack", "token_env": "SLACK_TOKEN", "channel": "C0RASAD", "api_url": slack.api_url}
        )
        env = {"SLACK_TOKEN": slack.token}
        self.channels = {
            "email": EmailChannel("email", email, secret_dir=tmp_path, environ={}),
            "slack": SlackChannel("slack", api, secret_dir=tmp_path, environ=env),
        }
        self.outbox = Outbox(self.store, self.channels, lambda r: "انسحاب التحالف", self.clock)
        self.first: int | None = None
        self.loop = asyncio.new_event_loop()  # one loop: the Slack client keeps its connections

    def report(self, outlet: str) -> None:
        """An outlet reports the story: the first one starts it, later ones join (as the pipeline does)."""
        art = Article(
            uuid.uuid4().hex,
            f"https://{uuid.uuid4().hex[:6]}.example/a",
            outlet,
            f"{outlet}: التحالف الدولي ينهي مهمته في بغداد",
            "",
            "نص الخبر",
            self.clock.now,
        )
        now = self.clock.now
        if self.first is None:
            routes = [
                (ch, self.mode, first_due(parse_mode(self.mode), now, UTC)) for ch in ("email", "slack")
            ]
            link = StoryLink(frozenset({"تحالف"}))
        else:
            routes = []
            for ch in ("email", "slack"):
                setting = self.updates[ch]
                if setting != "off":
                    mode = "immediate" if setting == "reply" else setting
                    routes.append((ch, mode, first_due(parse_mode(mode), now, UTC), "update"))
            link = StoryLink(frozenset({"تحالف"}), joined=self.first, score=0.4, shared=("تحالف",))
        self.store.save_article(outlet, art, [(Match("r", 3.0, HIT), routes)], now, link)
        if self.first is None:
            self.first = self.store.story_candidates(now - timedelta(days=1))[-1].story_id

    def deliver(self) -> None:
        self.loop.run_until_complete(self.outbox.deliver_due())

    def close(self) -> None:
        for channel in self.channels.values():
            self.loop.run_until_complete(channel.aclose())
        self.loop.close()
        self.store.close()


@pytest.fixture
def world(tmp_path, smtp, slack):
    worlds = []

    def make(**kwargs):
        w = World(tmp_path / str(len(worlds)), smtp, slack, **kwargs)
        worlds.append(w)
        return w

    yield make
    for w in worlds:
        w.close()


def test_a_later_outlet_is_a_slack_thread_reply_and_an_email_in_the_same_thread(
    world, smtp, slack, database_url
):
    w = world(database=database_url)  # SQLite and PostgreSQL
    w.report("كتابات")
    w.deliver()
    assert len(smtp.messages) == 1 and len(slack.posts) == 1
    alert_ts = slack.posts[0]["ts"]
    assert "thread_ts" not in slack.posts[0]
    alert_id = smtp.messages[0]["Message-ID"]

    w.clock.now += timedelta(hours=2)
    w.report("المسلة")
    w.deliver()
    assert len(smtp.messages) == 2 and len(slack.posts) == 2
    reply = slack.posts[1]
    assert reply["thread_ts"] == alert_ts  # in the alert's thread, not a new post in the channel
    assert reply["channel"] == "C0RASAD"
    assert "المسلة" in reply["text"] and "نشرته أيضاً" in reply["text"]
    follow = smtp.messages[1]
    assert follow["In-Reply-To"] == alert_id and follow["References"] == alert_id
    assert follow["Subject"].startswith("Re: [Rasad]")
    body = follow.get_body(("plain",)).get_content()
    assert "المسلة" in body and "also reported by" in body

    w.report("عنب بلدي")  # a third outlet: another reply in the same thread
    w.deliver()
    assert slack.posts[2]["thread_ts"] == alert_ts
    assert smtp.messages[2]["In-Reply-To"] == alert_id
    w.deliver()  # and nothing twice
    assert len(slack.posts) == 3 and len(smtp.messages) == 3


def test_an_outlet_named_in_the_alert_itself_gets_no_follow_up(world, smtp, slack):
    """The alert waits in a digest; two more outlets join before it goes out: it names them, and
    their follow-ups wait for it, then end without a message of their own."""
    w = world(mode="digest daily 18:00")
    w.report("كتابات")
    w.clock.now += timedelta(hours=1)
    w.report("المسلة")
    w.deliver()  # 10:00: the digest is not due; the follow-ups wait for it
    assert not smtp.messages and not slack.posts
    assert {d.status for d in w.store.deliveries()} == {"pending"}
    from monitor.show import format_deliveries

    listing = format_deliveries(w.store.deliveries(), w.clock.now)  # what `rasad deliveries` prints
    rows = listing.splitlines()[1:]
    assert len(rows) == 4 and sum("r (follow-up)" in row for row in rows) == 2  # 2 alerts, 2 follow-ups
    w.clock.now = datetime(2026, 11, 22, 18, 0, tzinfo=UTC)
    w.deliver()
    w.clock.now += timedelta(minutes=5)
    w.deliver()
    assert len(smtp.messages) == 1 and len(slack.posts) == 1  # the digest, on each channel
    assert "المسلة" in smtp.messages[0].get_body(("plain",)).get_content()
    assert not w.store.deliveries()  # nothing left pending


def test_follow_ups_can_be_collected_into_a_digest_or_turned_off(world, smtp, slack):
    w = world(email_updates="digest daily 18:00", slack_updates="off")
    w.report("كتابات")
    w.deliver()
    w.clock.now += timedelta(hours=1)
    w.report("المسلة")
    w.report("عنب بلدي")
    w.deliver()
    assert len(smtp.messages) == 1 and len(slack.posts) == 1  # only the alerts so far
    w.clock.now = datetime(2026, 11, 22, 18, 0, tzinfo=UTC)
    w.deliver()
    assert len(smtp.messages) == 2 and len(slack.posts) == 1  # one digest of follow-ups; Slack: off
    digest = smtp.messages[1].get_body(("plain",)).get_content()
    assert "المسلة" in digest and "عنب بلدي" in digest and "follow-up to" in digest


def test_slack_api_errors_are_retried_or_dead_lettered(world, smtp, slack):
    w = world()
    slack.api_errors.append("ratelimited")
    w.report("كتابات")
    w.deliver()
    (d,) = [d for d in w.store.deliveries() if d.channel == "slack"]
    assert d.status == "pending" and "ratelimited" in (d.last_error or "")
    slack.api_errors.append("channel_not_found")
    w.clock.now += timedelta(hours=2)
    w.deliver()
    (d,) = [d for d in w.store.deliveries() if d.channel == "slack"]
    assert d.status == "dead" and "channel_not_found" in (d.last_error or "")
    assert slack.token not in (d.last_error or "")


def test_a_channel_that_never_got_the_story_gets_the_later_article_as_an_alert(world, smtp, slack):
    """The first alert died on Slack (a bad channel id): for Slack the story is news when the next
    outlet reports it, so that one goes out in full, not as a reply to nothing."""
    w = world()
    slack.api_errors.append("channel_not_found")
    w.report("كتابات")
    w.deliver()
    w.clock.now += timedelta(hours=1)
    w.report("المسلة")
    w.deliver()
    (post,) = slack.posts
    assert "thread_ts" not in post
    assert "also reported by" not in post["text"] and "المسلة" in str(post["blocks"])
