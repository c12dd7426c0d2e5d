"""The tuning loop: labelled examples, precision and recall per rule with the misses and false alarms
explained, a fixed split, and suggested terms. Examples written here; the development corpus (not in
the repository) is measured in tests/test_devset.py when it is present."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from monitor.config import load_rules_file
from monitor.evaluate import evaluate, report
from monitor.labelled import LabelledError, choose, in_first_half, load
from monitor.suggest import report as suggest_report
from monitor.suggest import suggest

NOW = datetime(2026, 11, 22, tzinfo=UTC)
RULES = """rules:
  - id: exit
    all:
      - any: [التحالف الدولي]
      - any: [انسحاب, انتهاء المهمة]
"""
EXAMPLES = [
    ("p1", "pos", "انسحاب التحالف الدولي من العراق", "أعلنت بغداد انسحاب التحالف الدولي من قاعدة عين الأسد"),
    ("p2", "pos", "انتهاء المهمة", "التحالف الدولي يعلن انتهاء المهمة في العراق"),
    ("p3", "pos", "الاحتلال يغادر", "قوات الاحتلال الأمريكي تغادر قاعدة عين الأسد في الأنبار"),
    ("p4", "pos", "رحيل الاحتلال", "رحيل قوات الاحتلال الأمريكي عن قاعدة عين الأسد اليوم"),
    ("n1", "neg_hard", "التحالف العربي", "انسحاب التحالف الدولي من المفاوضات اليمنية بعد جولة"),
    ("n2", "neg", "طقس", "أمطار غزيرة على بغداد اليوم وانخفاض درجات الحرارة"),
    ("n3", "neg_hard", "هجوم", "هجوم بطائرة مسيرة على قاعدة عين الأسد دون إصابات"),
]


@pytest.fixture
def corpus(tmp_path):
    path = tmp_path / "labelled.jsonl"
    path.write_text(
        "".join(
            json.dumps({"id": i, "label": lab, "title": t, "text": x}, ensure_ascii=False) + "\n"
            for i, lab, t, x in EXAMPLES
        ),
        encoding="utf-8",
    )
    rules = tmp_path / "rules.yaml"
    rules.write_text(RULES, encoding="utf-8")
    return path, load_rules_file(rules)


def test_precision_recall_and_the_misses_and_false_alarms_explained(corpus):
    path, ruleset = corpus
    ev = evaluate(load(path), ruleset, NOW)
    s = ev.rules["exit"]
    assert (s.tp, s.fp, s.fn, s.tn) == (2, 1, 2, 2)
    assert (round(s.precision, 3), s.recall, round(s.f1, 3)) == (0.667, 0.5, 0.571)
    assert [m.example.id for m in ev.misses] == ["p3", "p4"]
    assert ev.misses[0].nearest == [("exit", "all › any: none of 1 alternatives found")]
    (alarm,) = ev.false_alarms
    assert alarm.example.id == "n1" and alarm.fired == [("exit", ["انسحاب", "التحالف الدولي"])]
    text = report(ev)
    assert "exit                                2    1    2      0.667   0.500  0.571" in text
    assert "missed (2):" in text and "  p3  الاحتلال يغادر" in text
    assert "false alarms (1):" in text and "  n1 [neg_hard]  التحالف العربي" in text


def test_a_split_is_fixed_by_its_seed_and_keeps_the_halves_apart(corpus):
    path, _ = corpus
    examples = load(path)
    tune = {e.id for e in choose(examples, 0.5, 7, "tune")}
    test = {e.id for e in choose(examples, 0.5, 7, "test")}
    assert tune.isdisjoint(test) and tune | test == {e.id for e in examples}
    assert tune == {e.id for e in choose(examples[::-1], 0.5, 7, "tune")}  # order does not matter
    assert in_first_half("p1", 7, 0.5) == in_first_half("p1", 7, 0.5)
    shares = [sum(in_first_half(f"x{i}", seed, 0.5) for i in range(2000)) / 2000 for seed in (1, 2)]
    assert all(0.45 < share < 0.55 for share in shares)


def test_suggestions_catch_the_misses_and_count_what_they_would_add(corpus):
    path, ruleset = corpus
    found = suggest("exit", load(path), ruleset, NOW)
    by_term = {s.term: s for s in found}
    assert by_term["عين الاسد"].caught == 2 and by_term["عين الاسد"].false_alarms == 1
    assert by_term["الاحتلال"].caught == 2 and by_term["الاحتلال"].false_alarms == 0
    phrases = [s for s in found if " " in s.term]
    assert found[: len(phrases)] == phrases  # phrases first, single words after
    assert "terms that would catch its misses" in suggest_report("exit", found)


def test_a_folder_of_files_with_a_labels_file(tmp_path):
    (tmp_path / "a.txt").write_text("انسحاب التحالف الدولي\nنص الخبر", encoding="utf-8")
    (tmp_path / "b.html").write_text(
        "<html><body><article><h1>طقس</h1><p>أمطار غزيرة على بغداد اليوم وانخفاض كبير في درجات الحرارة "
        "في معظم المحافظات مع رياح قوية</p></article></body></html>",
        encoding="utf-8",
    )
    (tmp_path / "labels.tsv").write_text("a.txt\tpos\nb.html\tneg\n", encoding="utf-8")
    examples = load(tmp_path)
    assert [(e.id, e.relevant) for e in examples] == [("a.txt", True), ("b.html", False)]
    assert examples[0].article.title == "انسحاب التحالف الدولي"


@pytest.mark.parametrize(
    "content, message",
    [
        ('{"id": 1, "label": "pos"}\n', "labelled.jsonl:1: not an example (KeyError: 'text')"),
        ("not json\n", "labelled.jsonl:1: not an example (JSONDecodeError"),
    ],
)
def test_a_broken_labelled_file_says_where(tmp_path, content, message):
    path = tmp_path / "labelled.jsonl"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(LabelledError) as exc:
        load(path)
    assert message in str(exc.value)


def test_the_commands_print_the_figures_and_say_what_is_wrong(corpus, tmp_path):
    from click.testing import CliRunner

    from monitor.cli import main

    path, _ = corpus
    rules = str(tmp_path / "rules.yaml")
    run = CliRunner().invoke(main, ["rules", "evaluate", str(path), "--rules", rules])
    assert run.exit_code == 0, run.output
    assert run.output.startswith(f"{path}: 7 examples") and "missed (2):" in run.output
    half = CliRunner().invoke(
        main, ["rules", "evaluate", str(path), "--rules", rules, "--split", "0.5", "--half", "test"]
    )
    assert "(test half of a 0.5 split)" in half.output
    as_json = CliRunner().invoke(main, ["rules", "evaluate", str(path), "--rules", rules, "--json"])
    data = json.loads(as_json.output)
    assert data["rules"]["exit"]["recall"] == 0.5 and [m["id"] for m in data["misses"]] == ["p3", "p4"]
    bad = CliRunner().invoke(main, ["rules", "evaluate", str(path), "--rules", rules, "--split", "2"])
    assert bad.exit_code == 2 and "a share between 0 and 1" in bad.output
    unknown = CliRunner().invoke(main, ["rules", "suggest", "nope", str(path), "--rules", rules])
    assert unknown.exit_code == 2 and "no rule 'nope' (rules: exit)" in unknown.output
    tips = CliRunner().invoke(main, ["rules", "suggest", "exit", str(path), "--rules", rules])
    assert tips.exit_code == 0 and "الاحتلال" in tips.output
