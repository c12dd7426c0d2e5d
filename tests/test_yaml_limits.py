"""Hostile config files: alias bombs, deep nesting and huge files are refused with their place, exit 2."""

import resource
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from monitor.cli import main

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def cfg(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    shutil.copytree(ROOT / "tests" / "fixtures" / "config", tmp_path / "config")
    return tmp_path / "config"


def check(directory: Path):
    return CliRunner().invoke(main, ["check-config", "--config", str(directory)])


def with_aliases(cfg: Path, aliases: str) -> None:
    rules = cfg / "rules.yaml"
    text = rules.read_text(encoding="utf-8")
    rules.write_text(text.replace("aliases:\n", "aliases:\n" + aliases, 1), encoding="utf-8")


def _one_gigabyte() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (2**30, 2**30))


def test_an_alias_bomb_is_refused_where_it_is_used_within_bounded_memory(cfg):
    # nine levels of nine aliases: 387 million values once expanded
    levels = ["  x0: &x0 [" + ", ".join(["lol"] * 9) + "]\n"]
    levels += [f"  x{i}: &x{i} [" + ", ".join([f"*x{i - 1}"] * 9) + "]\n" for i in range(1, 9)]
    with_aliases(cfg, "".join(levels))
    # in a process limited to 1 GB of memory (it needs about 150 MB; without the count it needs 100+ GB)
    result = subprocess.run(
        [sys.executable, "-m", "monitor", "check-config", "--config", "config"],
        cwd=cfg.parent,
        capture_output=True,
        text=True,
        preexec_fn=_one_gigabyte,
        timeout=600,
    )
    assert result.returncode == 2, result.stderr[-2000:]
    assert result.stderr.splitlines()[0] == (
        "config/rules.yaml:15:3: aliases.x5: *x4 takes the file past 250,000 values "
        "(aliases of aliases multiply); write the values out"
    )


def test_aliases_and_merge_keys_that_stay_small_are_fine(cfg):
    edit = cfg / "rasad.yaml"
    text = edit.read_text(encoding="utf-8")
    edit.write_text(
        text.replace("  console:\n    type: console", "  console:\n    <<: {type: console}"), encoding="utf-8"
    )
    with_aliases(cfg, "  place: &place [العراق, بغداد]\n  again: *place\n")
    result = check(cfg)
    assert result.exit_code == 0, result.output


def test_conditions_nested_400_deep_are_a_clear_error_not_a_recursion_error(cfg):
    deep = "{any: [" * 400 + "العراق" + "]}" * 400
    (cfg / "rules.yaml").write_text(f"rules:\n  - id: deep\n    any: [{deep}]\n", encoding="utf-8")
    result = check(cfg)
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "config/rules.yaml:3:221: nested more than 64 levels deep; flatten it",
        "hint: fix the lines above; `rasad check-config` checks again",
    ]


def test_a_deep_document_within_the_parser_s_reach_gets_the_same_error(cfg):
    (cfg / "feeds.yaml").write_text("feeds: " + "[" * 100 + "]" * 100 + "\n", encoding="utf-8")
    result = check(cfg)
    assert result.exit_code == 2
    assert (
        result.stderr.splitlines()[0] == "config/feeds.yaml:1:71: nested more than 64 levels deep; flatten it"
    )


def test_a_file_larger_than_2_mb_is_refused_before_it_is_parsed(cfg):
    rules = cfg / "rules.yaml"
    rules.write_text(rules.read_text(encoding="utf-8") + "#" * 2_000_000 + "\n", encoding="utf-8")
    result = check(cfg)
    assert result.exit_code == 2
    assert result.stderr.splitlines()[0] == (
        "config/rules.yaml: larger than 2,000,000 bytes, the most a config file may be"
    )


