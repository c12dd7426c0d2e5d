"""Config validation: every error names file:line:col, the path and the fix; check-config exit codes."""

import shutil
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from monitor.cli import main
from monitor.config import load_config
from monitor.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def cfg(tmp_path, monkeypatch):
    """A frozen copy of the first example config (so line numbers in expected errors never move),
    in ./config of a temporary working directory."""
    monkeypatch.chdir(tmp_path)
    shutil.copytree(ROOT / "tests" / "fixtures" / "config", tmp_path / "config")
    return tmp_path / "config"


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def problems(directory: Path) -> list[str]:
    with pytest.raises(ConfigError) as exc:
        load_config(directory)
    return exc.value.problems


def test_example_config_is_valid_and_complete():
    config = load_config(ROOT / "config")
    assert {r.id for r in config.ruleset.rules} >= {"coalition-mission-iraq"}
    assert set(config.settings.channels) == {"email", "slack", "console"}
    assert {f.name for f in config.feeds} >= {"كتابات", "عنب بلدي", "المسلة", "كوردستان24", "عربي21"}


def test_invalid_duration_names_file_line_column_path_and_fix(cfg):
    edit(cfg / "rules.yaml", "published_within: 30d", "published_within: 3 dayz")
    assert problems(cfg) == [
        "config/rules.yaml:71:5: rules[2].published_within: invalid duration '3 dayz' (use e.g. '36h' or '7d')"
    ]


def test_unknown_key_is_rejected_with_a_suggestion(cfg):
    edit(cfg / "rasad.yaml", "  interval: 15m", "  intervall: 15m")
    assert problems(cfg) == [
        "config/rasad.yaml:12:3: poll.intervall: unknown key 'intervall' (did you mean 'interval'?)"
    ]


def test_unknown_key_in_a_feed(cfg):
    edit(cfg / "feeds.yaml", "    tags: [syria]", "    tagz: [syria]")
    assert problems(cfg) == [
        "config/feeds.yaml:10:5: feeds[1].tagz: unknown key 'tagz' (did you mean 'tags'?)"
    ]


def test_wrong_type(cfg):
    edit(cfg / "rasad.yaml", "max_connections: 16", "max_connections: many")
    assert problems(cfg) == [
        "config/rasad.yaml:18:3: network.max_connections: input should be a valid integer, "
        "unable to parse string as an integer (got 'many')"
    ]


def test_inline_secret_is_refused(cfg):
    edit(
        cfg / "rasad.yaml",
        "webhook_url_env: RASAD_SLACK_WEBHOOK",
        "webhook_url: https://hooks.slack.com/services/T/B/x",
    )
    assert problems(cfg) == [
        "config/rasad.yaml:44:3: channels.slack: secrets are never written in the config: "
        "use webhook_url_env or token_env (or *_file)"
    ]
    edit(cfg / "rasad.yaml", "webhook_url: https://hooks.slack.com/services/T/B/x", "webhook_url_env: X")
    edit(cfg / "rasad.yaml", "password_env: RASAD_SMTP_PASSWORD", "password: hunter2")
    found = problems(cfg)
    assert found == [
        "config/rasad.yaml:35:3: channels.email: secrets are never written in the config: "
        "use password_env or password_file"
    ]
    assert "hunter2" not in found[0]


def test_unknown_channel_in_a_rule(cfg):
    edit(cfg / "rules.yaml", "    channels: [slack]\n    any:", "    channels: [slak]\n    any:")
    assert problems(cfg) == [
        "config/rules.yaml:61:16: rules[1].channels[0]: unknown channel 'slak' (known: console, email, slack)"
    ]


def test_unknown_alias(cfg):
    edit(cfg / "rules.yaml", '      - "@mission_change"', '      - "@mission_chnge"')
    assert problems(cfg) == [
        "config/rules.yaml:55:9: rules[0].all[2]: unknown alias '@mission_chnge' (did you mean '@mission_change'?)"
    ]


