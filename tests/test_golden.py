"""Golden files for the seeds: extracted text from each page, and the example rules' matches.

Regenerate with ``pytest tests/test_golden.py --regen-golden`` and review the diff.
"""

import json
from datetime import UTC, datetime
from pathlib import Path

import lxml.html
import pytest

from monitor.config import load_config
from monitor.demo import PAGE_CHROME
from monitor.extract import extract_page
from monitor.model import Article
from monitor.rules import match

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "seeds" / "golden"
PAGES = sorted((ROOT / "seeds" / "site").glob("*/*.html"))
NOW = datetime(2026, 11, 22, tzinfo=UTC)


def fold(text: str) -> str:
    return " ".join(text.split())


def extracted(page: Path):
    x = extract_page(page.read_bytes(), f"http://seeds.rasad.invalid/{page.parent.name}/{page.name}")
    assert x is not None
    return x


@pytest.mark.parametrize("page", PAGES, ids=[p.stem for p in PAGES])
def test_extracted_text_matches_golden(page, regen):
    x = extracted(page)
    golden = GOLDEN / f"{page.stem}.txt"
    text = f"{x.title}\n{x.published.isoformat() if x.published else ''}\n\n{x.body}\n"
    if regen:
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8")


@pytest.mark.parametrize("page", PAGES, ids=[p.stem for p in PAGES])
def test_no_page_chrome_in_the_body_and_every_paragraph_kept(page):
    x = extracted(page)
    assert [c for c in PAGE_CHROME if c in x.body] == []
    doc = lxml.html.fromstring(page.read_bytes())
    paragraphs = [
        fold(e.text_content()) for e in doc.xpath("//div[@class='entry-content']/*[self::p or self::h2]")
    ]
    assert len(paragraphs) >= 8
    body = fold(x.body)
    assert [p for p in paragraphs if p not in body] == []


def test_example_rules_on_seed_pages_match_golden(regen):
    config = load_config(ROOT / "config")
    result = {}
    for page in PAGES:
        x = extracted(page)
        a = Article(
            key=page.stem, url="", source="", title=x.title, summary="", body=x.body, published=x.published
        )
        result[page.stem] = {m.rule_id: m.terms for m in match(a, config.ruleset, NOW)}
    golden = GOLDEN / "matches.json"
    if regen:
        golden.write_text(
            json.dumps(result, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8"
        )
    assert result == json.loads(golden.read_text(encoding="utf-8"))
    assert all("coalition-mission-iraq" in rules for rules in result.values())
