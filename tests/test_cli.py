"""The CLI's contract: output formats, exit codes, error lines."""

import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from monitor.cli import main

ROOT = Path(__file__).resolve().parent.parent
SEEDS = sorted((ROOT / "seeds").glob("*.txt"))
RULES = str(ROOT / "config" / "rules.yaml")


def test_match_json_one_object_per_input():
    result = CliRunner().invoke(main, ["match", "--rules", RULES, "--json", *map(str, SEEDS)])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["input"] for r in rows] == [str(p) for p in SEEDS]
    for row in rows:
        assert set(row) == {"input", "title", "published", "mentioned_dates", "matches"}
        assert row["published"] is None  # a .txt has no date
        coalition = [m for m in row["matches"] if m["rule"] == "coalition-mission-iraq"]
        assert coalition and coalition[0]["score"] > 0 and coalition[0]["terms"]
        assert set(coalition[0]) == {"rule", "score", "terms", "fields", "dates"}
    assert rows[3]["title"].startswith("رومانوسكي")


def test_match_html_pages_use_the_extracted_title_and_date():
    page = ROOT / "seeds" / "site" / "kurdistan24" / "003_9752d2132f3ca193.html"
    result = CliRunner().invoke(main, ["match", "--rules", RULES, "--json", str(page)])
    (row,) = [json.loads(line) for line in result.stdout.splitlines()]
    assert row["published"] == "2024-01-27T15:20:00+03:00"  # as the page gives it, offset kept
    assert {m["rule"] for m in row["matches"]} == {"coalition-mission-iraq", "hmc-talks"}


def test_match_human_output_highlights_terms(tmp_path):
    f = tmp_path / "a.txt"
    f.write_text("عنوان\nأعلنت بغداد انتهاء مهمة التحالف الدولي في العراق", encoding="utf-8")
    result = CliRunner().invoke(main, ["match", "--rules", RULES, "--no-color", str(f)])
    assert "✓ coalition-mission-iraq" in result.output
    assert "أعلنت «بغداد» «انتهاء» «مهمة التحالف الدولي» في «العراق»" in result.output


def test_match_reports_missing_inputs_and_goes_on(tmp_path):
    f = tmp_path / "a.txt"
    f.write_text("عنوان\nلا شيء هنا", encoding="utf-8")
    result = CliRunner().invoke(main, ["match", "--rules", RULES, str(tmp_path / "missing.txt"), str(f)])
    assert result.exit_code == 1
    assert "error: " + str(tmp_path / "missing.txt") + ": No such file or directory" in result.stderr
    assert "no rule matched" in result.stdout


def test_match_with_an_invalid_rules_file_exits_2(tmp_path):
    bad = tmp_path / "rules.yaml"
    bad.write_text("rules:\n  - id: Bad Id\n    any: [x]\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["match", "--rules", str(bad), str(SEEDS[0])])
    assert result.exit_code == 2
    assert (
        "rules[0].id: invalid rule id 'Bad Id' (use lower-case letters, digits, '-' and '_')" in result.stderr
    )


def test_missing_config_directory_is_one_line_with_a_hint(tmp_path):
    result = CliRunner().invoke(main, ["feeds", "--config", str(tmp_path / "none")])
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"{tmp_path / 'none'}: config directory not found",
        "hint: pass --config DIR or set RASAD_CONFIG; the project's config/ holds examples",
    ]