def test_duplicate_rule_id(cfg):
    edit(cfg / "rules.yaml", "  - id: hmc-talks", "  - id: coalition-mission-iraq")
    assert problems(cfg) == [
        "config/rules.yaml:59:5: rules[1].id: duplicate rule id 'coalition-mission-iraq' (first used by rules[0])"
    ]


def test_bad_condition_group(cfg):
    edit(cfg / "rules.yaml", "      - any: [انسحاب*, سحب, خروج, إخراج]", "      - either: [انسحاب*, سحب]")
    assert problems(cfg) == [
        "config/rules.yaml:73:9: rules[2].all[0]: unknown key 'either' in a condition "
        "(use all, any, none, at_least, near, regex or mentions_date)"
    ]


def test_yaml_syntax_error(cfg):
    edit(cfg / "feeds.yaml", "    tags: [iraq]\n  - name: عنب بلدي", "    tags: [iraq\n  - name: عنب بلدي")
    assert problems(cfg) == ["config/feeds.yaml:8:9: YAML syntax error: expected ',' or ']', but got ':'"]


def test_duplicate_yaml_key(cfg):
    edit(cfg / "rasad.yaml", "log_level: info", "log_level: info\nlog_level: debug")
    (found,) = problems(cfg)
    assert found.startswith("config/rasad.yaml:10:1: YAML syntax error: found duplicate key")


def test_object_tags_are_never_constructed(cfg, tmp_path):
    marker = tmp_path / "pwned"
    edit(
        cfg / "rasad.yaml",
        "log_level: info",
        f"log_level: !!python/object/apply:os.system ['touch {marker}']",
    )
    (found,) = problems(cfg)
    assert found.startswith(
        "config/rasad.yaml:9:1: log_level: invalid value tag:yaml.org,2002:python/object/apply:os.system"
    )
    assert not marker.exists()


def test_several_files_report_all_problems(cfg):
    edit(cfg / "rasad.yaml", "  interval: 15m", "  interval: soon")
    edit(cfg / "feeds.yaml", "url: https://kitabat.com/feed/", "url: kitabat.com/feed/")
    assert problems(cfg) == [
        "config/rasad.yaml:12:3: poll.interval: invalid duration 'soon' (use e.g. '36h' or '7d')",
        "config/feeds.yaml:6:5: feeds[0].url: invalid feed URL 'kitabat.com/feed/' (use http:// or https://)",
    ]


def test_missing_directory(tmp_path):
    with pytest.raises(ConfigError) as exc:
        load_config(tmp_path / "nowhere")
    assert "config directory not found" in str(exc.value)
    assert "RASAD_CONFIG" in (exc.value.hint or "")


def test_rasad_yaml_is_optional(cfg):
    (cfg / "rasad.yaml").unlink()
    edit(cfg / "rules.yaml", "channels: [email, slack]", "channels: []")
    edit(cfg / "rules.yaml", "channels: [slack]", "channels: []")
    edit(cfg / "rules.yaml", "channels: [slack]", "channels: []")
    config = load_config(cfg)
    assert config.settings.poll.interval.total_seconds() == 900


def test_database_defaults_to_the_state_directory(cfg):
    config = load_config(cfg)
    assert config.database_url({"STATE_DIRECTORY": "/var/lib/rasad"}) == "sqlite:////var/lib/rasad/rasad.db"
    assert (
        config.database_url({"XDG_STATE_HOME": "/home/a/.state"}) == "sqlite:////home/a/.state/rasad/rasad.db"
    )
    assert config.database_url({"RASAD_DATABASE_URL": "postgresql://db/rasad"}) == "postgresql://db/rasad"


def test_check_config_exit_codes(cfg):
    runner = CliRunner()
    ok = runner.invoke(
        main,
        ["check-config", "--config", str(cfg)],
        env={"RASAD_SMTP_PASSWORD": "x", "RASAD_SLACK_WEBHOOK": "y"},
    )
    assert ok.exit_code == 0, ok.output
    assert "OK — 9 feeds, 3 rules" in ok.output
    edit(cfg / "rules.yaml", "published_within: 30d", "published_within: 3 dayz")
    bad = runner.invoke(main, ["check-config", "--config", str(cfg)])
    assert bad.exit_code == 2
    assert bad.stderr.splitlines()[0] == (
        "config/rules.yaml:71:5: rules[2].published_within: invalid duration '3 dayz' (use e.g. '36h' or '7d')"
    )


