"""Rules that say what analysts mean: ``~word`` for a word and its inflections, and groups scoped
to one sentence, one paragraph, the title or the lead, with explanations that say which scope
held or failed. Texts written here."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from monitor.config import load_rules_file
from monitor.errors import ConfigError
from monitor.explain import explain
from monitor.model import Article
from monitor.rules import match, paragraph_ids, sentence_ids
from monitor.show import format_explanation

NOW = datetime(2026, 11, 22, tzinfo=UTC)

TWO_PARAGRAPHS = (
    "زار وزير الدفاع الأمريكي قاعدة في الخليج والتقى قادة عسكريين.\n"
    "وفي شأن آخر تحدث الخبراء عن الانتقال إلى مرحلة جديدة في الاقتصاد العراقي."
)
ONE_SENTENCE = "قال وزير الدفاع الأمريكي إن الانتقال إلى شراكة أمنية مع العراق بدأ."


def article(body: str, title: str = "خبر") -> Article:
    return Article("k", "https://x.example/1", "موقع", title, "", body, NOW)


def ruleset(tmp_path, rules: str):
    path = tmp_path / "rules.yaml"
    path.write_text(rules, encoding="utf-8")
    return load_rules_file(path)


def test_a_verb_in_every_person_and_tense_matches_through_tilde(tmp_path):
    rs = ruleset(tmp_path, "rules:\n  - id: exit\n    all: [الاحتلال, ~غادر]\n")
    for body in (
        "قوات الاحتلال ستغادر البلاد",
        "وغادرت قوات الاحتلال القاعدة",
        "يغادرون أرضنا: الاحتلال إلى زوال",
        "مغادرة الاحتلال الأمريكي",
        "الاحتلال يغادرها مرغما",
    ):
        found = match(article(body), rs, NOW)
        assert [m.rule_id for m in found] == ["exit"], body
        assert "~غادر" in found[0].terms
    assert not match(article("قوات الاحتلال غدرت بالسكان"), rs, NOW)  # غدر is another verb


def test_tilde_works_inside_a_phrase_and_explains_as_written(tmp_path):
    rs = ruleset(tmp_path, "rules:\n  - id: exit\n    any: [~انسحاب القوات]\n")
    (m,) = match(article("أعلن المتحدث انسحابات القوات من القاعدة"), rs, NOW)
    assert m.hits[0].term == "~انسحاب القوات" and m.hits[0].text == "انسحابات القوات"
    assert not match(article("أعلن المتحدث انسحاب الوفد من القاعدة"), rs, NOW)


@pytest.mark.parametrize(
    "term, message",
    [
        ("~في", "term '~في': ~ needs an Arabic word of at least 3 letters, not 'في'"),
        ("~انسحاب*", "'~انسحاب*' takes ~ or *, not both"),
    ],
)
def test_a_term_tilde_cannot_inflect_is_an_error_at_its_line(tmp_path, term, message):
    with pytest.raises(ConfigError) as exc:
        ruleset(tmp_path, f"rules:\n  - id: r\n    any: ['{term}']\n")
    assert "rules.yaml:3:11: rules[0].any[0]:" in str(exc.value) and message in str(exc.value)


SCOPED = """rules:
  - id: exit
    all:
      - all: [وزير الدفاع الأمريكي, الانتقال]
        scope: SCOPE