def test_demo_runs_offline_and_finds_all_five(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "monitor", "demo", "--no-color"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.count("✓ coalition-mission-iraq") == 5
    assert "Page chrome in extracted bodies: none" in out
    assert "5 articles (0 fell back to the feed summary)" in out
    # 001 and 003 report the same Higher Military Commission meeting: one story, one alert per rule
    assert out.count("── console: نهاية مهمة التحالف الدولي في العراق") == 4
    assert out.count("story #") == 2 and "reported by 2 outlets: " in out and "joined it: similarity" in out
    assert "نشرته أيضاً (also reported by): " in out
    assert "«" in out


def test_version_and_help():
    assert CliRunner().invoke(main, ["--version"]).output.startswith("rasad, version ")
    help_text = CliRunner().invoke(main, ["--help"]).output
    for command in ("run", "once", "demo", "check-config", "match", "feeds", "matches", "deliveries"):
        assert command in help_text


def test_match_a_url(site):
    url = site.url("/enabbaladi/001_e7fe13eef03437ae.html")
    result = CliRunner().invoke(main, ["match", "--rules", RULES, "--json", url])
    (row,) = [json.loads(line) for line in result.stdout.splitlines()]
    assert row["input"] == url
    assert row["title"] == "“البنتاجون”: محادثاتنا مع العراق لا تتطرق للانسحاب العسكري"
    assert row["published"] == "2024-01-26T12:30:00+03:00"  # as the page gives it, offset kept
    assert "coalition-mission-iraq" in [m["rule"] for m in row["matches"]]


def test_match_json_has_mentioned_dates_fields_and_date_evidence(tmp_path):
    rules_file = tmp_path / "rules.yaml"
    rules_file.write_text(
        "rules:\n  - id: deadline\n    all: [انسحاب*]\n    mentions_date: {between: [2025-09, 2026-12]}\n",
        encoding="utf-8",
    )
    page = ROOT / "seeds" / "site" / "arabi21" / "004_0fda4c2446710f18.html"
    result = CliRunner().invoke(main, ["match", "--rules", str(rules_file), "--json", str(page)])
    (row,) = [json.loads(line) for line in result.stdout.splitlines()]
    assert {"text": "أيلول/ سبتمبر الحالي", "date": "2025-09"} in row["mentioned_dates"]
    assert {"text": "نهاية 2026", "date": "2026"} in row["mentioned_dates"]
    (m,) = row["matches"]
    assert m["fields"] == ["body"]
    assert {"text": "أيلول/سبتمبر عام 2026", "date": "2026-09"} in m["dates"]
    assert all("2025-09" <= d["date"][:7] <= "2026-12" for d in m["dates"])


def test_rules_test_explains_matches_and_misses(tmp_path):
    f = tmp_path / "a.txt"
    f.write_text("عنوان\nالتحالف الدولي يواصل مهامه في العراق", encoding="utf-8")
    frozen = str(
        ROOT / "tests" / "fixtures" / "config" / "rules.yaml"
    )  # the explanation quotes its structure
    result = CliRunner().invoke(
        main, ["rules", "test", "--rules", frozen, "--rule", "coalition-mission-iraq", str(f)]
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == f"{f} — عنوان"
    assert lines[1:] == [
        "  ✗ coalition-mission-iraq — nearest miss: all › @mission_change: not found",
        "    ✗ all",
        "      ✓ @coalition: التحالف الدولي",
        "      ✓ @iraq: العراق",
        "      ✗ @mission_change",
        "    ✓ none",
        "      ✗ @other_coalitions",
        "",
    ]
    seed = CliRunner().invoke(main, ["rules", "test", "--rules", RULES, "--json", str(SEEDS[3])])
    rows = [json.loads(line) for line in seed.stdout.splitlines()]
    assert {r["rule"]: r["matched"] for r in rows} == {
        "coalition-mission-iraq": True,
        "hmc-talks": True,
    }
    bad = CliRunner().invoke(main, ["rules", "test", "--rules", RULES, "--rule", "nope", str(f)])
    assert bad.exit_code == 2 and "no rule 'nope'" in bad.stderr


def test_a_corrupt_database_refuses_to_start_with_a_clear_message(tmp_path):
    from tests.conftest import write_config

    cfg = write_config(tmp_path / "config", feeds=[("x", "http://127.0.0.1:9/feed.xml")], smtp_port=9)
    (cfg / "rasad.db").write_bytes(b"this is not an SQLite database, it was damaged" * 100)
    for command in ("run", "once"):
        result = subprocess.run(
            [sys.executable, "-m", "monitor", command, "--config", str(cfg)],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=ROOT,
        )
        assert result.returncode == 3  # systemd's RestartPreventExitStatus: no restart loop
        assert result.stderr.splitlines() == [
            "error: store: cannot create tables: file is not a database",
            "hint: the database file is damaged: restore it from a backup, or move it away to start a new one",
        ]


def test_init_writes_the_example_config_and_never_overwrites(tmp_path):
    env = {"XDG_CONFIG_HOME": str(tmp_path / "xdg"), "RASAD_CONFIG": None, "CONFIGURATION_DIRECTORY": None}
    target = tmp_path / "xdg" / "rasad"
    first = CliRunner().invoke(main, ["init"], env=env)
    assert first.exit_code == 0, first.output
    assert first.stdout.splitlines() == [
        f"wrote {target / 'rasad.yaml'}, {target / 'feeds.yaml'}, {target / 'rules.yaml'}",
        "next: edit them (feeds, rules, channels), then run: rasad check-config",
    ]
    for name in ("rasad.yaml", "feeds.yaml", "rules.yaml"):
        assert (target / name).read_bytes() == (ROOT / "config" / name).read_bytes()
    checked = CliRunner().invoke(main, ["check-config"], env=env)  # found where init wrote it
    assert checked.exit_code == 0, checked.output
    (target / "rules.yaml").write_text("rules: []\n", encoding="utf-8")
    again = CliRunner().invoke(main, ["init"], env=env)
    assert again.exit_code == 2
    assert again.stderr.splitlines() == [
        f"{target / 'rasad.yaml'}: already exists",
        f"{target / 'feeds.yaml'}: already exists",
        f"{target / 'rules.yaml'}: already exists",
        "hint: rasad init never overwrites a file: edit it, or move it away and run rasad init again",
    ]
    assert (target / "rules.yaml").read_text(encoding="utf-8") == "rules: []\n"
    other = CliRunner().invoke(main, ["init", str(tmp_path / "elsewhere")], env=env)
    assert other.exit_code == 0
    assert other.stdout.splitlines()[1] == (
        f"next: edit them (feeds, rules, channels), then run: rasad check-config --config {tmp_path / 'elsewhere'}"
    )


def test_without_a_config_directory_every_command_says_where_it_looked(tmp_path, monkeypatch):
    monkeypatch.setattr("monitor.config.SYSTEM_CONFIG", tmp_path / "etc" / "rasad")
    env = {"XDG_CONFIG_HOME": str(tmp_path / "xdg"), "RASAD_CONFIG": None, "CONFIGURATION_DIRECTORY": None}
    article = tmp_path / "a.txt"
    article.write_text("عنوان\nنص", encoding="utf-8")
    for command in (["match", str(article)], ["rules", "test", str(article)], ["check-config"]):
        result = CliRunner().invoke(main, command, env=env)
        assert result.exit_code == 2, command
        assert result.stderr.splitlines() == [
            "no config directory found: looked in $RASAD_CONFIG (not set), $CONFIGURATION_DIRECTORY (not set), "
            f"{tmp_path / 'xdg' / 'rasad'}, {tmp_path / 'etc' / 'rasad'}",
            f"hint: `rasad init` writes the example config to {tmp_path / 'xdg' / 'rasad'}; or pass --config DIR",
        ], command


def test_a_missing_rules_file_keeps_its_hint(tmp_path):
    cfg = tmp_path / "cfg"
    cfg.mkdir()
    for name in ("rasad.yaml", "feeds.yaml"):
        (cfg / name).write_bytes((ROOT / "config" / name).read_bytes())
    article = tmp_path / "a.txt"
    article.write_text("عنوان\nنص", encoding="utf-8")
    for command in (["match", "--config", str(cfg), str(article)], ["check-config", "--config", str(cfg)]):
        result = CliRunner().invoke(main, command)
        assert result.exit_code == 2
        assert result.stderr.splitlines() == [
            f"{cfg / 'rules.yaml'}: file not found",
            "hint: create it from the examples in the project's config/",
        ], command