def test_check_config_warns_about_missing_secrets(cfg):
    result = CliRunner().invoke(
        main,
        ["check-config", "--config", str(cfg)],
        env={"RASAD_SMTP_PASSWORD": "", "RASAD_SLACK_WEBHOOK": ""},
    )
    assert result.exit_code == 0
    assert (
        "warning: channel email: SMTP password: environment variable RASAD_SMTP_PASSWORD is not set"
        not in result.stderr
    )
    assert "environment variable RASAD_SMTP_PASSWORD is not set" in result.stderr


def test_config_dir_from_environment(cfg):
    result = CliRunner().invoke(main, ["check-config"], env={"RASAD_CONFIG": str(cfg)})
    assert result.exit_code == 0, result.output


def test_rule_language_errors_carry_their_location(cfg):
    edit(cfg / "rules.yaml", "    published_within: 30d", "    mentions_date: {between: [2026, 2025-01]}")
    assert problems(cfg) == [
        "config/rules.yaml:71:5: rules[2].mentions_date: the period 2026 … 2025-01 is empty"
    ]


def test_yaml_dates_in_date_conditions(cfg):
    edit(
        cfg / "rules.yaml",
        "    published_within: 30d",
        "    published_after: 2025-01-01\n    mentions_date: {between: [2025-09-01, 2026-12]}",
    )
    rule = load_config(cfg).ruleset.by_id["us-withdrawal-iraq"]
    assert str(rule.published_after) == "2025-01-01"


def test_routes_with_delivery_modes(cfg):
    edit(
        cfg / "rules.yaml",
        "    channels: [slack]\n    any:",
        "    channels: [{channel: slack, mode: batch 15m}, email]\n    any:",
    )
    rule = load_config(cfg).ruleset.by_id["hmc-talks"]
    assert rule.channels == (("slack", "batch 15m"), ("email", "immediate"))
    edit(cfg / "rules.yaml", "mode: batch 15m", "mode: every now and then")
    assert problems(cfg) == [
        "config/rules.yaml:61:33: rules[1].channels[0].mode: invalid mode 'every now and then' (use immediate, "
        "'batch 15m', 'digest daily 08:00' or 'digest weekly mon 08:00')"
    ]


def test_channel_pacing_and_time_zone_are_validated(cfg):
    edit(cfg / "rasad.yaml", "log_level: info", "log_level: info\ntimezone: Mars/Olympus")
    edit(cfg / "rasad.yaml", "    type: console", "    type: console\n    quiet_hours: late")
    assert problems(cfg) == [
        "config/rasad.yaml:10:1: timezone: unknown time zone 'Mars/Olympus' (use e.g. Asia/Baghdad)",
        "config/rasad.yaml:50:5: channels.console.quiet_hours: invalid quiet hours 'late' (use e.g. '22:00-07:00')",
    ]


def test_story_updates_and_slack_threading_settings_are_validated(cfg):
    edit(cfg / "rasad.yaml", "    type: console", "    type: console\n    story_updates: sometimes")
    edit(cfg / "rasad.yaml", "    webhook_url_env: RASAD_SLACK_WEBHOOK", "    token_env: RASAD_SLACK_TOKEN")
    found = problems(cfg)
    assert len(found) == 2
    assert (
        found[0]
        == "config/rasad.yaml:44:3: channels.slack: a bot token needs the channel id to post in: channel"
    )
    assert found[1].startswith(
        "config/rasad.yaml:49:5: channels.console.story_updates: story_updates is 'reply', 'off', or a mode"
    )


