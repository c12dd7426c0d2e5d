"""Alert templates: golden renders of the seed alerts, RTL isolation, overrides, broken templates."""

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from alerts.email import EmailChannel
from alerts.render import render
from alerts.templates import FSI, PDI, Templates, isolate_html, isolate_text
from monitor.config import EmailChannel as EmailConfig
from monitor.config import load_config
from monitor.errors import ConfigError
from monitor.extract import extract_page
from monitor.model import Article
from monitor.rules import match
from monitor.store import StoredMatch

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden" / "alerts"
PAGES = sorted((ROOT / "seeds" / "site").glob("*/*.html"))
NOW = datetime(2026, 11, 22, tzinfo=UTC)
SOURCES = {
    "kitabat": "كتابات",
    "enabbaladi": "عنب بلدي",
    "almasalah": "المسلة",
    "kurdistan24": "كوردستان24",
    "arabi21": "عربي21",
}


def seed_stored(page: Path) -> tuple[StoredMatch, str]:
    x = extract_page(page.read_bytes(), f"https://{page.parent.name}.example/{page.name}")
    art = Article(
        page.stem,
        f"https://{page.parent.name}.example/{page.stem}.html",
        SOURCES[page.parent.name],
        x.title,
        "",
        x.body,
        x.published,
    )
    config = load_config(ROOT / "config")
    m = next(m for m in match(art, config.ruleset, NOW) if m.rule_id == "coalition-mission-iraq")
    stored = StoredMatch(int(page.stem[:3]) + 1, m.rule_id, m.score, m.hits, NOW, art, (), m.dates)
    return stored, config.ruleset.by_id[m.rule_id].name


def seed_alert(page: Path, templates: Templates):
    stored, rule_name = seed_stored(page)
    return render(stored, rule_name, templates)


def masked_email(alert) -> str:
    cfg = EmailConfig.model_validate(
        {
            "type": "email",
            "host": "127.0.0.1",
            "from": "Rasad <rasad@example.org>",
            "to": ["analysts@example.org"],
        }
    )
    raw = EmailChannel("email", cfg, secret_dir=ROOT, environ={}).message(alert).as_string()
    raw = re.sub(r"^Date: .*$", "Date: <masked>", raw, flags=re.M)
    return re.sub(r"=+\d{10,}==", "<boundary>", raw)


def test_a_follow_up_of_the_seed_story_matches_golden(regen):
    """001 (عنب بلدي) reports the Higher Military Commission talks after 003's alert went out."""
    from alerts.render import render_update

    first, rule_name = seed_stored(next(p for p in PAGES if p.stem.startswith("003")))
    later, _ = seed_stored(next(p for p in PAGES if p.stem.startswith("001")))
    update = render_update(later, first, rule_name, reply_to="m4", thread="1700000000.000001")
    outputs = {
        "eml": masked_email(update),
        "slack.json": json.dumps(update.slack, ensure_ascii=False, indent=1) + "\n",
        "html": update.html,
    }
    assert "In-Reply-To: <rasad.m4.email@example.org>" in outputs["eml"]
    for suffix, text in outputs.items():
        golden = GOLDEN / f"follow-up_001_to_003.{suffix}"
        if regen:
            golden.write_text(text, encoding="utf-8")
        assert text == golden.read_text(encoding="utf-8"), golden.name


@pytest.mark.parametrize("page", PAGES, ids=[p.stem for p in PAGES])
def test_rendered_email_and_slack_match_golden(page, regen):
    alert = seed_alert(page, Templates())
    outputs = {
        "eml": masked_email(alert),
        "slack.json": json.dumps(alert.slack, ensure_ascii=False, indent=1) + "\n",
        "html": alert.html,
    }
    for suffix, text in outputs.items():
        golden = GOLDEN / f"{page.stem}.{suffix}"
        if regen:
            golden.parent.mkdir(parents=True, exist_ok=True)
            golden.write_text(text, encoding="utf-8")
        assert text == golden.read_text(encoding="utf-8"), golden.name


def test_default_templates_show_what_analysts_need():
    alert = seed_alert(next(p for p in PAGES if "kurdistan24" in str(p)), Templates())
    html = alert.html
    assert '<html lang="ar" dir="rtl">' in html and '<body dir="rtl" lang="ar"' in html
    assert "نهاية مهمة التحالف الدولي في العراق" in html  # rule name
    assert 'href="https://kurdistan24.example/003_9752d2132f3ca193.html"' in html  # linked title
    assert "كوردستان24" in html and "2024-01-27" in html  # outlet, date
    assert "<mark>" in html and "الكلمات المطابقة" in html and "تواريخ مذكورة" in html and "الدرجة" in html
    assert '<bdi dir="ltr">HMC</bdi>' in html or "HMC" not in alert.article.body[:300]
    slack_text = json.dumps(alert.slack, ensure_ascii=False)
    assert "rasad:m4" in slack_text and "*<https://kurdistan24.example/" in slack_text


def test_bidi_isolation_of_latin_names_numbers_and_urls():
    assert isolate_html("اجتماع HMC في بغداد عام 2024 <>") == (
        'اجتماع <bdi dir="ltr">HMC</bdi> في بغداد عام <bdi dir="ltr">2024</bdi> &lt;&gt;'
    )
    assert isolate_text("قال Lloyd Austin إن") == f"قال {FSI}Lloyd Austin{PDI} إن"
    assert isolate_text("انظر https://x.example/a?b=1") == f"انظر {FSI}https://x.example/a?b=1{PDI}"


def test_templates_can_be_overridden_from_the_config_directory(tmp_path):
    (tmp_path / "email.txt.j2").write_text("مخصص: {{ title }} — {{ terms | join(', ') }}\n", encoding="utf-8")
    alert = seed_alert(PAGES[0], Templates(tmp_path))
    assert alert.text.startswith("مخصص: ")
    assert alert.html == seed_alert(PAGES[0], Templates()).html  # the others keep their defaults


def test_a_broken_template_is_a_config_error_with_its_line(tmp_path):
    (tmp_path / "email.html.j2").write_text("<p>\n{{ title </p>\n", encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        Templates(tmp_path)
    assert re.match(r".*email\.html\.j2:2: template error: ", exc.value.problems[0])


def test_every_shipped_template_compiles():
    """The defaults are compiled when first used (not at every start): each of them compiles."""
    from alerts.templates import DEFAULTS, KINDS

    assert sorted(KINDS) == sorted(p.name for p in DEFAULTS.glob("*.j2"))
    templates = Templates()
    for name in KINDS:
        assert templates._get(name).name == name