def test_groups_nested_past_20_are_refused_at_their_place(cfg):
    deep = "{any: [" * 25 + "العراق" + "]}" * 25
    (cfg / "rules.yaml").write_text(f"rules:\n  - id: deep\n    any: [{deep}]\n", encoding="utf-8")
    result = check(cfg)
    assert result.exit_code == 2
    path = "rules[0].any" + "[0].any" * 20
    assert result.stderr.splitlines()[0] == (
        f"config/rules.yaml:3:145: {path}: groups nest more than 20 deep; flatten them (an any in an any is one any)"
    )


SAMPLES = {
    "anchors and merge keys": "base: &b {type: console, to: [a, b]}\nother:\n  <<: *b\n  extra: 1\n",
    "scalars": "a: 1_000\nb: 0o17\nc: 0x1f\nd: .inf\ne: yes\nf: ~\ng: 2025-09-30\nh: '01'\ni: 1.5e3\n",
    "block strings": 'a: |\n  بغداد\n  أربيل\nb: >-\n  one\n  two\nc: "سطر\\tثان"\n',
    "a tag that would build an object": "a: !!python/object:os.system echo\nb: !custom [1, 2]\n",
    "comments, CRLF and a BOM": "\ufeff# رأس\r\nfeeds:  # قائمة\r\n  - {name: x, url: 'http://a/'}\r\n",
    "flow in block": "rules:\n  - id: r\n    any: [العراق, {all: [بغداد, أربيل]}]\n",
    "a declared version": "%YAML 1.1\n---\na: yes\nb: 010\n",
    "a duplicate key": "a: 1\nb: 2\na: 3\n",
    "an unclosed list": "feeds:\n  - {name: x, tags: [iraq\n  - name: y\n",
    "a tab where indentation goes": "a:\n\tb: 1\n",
    "a control character": "a: b\x07c\n",
    "an alias to nothing": "a: *nowhere\n",
}


def _read_both(path: Path, monkeypatch) -> list[object]:
    from monitor import yamlfile

    out = []
    for parser in (yamlfile.CParser, None):
        with monkeypatch.context() as m:
            m.setattr(yamlfile, "CParser", parser)
            try:
                data, positions = yamlfile.load(path)
                out.append((repr(data), positions._at))
            except Exception as exc:  # the two must fail alike too
                out.append((type(exc).__name__, str(exc)))
    return out


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_libyaml_s_events_give_what_ruamel_s_own_parser_gives(name, tmp_path, monkeypatch):
    """Config files are read from libyaml's events (5× faster): the same data, positions and errors
    as ruamel's pure-Python parser, whatever the file holds."""
    from monitor import yamlfile

    assert yamlfile.CParser is not None, "ruamel.yaml.clib is a dependency on CPython"
    path = tmp_path / "f.yaml"
    path.write_bytes(SAMPLES[name].encode("utf-8"))
    fast, pure = _read_both(path, monkeypatch)
    assert fast == pure


def test_every_yaml_file_of_the_project_reads_the_same_both_ways(monkeypatch):
    files = sorted({*ROOT.glob("config/*.yaml"), *ROOT.glob("tests/**/*.yaml")})
    assert len(files) > 10
    for path in files:
        fast, pure = _read_both(path, monkeypatch)
        assert fast == pure, path


def test_a_valid_file_is_read_by_libyaml_alone(monkeypatch):
    """The speed is real: a valid file never goes to the pure-Python parser (only a file with an
    error, or with a %YAML directive, does)."""
    from monitor import yamlfile

    def pure(*args, **kwargs):
        raise AssertionError("the pure-Python parser was used")

    monkeypatch.setattr(yamlfile, "YAML", pure)
    for path in sorted({*ROOT.glob("config/*.yaml"), *ROOT.glob("tests/fixtures/config/*.yaml")}):
        data, _ = yamlfile.load(path)
        assert data
    with pytest.raises(AssertionError, match="pure-Python"):
        yamlfile._read("%YAML 1.1\n---\na: yes\n")