def test_a_slack_bot_token_with_a_channel_threads_and_story_updates_accept_modes(cfg):
    edit(
        cfg / "rasad.yaml", "    webhook_url_env: RASAD_SLACK_WEBHOOK", "    token_env: T\n    channel: C0123"
    )
    edit(cfg / "rasad.yaml", "    type: console", "    type: console\n    story_updates: digest daily 18:00")
    settings = load_config(cfg).settings
    assert settings.channels["slack"].threads  # type: ignore[union-attr]
    assert settings.channels["slack"].story_updates == "reply"
    assert settings.channels["console"].story_updates == "digest daily 18:00"


@pytest.mark.parametrize(
    ("file", "old", "new", "expected"),
    [
        (
            "rasad.yaml",
            "  interval: 15m",
            "  interval: 0s",
            "12:3: poll.interval: must be at least 1s (got 0s)",
        ),
        ("rasad.yaml", "  jitter: 1m", "  jitter: 2h", "13:3: poll.jitter: must be at most 1h (got 2h)"),
        (
            "rasad.yaml",
            "  timeout: 30s",
            "  timeout: 0s",
            "16:3: network.timeout: must be at least 1s (got 0s)",
        ),
        (
            "rasad.yaml",
            "connect_timeout: 10s",
            "connect_timeout: 500ms",
            "17:3: network.connect_timeout: must be at least 1s (got 500ms)",
        ),
        (
            "rasad.yaml",
            "max_feed_size: 5MB",
            "max_feed_size: 0",
            "20:3: network.max_feed_size: must be at least 100KB (got 0)",
        ),
        (
            "rasad.yaml",
            "max_page_size: 10MB",
            "max_page_size: 1GB",
            "21:3: network.max_page_size: must be at most 100MB (got 1GB)",
        ),
        (
            "rasad.yaml",
            "deadline: 30s",
            "deadline: 0s",
            "26:3: extraction.deadline: must be at least 1s (got 0s)",
        ),
        (
            "rasad.yaml",
            "memory_limit: 1GB",
            "memory_limit: 10MB",
            "27:3: extraction.memory_limit: must be at least 100MB (got 10MB)",
        ),
        (
            "rasad.yaml",
            "retry_base: 30s",
            "retry_base: 0s",
            "30:3: delivery.retry_base: must be at least 1s (got 0s)",
        ),
        (
            "rasad.yaml",
            "retry_base: 30s",
            "retry_base: 2h",
            "31:3: delivery.retry_max: must be at least retry_base (2h) (got 1h)",
        ),
        (
            "rasad.yaml",
            "    type: console",
            "    type: console\n  hook:\n    type: slack\n    webhook_url_env: X\n    timeout: 0s",
            "52:5: channels.hook.timeout: must be at least 1s (got 0s)",
        ),
        (
            "rasad.yaml",
            "log_level: info",
            "log_level: info\nstories: {window: 0s}",
            "10:11: stories.window: must be at least 1h (got 0s)",
        ),
        (
            "rasad.yaml",
            "log_level: info",
            "log_level: info\nhealth: {channel: email, min_silence: 0s}",
            "10:26: health.min_silence: must be at least 1m (got 0s)",
        ),
        (
            "feeds.yaml",
            "    interval: 10m",
            "    interval: 0s",
            "19:5: feeds[4].interval: must be at least 1s (got 0s)",
        ),
        (
            "rules.yaml",
            "published_within: 30d",
            "published_within: 0s",
            "71:5: rules[2].published_within: must be at least 1m (got 0s)",
        ),
        (
            "rules.yaml",
            "    channels: [slack]\n    any:",
            "    channels: [slack]\n    escalate: {outlets: 2, within: 0s, channel: email}\n    any:",
            "62:28: rules[1].escalate.within: must be at least 1m (got 0s)",
        ),
        (
            "rasad.yaml",
            "  interval: 15m",
            "  interval: 99999999999999d",
            "12:3: poll.interval: duration '99999999999999d' is too long (use e.g. '36h' or '7d')",
        ),
        (
            "rasad.yaml",
            "max_page_size: 10MB",
            "max_page_size: " + "9" * 400 + "GB",
            "21:3: network.max_page_size: size '"
            + "9" * 400
            + "GB' is too large (use e.g. '10MB' or '512KiB')",
        ),
    ],
)
def test_durations_and_sizes_out_of_their_range_are_refused(cfg, file, old, new, expected):
    edit(cfg / file, old, new)
    assert problems(cfg) == [f"config/{file}:{expected}"]


