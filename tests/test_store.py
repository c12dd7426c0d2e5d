"""The store, on SQLite and on a real PostgreSQL (same code, same tests)."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from monitor.errors import StoreError
from monitor.model import Article, FeedReport, Match, TermHit
from monitor.store import Store

NOW = datetime(2026, 11, 22, 12, tzinfo=UTC)


def article(key: str = "k1", title: str = "انسحاب التحالف") -> Article:
    return Article(
        key=key,
        url=f"http://x.test/{key}",
        source="كتابات",
        title=title,
        summary="ملخص",
        body="نص",
        published=NOW - timedelta(hours=1),
    )


def a_match(rule: str = "r1") -> Match:
    return Match(rule, 4.0, (TermHit("التحالف", "title", 1, "التحالف"),))


@pytest.fixture
def store(database_url):
    s = Store(database_url)
    s.create()
    s.sync_feeds([("كتابات", "http://x.test/feed")])
    yield s
    s.close()


def test_article_matches_and_deliveries_are_written_together(store):
    ids = store.save_article(
        "كتابات", article(), [(a_match("r1"), ["email", "slack"]), (a_match("r2"), ["slack"])], NOW
    )
    assert len(ids) == 2
    assert store.counts() == {"feeds": 1, "articles": 1, "matches": 2, "deliveries_pending": 3}
    m1, _ = store.matches()
    assert m1.article.title == "انسحاب التحالف" and m1.article.source == "كتابات"
    assert m1.hits == (TermHit("التحالف", "title", 1, "التحالف"),)
    assert m1.article.published == NOW - timedelta(hours=1)
    assert m1.article.published.tzinfo is not None
    assert sorted(m1.deliveries) == [("email", "pending"), ("slack", "pending")]


def test_an_article_is_stored_once(store):
    assert store.save_article("كتابات", article(), [(a_match(), ["email"])], NOW)
    assert store.save_article("كتابات", article(), [(a_match(), ["email"])], NOW) == []
    assert store.counts()["articles"] == 1
    assert store.counts()["deliveries_pending"] == 1
    assert store.known_keys(["k1", "k2"]) == {"k1"}


def test_a_batch_of_articles_is_stored_whole_each_and_a_known_one_is_left(store):
    store.save_article("كتابات", article("k0"), [], NOW)
    batch = [
        ("كتابات", article("k0"), [(a_match(), ["email"])], NOW, None),  # stored already
        ("كتابات", article("k1"), [(a_match("r1"), ["email", "slack"])], NOW, None),
        ("كتابات", article("k2"), [], NOW, None),
        ("كتابات", article("k1"), [(a_match("r1"), ["email"])], NOW, None),  # twice in one batch
    ]
    ids = store.save_articles(batch)
    assert [len(i) for i in ids] == [0, 1, 0, 0]
    assert store.counts() == {"feeds": 1, "articles": 3, "matches": 1, "deliveries_pending": 2}


def test_poll_records_of_several_feeds_in_one_transaction(store):
    from monitor.store import PollRecord

    store.sync_feeds([("كتابات", "http://x.test/feed"), ("المسلة", "http://y.test/feed")])
    store.record_polls(
        [
            PollRecord(FeedReport("كتابات", "ok"), NOW, etag='"a"'),
            PollRecord(FeedReport("المسلة", "error", error="fetch: HTTP 500"), NOW),
            PollRecord(FeedReport("محذوف", "ok"), NOW),  # dropped from feeds.yaml meanwhile
        ]
    )
    assert store.feed_state("كتابات").etag == '"a"'
    states = {f.name: (f.status, f.error_count) for f in store.feeds()}
    assert states == {"كتابات": ("ok", 0), "المسلة": ("error", 1)}


def test_feed_states_of_a_whole_cycle_read_together(store):
    from monitor.store import PollRecord

    names = [f"feed{n}" for n in range(600)]  # more than one IN (...) chunk
    store.sync_feeds([(n, f"http://x.test/{n}") for n in names])
    store.record_polls(
        [
            PollRecord(FeedReport("feed7", "ok"), NOW, etag='"seven"'),
            PollRecord(FeedReport("feed599", "error", error="fetch: HTTP 500"), NOW),
        ]
    )
    states = store.feed_states([*names, "not-stored"])
    assert len(states) == 601
    assert states["feed7"].etag == '"seven"' and states["feed7"].error_count == 0
    assert states["feed599"].error_count == 1 and states["feed599"].etag is None
    assert states["not-stored"].etag is None and states["not-stored"].error_count == 0
    assert states["feed7"] == store.feed_state("feed7")


def test_claim_send_and_never_again(store):
    store.save_article("كتابات", article(), [(a_match(), ["email"])], NOW)
    (d,) = store.claim_due(NOW, timedelta(minutes=5))
    assert d.attempts == 1 and d.channel == "email" and d.match.article.key == "k1"
    assert store.claim_due(NOW, timedelta(minutes=5)) == []  # leased: nobody else sends it
    store.mark_sent(d.id, NOW)
    assert store.claim_due(NOW + timedelta(hours=1), timedelta(minutes=5)) == []
    assert store.counts()["deliveries_sent"] == 1


def test_a_crash_mid_send_makes_the_delivery_due_again(store):
    store.save_article("كتابات", article(), [(a_match(), ["email"])], NOW)
    (d,) = store.claim_due(NOW, timedelta(minutes=5))
    # the process dies here; at the next start the claim is released
    assert store.release_claims(NOW) == 1
    (again,) = store.claim_due(NOW, timedelta(minutes=5))
    assert again.id == d.id and again.attempts == 2


def test_failures_retry_then_dead_letter_and_requeue(store):
    store.save_article("كتابات", article(), [(a_match(), ["email"])], NOW)
    (d,) = store.claim_due(NOW, timedelta(minutes=5))
    store.mark_failed(d.id, "alert: 451 greylisted", NOW + timedelta(minutes=1))
    assert store.claim_due(NOW, timedelta(minutes=5)) == []
    (d,) = store.claim_due(NOW + timedelta(minutes=1), timedelta(minutes=5))
    store.mark_failed(d.id, "alert: 550 no such user", None)
    (dead,) = store.deliveries()
    assert dead.status == "dead" and dead.last_error == "alert: 550 no such user" and dead.attempts == 2
    assert store.retry(NOW, all_dead=True) == 1
    (d,) = store.claim_due(NOW, timedelta(minutes=5))
    assert d.attempts == 1


def test_poll_state_lives_on_the_feed(store):
    store.record_poll(
        FeedReport("كتابات", "ok"), NOW, etag='"abc"', last_modified="Sat, 01 Jan 2022 00:00:00 GMT"
    )
    assert store.feed_state("كتابات").etag == '"abc"'
    store.record_poll(FeedReport("كتابات", "error", error="fetch: HTTP 500"), NOW)
    store.record_poll(FeedReport("كتابات", "error", error="fetch: HTTP 502"), NOW)
    (f,) = store.feeds()
    assert (f.status, f.error_count, f.last_error) == ("error", 2, "fetch: HTTP 502")
    assert store.feed_state("كتابات").etag == '"abc"'  # validators survive errors
    store.record_poll(FeedReport("كتابات", "not_modified"), NOW)
    (f,) = store.feeds()
    assert (f.status, f.error_count, f.last_error) == ("not_modified", 0, None)


def test_changed_feed_url_resets_validators(store):
    store.record_poll(FeedReport("كتابات", "ok"), NOW, etag='"abc"')
    store.sync_feeds([("كتابات", "http://x.test/new-feed")])
    assert store.feed_state("كتابات").etag is None


def test_matches_filters(store):
    store.save_article("كتابات", article("a"), [(a_match("r1"), [])], NOW - timedelta(days=10))
    store.save_article("كتابات", article("b"), [(a_match("r2"), [])], NOW)
    assert [m.rule_id for m in store.matches(since=NOW - timedelta(days=7))] == ["r2"]
    assert [m.article.key for m in store.matches(rule="r1")] == ["a"]


def test_sqlite_settings(tmp_path):
    s = Store(f"sqlite:///{tmp_path / 'sub' / 'x.db'}")  # the directory is created
    s.create()
    with s.engine.connect() as c:
        assert c.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert c.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL
        assert c.execute(text("PRAGMA busy_timeout")).scalar() == 10000
    s.close()


def test_unusable_database_is_a_clear_error():
    bad = Store("postgresql://nobody@127.0.0.1:9/none")
    with pytest.raises(StoreError) as exc:
        bad.create()
    assert str(exc.value).startswith("store: cannot create tables:")
    assert "check the database URL" in (exc.value.hint or "")


def test_sqlite_write_transactions_take_the_write_lock_at_begin(tmp_path):
    """BEGIN IMMEDIATE: a writer holds the lock from its first statement, so two writers queue on the
    busy timeout instead of deadlocking on a read-to-write upgrade."""
    import sqlite3

    s = Store(f"sqlite:///{tmp_path / 'x.db'}")
    s.create()
    other = sqlite3.connect(tmp_path / "x.db", timeout=0, isolation_level=None)
    with s._write("test") as session:
        session.exec(text("SELECT 1"))  # a read only: with a deferred BEGIN no lock would be held yet
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
    other.execute("BEGIN IMMEDIATE")  # released at commit
    other.execute("ROLLBACK")
    other.close()
    s.close()


def test_a_locked_database_is_waited_for(tmp_path):
    import sqlite3
    import threading
    import time

    s = Store(f"sqlite:///{tmp_path / 'x.db'}")
    s.create()
    s.sync_feeds([("كتابات", "http://x.test/feed")])
    other = sqlite3.connect(tmp_path / "x.db", isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")  # another writer holds the database for a while
    threading.Timer(1.5, lambda: other.execute("COMMIT")).start()
    start = time.monotonic()
    assert s.save_article("كتابات", article(), [(a_match(), ["email"])], NOW)
    assert time.monotonic() - start >= 1.0  # it waited for the lock instead of failing
    other.close()
    s.close()


def test_a_full_disk_is_reported_and_nothing_recorded_is_lost(tmp_path):
    from sqlalchemy import event

    s = Store(f"sqlite:///{tmp_path / 'x.db'}")
    s.create()
    s.sync_feeds([("كتابات", "http://x.test/feed")])
    s.save_article("كتابات", article("before"), [(a_match(), ["email"])], NOW)
    pages = s.engine.connect().exec_driver_sql("PRAGMA page_count").scalar()

    @event.listens_for(s.engine, "connect")
    def _full(dbapi_conn, _):  # SQLite's own "disk full": the file may not grow any more
        dbapi_conn.execute(f"PRAGMA max_page_count = {pages}")

    s.engine.dispose()
    big = article("big", title="x" * 200_000)
    with pytest.raises(StoreError) as exc:
        s.save_article("كتابات", big, [(a_match(), ["email"])], NOW)
    assert "database or disk is full" in str(exc.value)
    assert "free disk space" in (exc.value.hint or "")
    assert s.counts()["deliveries_pending"] == 1  # what was recorded before is intact
    event.remove(s.engine, "connect", _full)
    s.engine.dispose()  # space is back
    assert s.save_article("كتابات", big, [(a_match(), ["email"])], NOW)
    assert s.counts()["deliveries_pending"] == 2
    s.close()


def test_an_older_database_is_upgraded_in_place(database_url):
    """A database created before columns were added gets them at start-up, its rows kept."""
    from sqlalchemy import create_engine as raw_engine

    url = database_url.replace("postgresql://", "postgresql+psycopg://")
    old = raw_engine(url)
    with old.begin() as conn:  # the first release's feeds table, without the later columns
        conn.exec_driver_sql(
            "CREATE TABLE feeds (id INTEGER PRIMARY KEY, name VARCHAR NOT NULL UNIQUE, url VARCHAR NOT NULL, "
            "etag VARCHAR, last_modified VARCHAR, last_polled_at TIMESTAMP, last_success_at TIMESTAMP, "
            "last_status VARCHAR, last_error TEXT, error_count INTEGER NOT NULL)"
        )
        conn.exec_driver_sql(
            "INSERT INTO feeds (id, name, url, error_count) VALUES (1, 'كتابات', 'http://x.test/f', 2)"
        )
    old.dispose()
    s = Store(database_url)
    s.create()
    s.create()  # idempotent
    (f,) = s.feeds()
    assert (f.name, f.error_count, f.next_poll_at) == ("كتابات", 2, None)
    s.sync_feeds([("كتابات", "http://x.test/f")])
    assert s.save_article("كتابات", article(), [(a_match(), ["email"])], NOW)
    s.close()


def test_ingest_commits_without_waiting_for_the_disk_and_delivery_states_wait(store):
    """Articles and poll records: a lazy commit (lost at worst by a power loss, then fetched again);
    claiming or marking a delivery: a durable one, which carries every earlier commit to disk."""
    from sqlalchemy import event

    seen: list[str] = []

    @event.listens_for(store.engine, "before_cursor_execute")
    def _statement(conn, cursor, statement, *args):
        seen.append(statement)

    def sync_modes() -> list[str]:
        modes = [s for s in seen if "synchronous" in s]
        seen.clear()
        return modes

    store.save_article("كتابات", article(), [(a_match(), ["email"])], NOW)
    lazy = sync_modes()
    (d,) = store.claim_due(NOW, timedelta(minutes=5))
    store.mark_sent(d.id, NOW)
    durable = sync_modes()
    if store.dialect == "sqlite":
        assert lazy == ["PRAGMA synchronous = NORMAL"]
        assert durable and set(durable) == {"PRAGMA synchronous = FULL"}
    else:
        assert lazy == ["SET LOCAL synchronous_commit TO OFF"] and durable == []


def test_story_members_can_be_read_from_an_id_on(store):
    from collections import Counter

    from monitor.store import StoryLink

    for key in ("k1", "k2"):
        store.save_article(
            "كتابات",
            article(key),
            [(a_match(), ["email"])],
            NOW,
            StoryLink(frozenset({"قوات"}), lead=Counter({"قوات": 1})),
        )
    first, second = store.story_candidates(NOW - timedelta(days=1))
    assert [m.article_id for m in store.story_candidates(NOW - timedelta(days=1), first.article_id)] == [
        second.article_id
    ]
    assert second.fetched == NOW and second.lead == Counter({"قوات": 1})


def test_a_storys_rules_and_a_members_text_are_read_back(store):
    from monitor.store import StoryLink

    [first_match] = store.save_article(
        "كتابات", article("k1"), [(a_match("r1"), ["email"])], NOW, StoryLink(frozenset())
    )
    first = store.story_candidates(NOW - timedelta(days=1))[0].article_id
    assert first_match and store.story_rules(first) == {"r1"}
    joined = StoryLink(frozenset(), joined=first, score=0.5)
    store.save_article("كتابات", article("k2", "عنوان ثان"), [(a_match("r2"), ["email"])], NOW, joined)
    assert store.story_rules(first) == {"r1", "r2"}
    assert store.story_rules(first + 1000) == set()
    assert store.article_text(first) == ("انسحاب التحالف", "نص")
    assert store.article_text(first + 1000) == ("", "")
