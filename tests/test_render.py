"""Rendering alerts: one-line subjects, escaped Slack text, right-to-left HTML, email structure."""

import json
from datetime import UTC, datetime
from email import message_from_bytes, policy
from pathlib import Path

from alerts.email import EmailChannel
from alerts.render import one_line, render, slack_escape
from monitor.config import EmailChannel as EmailConfig
from monitor.model import Article, TermHit
from monitor.store import StoredMatch

NOW = datetime(2026, 11, 22, tzinfo=UTC)


def stored(
    title: str = "انسحاب التحالف الدولي من العراق", body: str = "أعلن العراق انسحاب التحالف الدولي"
) -> StoredMatch:
    art = Article(
        key="k",
        url="https://news.example/a?x=1&y=2",
        source="كتابات",
        title=title,
        summary="",
        body=body,
        published=datetime(2024, 9, 21, 14, 13, tzinfo=UTC),
    )
    hits = (TermHit("التحالف الدولي", "body", 3, "التحالف الدولي"), TermHit("العراق", "body", 1, "العراق"))
    return StoredMatch(7, "coalition", 5.0, hits, NOW, art, ())


def test_subject_is_one_line_without_bidi_overrides():
    alert = render(stored(title="عنوان\r\nBcc: x@evil.example\t\u202eخبر\u2066"), "نهاية المهمة")
    assert alert.subject == "[Rasad] نهاية المهمة: عنوان Bcc: x@evil.example خبر"
    assert one_line(" a \x00\x1b b\u2028c ") == "a b c"


def test_slack_text_is_escaped_so_no_article_can_ping_everyone():
    alert = render(stored(title="<!channel> عاجل & <@U123>", body="<!here> العراق والتحالف الدولي"), "r")
    blob = str(alert.slack)
    assert "<!channel>" not in blob and "<!here>" not in blob and "<@U123>" not in blob
    assert "&lt;!channel&gt; عاجل &amp; &lt;@U123&gt;" in blob
    assert slack_escape("a<b>&c") == "a&lt;b&gt;&amp;c"


def test_html_is_right_to_left_and_escaped():
    alert = render(stored(title="<script>x</script> خبر"), "قاعدة")
    assert '<html lang="ar" dir="rtl">' in alert.html
    assert '<body dir="rtl"' in alert.html
    assert "<script>" not in alert.html and "&lt;script&gt;" in alert.html
    assert "<mark>التحالف الدولي</mark>" in alert.html
    assert 'href="https://news.example/a?x=1&amp;y=2"' in alert.html


def test_plain_text_has_title_link_terms_and_highlighted_snippet():
    alert = render(stored(), "قاعدة")
    lines = alert.text.splitlines()
    assert lines[0] == "انسحاب التحالف الدولي من العراق"
    assert lines[2] == "https://news.example/a?x=1&y=2"
    assert "«العراق»" in alert.text and "«التحالف الدولي»" in alert.text
    assert "التحالف الدولي، العراق" in alert.text


def test_email_is_multipart_with_a_stable_message_id(tmp_path: Path):
    cfg = EmailConfig.model_validate(
        {"type": "email", "host": "127.0.0.1", "from": "Rasad <rasad@example.org>", "to": ["a@example.org"]}
    )
    channel = EmailChannel("email", cfg, secret_dir=tmp_path, environ={})
    alert = render(stored(), "قاعدة")
    msg = channel.message(alert)
    assert msg.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in msg.get_payload()] == ["text/plain", "text/html"]
    parsed = message_from_bytes(msg.as_bytes(), policy=policy.default)
    assert parsed["Subject"] == alert.subject  # every space survives folding
    assert msg["Message-ID"] == "<rasad.m7.email@example.org>"
    assert channel.message(alert)["Message-ID"] == msg["Message-ID"]  # a resend is recognisable
    long = render(stored(title="انسحاب التحالف الدولي من العراق بحلول أيلول ٢٠٢٦ " * 3), "قاعدة")
    assert (
        message_from_bytes(channel.message(long).as_bytes(), policy=policy.default)["Subject"] == long.subject
    )


def test_a_story_follow_up_is_short_right_to_left_escaped_and_names_what_it_follows():
    from alerts.render import render_update

    later = stored(title="<!channel> المسلة: التحالف ينهي مهمته in Baghdad\nBcc: x@evil.example")
    update = render_update(later, stored(), "نهاية المهمة", reply_to="m7", thread="1700000000.000001")
    assert update.key == "u7" and update.reply_to == "m7" and update.thread == "1700000000.000001"
    assert update.subject == "Re: [Rasad] نهاية المهمة: انسحاب التحالف الدولي من العراق"
    assert '<html lang="ar" dir="rtl">' in update.html and "<bdi>" in update.html
    assert "<!" not in str(update.slack) and "&lt;!" in str(update.slack)  # no @channel ping
    assert "\n" not in update.text.splitlines()[1]  # the title stays on one line
    assert update.data["type"] == "story.update" and update.data["follows"] == "m7"
    assert update.data["story"]["title"] == "انسحاب التحالف الدولي من العراق"


def test_a_page_that_gave_only_a_date_shows_no_made_up_time():
    from alerts.render import _date

    assert _date(datetime(2024, 1, 27, tzinfo=UTC)) == "2024-01-27"
    assert _date(datetime(2024, 1, 27, 12, 20, tzinfo=UTC)) == "2024-01-27 12:20 UTC"
    assert _date(None) == "date unknown"


def test_a_megabyte_title_makes_a_small_alert_within_slacks_limits():
    from dataclasses import replace

    huge = "عنوان طويل جدا " * 70_000  # about 1 MB
    m = stored(title=huge, body="أعلن العراق انسحاب التحالف الدولي " + huge)
    m = replace(m, article=replace(m.article, source="مصدر" * 10_000, summary=huge))
    alert = render(m, "قاعدة " * 1_000)
    payload = json.dumps(alert.slack, ensure_ascii=False)
    assert len(payload) < 20_000
    for block in alert.slack["blocks"]:
        texts = [block.get("text", {}).get("text", "")] + [e["text"] for e in block.get("elements", [])]
        assert all(len(t) <= 3_000 for t in texts)  # Block Kit's limit per text
    assert len(alert.text) < 20_000 and len(alert.html) < 40_000 and len(alert.subject) <= 250
    assert len(json.dumps(alert.data, ensure_ascii=False)) < 40_000
    email = EmailChannel(
        "email",
        EmailConfig.model_validate(
            {"type": "email", "host": "127.0.0.1", "from": "r@example.org", "to": ["a@example.org"]}
        ),
        secret_dir=Path("."),
        environ={},
    ).message(alert)
    assert len(email.as_bytes()) < 150_000


def test_only_http_links_become_links():
    from dataclasses import replace

    bad_links = (
        "javascript:alert(document.cookie)",
        "JavaScript:x",
        "data:text/html,<script>x</script>",
        "http://x.example/a b",
    )
    for bad in bad_links:
        m = stored()
        alert = render(replace(m, article=replace(m.article, url=bad)), "r")
        slack = json.dumps(alert.slack, ensure_ascii=False)
        assert "href" not in alert.html and bad not in alert.html and bad not in slack
        assert "انسحاب التحالف الدولي من العراق" in alert.html and "انسحاب التحالف الدولي من العراق" in slack
    good = render(stored(), "r")
    assert 'href="https://news.example/a?x=1&amp;y=2"' in good.html
    assert "<https://news.example/a?x=1&amp;y=2|" in json.dumps(good.slack, ensure_ascii=False)