def test_a_zero_poll_interval_fails_check_config_not_the_daemon(cfg):
    edit(cfg / "rasad.yaml", "poll:\n  interval: 15m", "poll: {interval: 0s}\n  # interval: 15m")
    edit(cfg / "rasad.yaml", "  jitter: 1m", "  # jitter: 1m")
    result = CliRunner().invoke(main, ["check-config", "--config", str(cfg)])
    assert result.exit_code == 2
    assert (
        result.stderr.splitlines()[0] == "config/rasad.yaml:11:8: poll.interval: must be at least 1s (got 0s)"
    )


def test_every_independent_error_of_the_three_files_is_reported_in_one_run(cfg):
    edit(cfg / "rasad.yaml", "  interval: 15m", "  interval: soon")
    edit(cfg / "rasad.yaml", "    type: console", "    type: console\n    quiet_hours: late")
    edit(cfg / "feeds.yaml", "  - name: شفق نيوز", "  - name: المسلة")
    edit(cfg / "feeds.yaml", "url: https://www.alsumaria.tv/rss/ar", "url: https://kitabat.com/feed/")
    # rule 0: an unknown alias used to hide the unknown channel (compilation failed, channels unchecked)
    edit(cfg / "rules.yaml", '      - "@mission_change"', '      - "@mission_chnge"')
    edit(cfg / "rules.yaml", "channels: [email, slack]", "channels: [email, slak]")
    # rule 1: a duplicate id used to hide everything else in that rule
    edit(cfg / "rules.yaml", "  - id: hmc-talks", "  - id: coalition-mission-iraq")
    edit(cfg / "rules.yaml", "      - HMC", "      - {regex: 'hmc(?!x)'}")
    # rule 2: a validation error used to stop every check of every rule
    edit(cfg / "rules.yaml", "published_within: 30d", "published_within: 3 dayz")
    edit(
        cfg / "rules.yaml",
        "    channels: [slack]\n    published",
        "    channels: [console, pager]\n    published",
    )
    result = CliRunner().invoke(main, ["check-config", "--config", str(cfg)])
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "config/rasad.yaml:12:3: poll.interval: invalid duration 'soon' (use e.g. '36h' or '7d')",
        "config/rasad.yaml:49:5: channels.console.quiet_hours: invalid quiet hours 'late' (use e.g. '22:00-07:00')",
        "config/feeds.yaml:21:5: feeds[5].name: duplicate feed name 'المسلة' (first used by feeds[2])",
        "config/feeds.yaml:25:5: feeds[6].url: duplicate feed URL 'https://kitabat.com/feed/' (first used by feeds[0])",
        "config/rules.yaml:51:23: rules[0].channels[1]: unknown channel 'slak' (known: console, email, slack)",
        "config/rules.yaml:55:9: rules[0].all[2]: unknown alias '@mission_chnge' (did you mean '@mission_change'?)",
        "config/rules.yaml:59:5: rules[1].id: duplicate rule id 'coalition-mission-iraq' (first used by rules[0])",
        "config/rules.yaml:64:10: rules[1].any[1].regex: regex 'hmc(?!x)': (?! (negative look-ahead) is not "
        "supported (rule regexes run on RE2, which never backtracks); write that part as a condition of its "
        "own, in all or none",
        "config/rules.yaml:70:25: rules[2].channels[1]: unknown channel 'pager' (known: console, email, slack)",
        "config/rules.yaml:71:5: rules[2].published_within: invalid duration '3 dayz' (use e.g. '36h' or '7d')",
        "hint: fix the lines above; `rasad check-config` checks again",
    ]