"""


def test_a_group_scoped_to_a_paragraph_needs_its_terms_in_one_paragraph(tmp_path):
    rs = ruleset(tmp_path, SCOPED.replace("SCOPE", "paragraph"))
    unscoped = ruleset(tmp_path, SCOPED.replace("        scope: SCOPE\n", ""))
    assert match(article(TWO_PARAGRAPHS), unscoped, NOW)  # the words are in the article…
    assert not match(article(TWO_PARAGRAPHS), rs, NOW)  # …but in different paragraphs
    (m,) = match(article(ONE_SENTENCE), rs, NOW)
    assert m.terms == ["وزير الدفاع الأمريكي", "الانتقال"]


def test_a_group_scoped_to_a_sentence_and_a_near_scoped_to_a_paragraph(tmp_path):
    rs = ruleset(tmp_path, SCOPED.replace("SCOPE", "sentence"))
    two_sentences = "وزير الدفاع الأمريكي في بغداد. الانتقال إلى الشراكة يبدأ غدا."
    assert not match(article(two_sentences), rs, NOW)
    assert match(article(ONE_SENTENCE), rs, NOW)
    near = ruleset(
        tmp_path,
        "rules:\n  - id: n\n    all:\n      - near: [وزير الدفاع الأمريكي, الانتقال]\n"
        "        within: 30\n        scope: paragraph\n",
    )
    assert match(article(two_sentences), near, NOW)  # one paragraph, two sentences
    assert not match(article(TWO_PARAGRAPHS), near, NOW)


def test_a_group_in_the_title_or_the_lead(tmp_path):
    rules = """rules:
  - id: title
    all:
      - any: [~انسحب]
        in: title
  - id: lead
    all:
      - any: [~انسحب]
        in: lead
        lead_words: 10
"""
    rs = ruleset(tmp_path, rules)
    late = "كلمة " * 30 + "وانسحبت القوات"
    assert [m.rule_id for m in match(article(late, "انسحاب القوات"), rs, NOW)] == ["title", "lead"]
    assert not match(article(late, "خبر عادي"), rs, NOW)  # the body mentions it only after the lead
    early = "انسحبت القوات " + "كلمة " * 30
    assert [m.rule_id for m in match(article(early, "خبر عادي"), rs, NOW)] == ["lead"]


def test_explanations_say_which_scope_held_or_failed(tmp_path):
    rs = ruleset(tmp_path, SCOPED.replace("SCOPE", "paragraph"))
    (failed,) = explain(article(TWO_PARAGRAPHS), rs, NOW)
    assert not failed.matched
    assert failed.nearest_miss == (
        "all › all (within one paragraph): its parts occur in the article, but not within one paragraph"
    )
    assert "✗ all (within one paragraph) — its parts occur in the article, but not within one paragraph" in (
        format_explanation(failed)
    )
    (held,) = explain(article("مقدمة.\n" + ONE_SENTENCE), rs, NOW)
    assert held.matched
    shown = format_explanation(held)
    assert f"✓ all (within one paragraph) — held in one paragraph of the body: «{ONE_SENTENCE[:-1]}»" in shown


@pytest.mark.parametrize(
    "group, message",
    [
        ("{none: [أ], scope: sentence}", "'scope' does not go with 'none' (it would change nothing)"),
        ("{all: [أب], scope: page}", "scope is sentence or paragraph, not 'page'"),
        ("{all: [أب], in: body}", "in is title or lead, not 'body'"),
        ("{all: [أب], lead_words: 20}", "lead_words goes with in: lead"),
        ("{all: [أب], in: lead, lead_words: 2}", "lead_words is a whole number from 5 to 1000, not 2"),
    ],
)
def test_scope_mistakes_are_errors(tmp_path, group, message):
    with pytest.raises(ConfigError) as exc:
        ruleset(tmp_path, f"rules:\n  - id: r\n    all:\n      - {group}\n")
    assert message in str(exc.value)


def test_sentences_and_paragraphs_are_numbered_by_the_marks_between_words():
    # a mark inside a word's span counts for nothing; a mark between two words (2.5 is two
    # number tokens) or before the first begins a unit; several marks in one gap begin one
    text = "قال: 2.5 ألف جندي. ﻻ بد\nكوردستان24 غادروا؟! نعم"
    assert sentence_ids(text) == [0, 0, 1, 1, 1, 2, 2, 3, 3, 3, 4]
    assert paragraph_ids(text) == [0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1]
    assert sentence_ids(". أولا ،\n\nثانيا") == [1, 2]
    assert paragraph_ids(". أولا ،\n\nثانيا") == [0, 1]
    assert sentence_ids("") == paragraph_ids("") == []