def test_workers_and_languages_have_one_error_each(cfg):
    edit(cfg / "rasad.yaml", "workers: auto", "workers: many")
    edit(cfg / "rules.yaml", "    published_within: 30d", "    languages: arabic")
    assert problems(cfg) == [
        "config/rasad.yaml:25:3: extraction.workers: must be a whole number from 1 to 256, or 'auto' (got 'many')",
        "config/rules.yaml:71:5: rules[2].languages: must be a list of ar, fa, ckb, ur, other, or 'any' "
        "(got 'arabic')",
    ]
    edit(cfg / "rasad.yaml", "workers: many", "workers: 0")
    edit(cfg / "rules.yaml", "    languages: arabic", "    languages: [ar, farsi]")
    assert problems(cfg) == [
        "config/rasad.yaml:25:3: extraction.workers: must be a whole number from 1 to 256, or 'auto' (got 0)",
        "config/rules.yaml:71:5: rules[2].languages: must be a list of ar, fa, ckb, ur, other, or 'any' "
        "(got ['ar', 'farsi'])",
    ]


def test_a_rules_file_holds_at_most_5000_rules(cfg):
    many = "".join(f"  - {{id: r{i}, any: [العراق]}}\n" for i in range(5001))
    (cfg / "rules.yaml").write_text(f"# generated\nrules:\n{many}", encoding="utf-8")
    assert problems(cfg) == [
        "config/rules.yaml:2:1: rules: 5,001 rules, more than the 5,000 one file may hold"
    ]


def check(cfg: Path, env: dict[str, str] | None = None):
    return CliRunner().invoke(
        main,
        ["check-config", "--config", str(cfg)],
        env={"RASAD_SMTP_PASSWORD": "x", "RASAD_SLACK_WEBHOOK": "y", **(env or {})},
    )


@pytest.mark.parametrize(
    ("url", "message", "hint"),
    [
        (
            "sqlit:///var/lib/rasad/rasad.db",
            "unsupported database URL 'sqlit:///var/lib/rasad/rasad.db' (Rasad stores in SQLite or PostgreSQL)",
            "write sqlite:///PATH (three slashes, then the path) or postgresql://USER@HOST/DBNAME",
        ),
        (
            "mysql://rasad@db.example.org/rasad",
            "unsupported database URL 'mysql://rasad@db.example.org/rasad' (Rasad stores in SQLite or PostgreSQL)",
            "write sqlite:///PATH (three slashes, then the path) or postgresql://USER@HOST/DBNAME",
        ),
        (
            "/var/lib/rasad/rasad.db",
            "'/var/lib/rasad/rasad.db' is a path, not a URL",
            "write sqlite:////var/lib/rasad/rasad.db",
        ),
        (
            "postgres://rasad@db.example.org/rasad",
            "'postgres://rasad@db.example.org/rasad' uses the scheme postgres://",
            "write postgresql:// (SQLAlchemy's name for it)",
        ),
        (
            "postgresql+psycopg2://rasad@db.example.org/rasad",
            "'postgresql+psycopg2://rasad@db.example.org/rasad' names the driver psycopg2; Rasad uses psycopg",
            "write postgresql://",
        ),
        (
            "sqlite://",
            "'sqlite://' names no file (an in-memory database loses everything at exit)",
            "write sqlite:///PATH",
        ),
    ],
)
def test_a_mistyped_database_url_is_a_config_error_with_a_hint(cfg, url, message, hint):
    edit(cfg / "rasad.yaml", "log_level: info", f"log_level: info\ndatabase: {url}")
    result = check(cfg)
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [f"config/rasad.yaml:10:1: database: {message}", f"hint: {hint}"]
    # the override, checked the same way
    edit(cfg / "rasad.yaml", f"log_level: info\ndatabase: {url}", "log_level: info")
    env = check(cfg, {"RASAD_DATABASE_URL": url})
    assert env.exit_code == 2
    assert env.stderr.splitlines() == [f"RASAD_DATABASE_URL: {message}", f"hint: {hint}"]


def test_postgresql_without_its_driver_says_how_to_install_it(cfg, monkeypatch):
    monkeypatch.setitem(sys.modules, "psycopg", None)  # as if rasad[postgres] were not installed
    edit(cfg / "rasad.yaml", "log_level: info", "log_level: info\ndatabase: postgresql://rasad@db/rasad")
    result = check(cfg)
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "config/rasad.yaml:10:1: database: PostgreSQL needs the psycopg driver, which is not installed",
        "hint: pip install 'rasad[postgres]'",
    ]


def test_a_database_password_is_refused_in_the_yaml_and_masked_everywhere_else(cfg, tmp_path):
    edit(
        cfg / "rasad.yaml", "log_level: info", "log_level: info\ndatabase: postgresql://rasad:S3cret@db/rasad"
    )
    refused = check(cfg)
    assert refused.exit_code == 2
    assert refused.stderr.splitlines() == [
        "config/rasad.yaml:10:1: database: a password is never written in the config: "
        "use database_url_env or database_url_file",
        "hint: or the URL without it here, and the password in ~/.pgpass (or the file PGPASSFILE names)",
    ]
    edit(cfg / "rasad.yaml", "database: postgresql://rasad:S3cret@db/rasad", "database_url_env: RASAD_DB")
    shown = check(cfg, {"RASAD_DB": "postgresql://rasad:S3cret@db.example.org/rasad"})
    assert shown.exit_code == 0, shown.output
    assert shown.stdout.rstrip().endswith("; database postgresql://rasad:***@db.example.org/rasad")
    overridden = check(cfg, {"RASAD_DATABASE_URL": "postgresql://rasad:S3cret@db.example.org/other"})
    assert overridden.stdout.rstrip().endswith("; database postgresql://rasad:***@db.example.org/other")
    bad = check(cfg, {"RASAD_DB": "mysql://rasad:S3cret@db.example.org/rasad"})
    assert bad.exit_code == 2
    assert bad.stderr.splitlines()[0] == (
        "config/rasad.yaml: database_url_env: RASAD_DB: unsupported database URL "
        "'mysql://rasad:***@db.example.org/rasad' (Rasad stores in SQLite or PostgreSQL)"
    )
    assert "S3cret" not in refused.output + shown.output + overridden.output + bad.output


def test_database_url_env_and_file_resolve_and_say_what_is_missing(cfg):
    edit(cfg / "rasad.yaml", "log_level: info", "log_level: info\ndatabase_url_env: RASAD_DB")
    config = load_config(cfg)
    assert (
        config.database_url({"RASAD_DB": " postgresql://rasad:pw@db/rasad\n"})
        == "postgresql://rasad:pw@db/rasad"
    )
    with pytest.raises(ConfigError) as exc:
        config.database_url({})
    assert str(exc.value) == "config/rasad.yaml: database_url_env: environment variable RASAD_DB is not set"
    unset = check(cfg)  # a shell without the service's environment: a warning, as for channel secrets
    assert unset.exit_code == 0
    assert unset.stdout.rstrip().endswith("; database not known here")
    assert (
        "warning: config/rasad.yaml: database_url_env: environment variable RASAD_DB is not set "
        "(rasad run will refuse to start until it is)"
    ) in unset.stderr.splitlines()

    edit(cfg / "rasad.yaml", "database_url_env: RASAD_DB", "database_url_file: secrets/db-url")
    config = load_config(cfg)
    with pytest.raises(ConfigError) as exc:
        config.database_url({})
    assert str(exc.value) == (
        f"config/rasad.yaml: database_url_file: cannot read {cfg / 'secrets' / 'db-url'}: No such file or directory"
    )
    (cfg / "secrets").mkdir()
    (cfg / "secrets" / "db-url").write_text("postgresql://rasad:pw@db/rasad\n", encoding="utf-8")
    assert config.database_url({}) == "postgresql://rasad:pw@db/rasad"
    assert config.database_url({"RASAD_DATABASE_URL": "sqlite:///x.db"}) == "sqlite:///x.db"

    edit(cfg / "rasad.yaml", "log_level: info", "log_level: info\ndatabase: sqlite:///x.db")
    assert problems(cfg) == [
        "config/rasad.yaml:11:1: database_url_file: give at most one of database, database_url_env or database_url_file"
    ]
