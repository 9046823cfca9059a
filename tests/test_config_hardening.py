"""The config loader cannot crash or hang, and every mistake is one located line.

Each case used to end in a traceback (TypeError, ValueError, RecursionError, OverflowError),
a silent misreading (a string taken as a list of letters) or a hang (a "billion laughs"). Now
``parse_config`` / ``load_config`` raise one :class:`ConfigError` line
``FILE:LINE: key.path: what is wrong``, and the CLI prints it with exit code 2.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

import empathy_core.config as config_module
from empathy_core.config import (
    MAX_DEPTH,
    MAX_FILE_BYTES,
    MAX_NODES,
    BatchConfig,
    TelemetryConfig,
    config_as_dict,
    load_config,
    parse_config,
)
from empathy_core.errors import ConfigError

CANARY = "sk-ant-canary-hardening-5b8e1f0c7a"
SOURCE = "empathy.config.yml"


def _parse(text: str, tmp_path: Path):
    return parse_config(text, tmp_path / SOURCE)


def _error(text: str, tmp_path: Path) -> str:
    """The one-line message of the ConfigError ``text`` raises (no other exception)."""
    with pytest.raises(ConfigError) as info:
        _parse(text, tmp_path)
    message = str(info.value)
    assert info.value.exit_code == 2
    assert len(message.splitlines()) == 1, message
    assert len(message) <= len(str(tmp_path / SOURCE)) + 250, message
    return message


def _at(tmp_path: Path, line: int) -> str:
    return f"{tmp_path / SOURCE}:{line}: "


@pytest.fixture(params=["libyaml", "python"])
def events(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run a loader test with libyaml's event parser and with PyYAML's pure-Python one."""
    if request.param == "libyaml" and not yaml.__with_libyaml__:
        pytest.skip("PyYAML is built without libyaml")
    monkeypatch.setattr(config_module, "_FAST_EVENTS", request.param == "libyaml")
    return request.param


def _laughs(levels: int = 9, width: int = 9, leaf: str = "lol") -> str:
    """The "billion laughs": each level lists the previous one ``width`` times."""
    lines = ["plugins:", "  settings:", "    laughs:", f"      l0: &l0 [{leaf}]"]
    for level in range(1, levels + 1):
        refs = ", ".join([f"*l{level - 1}"] * width)
        lines.append(f"      l{level}: &l{level} [{refs}]")
    return "\n".join(lines) + "\n"


# -- 1. what the YAML loader accepts ---------------------------------------------------


def test_a_file_over_1_mib_is_refused_saying_size_and_limit(tmp_path: Path) -> None:
    path = tmp_path / SOURCE
    path.write_text("provider: mock\n" + "#" * MAX_FILE_BYTES + "\n")
    size = path.stat().st_size
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(info.value) == (
        f"{path}: config file is too large: {size} bytes, the limit is 1048576 bytes (1 MiB)"
    )
    with pytest.raises(ConfigError, match="config file is too large"):
        _parse(path.read_text(), tmp_path)


def test_a_file_of_exactly_1_mib_is_read(tmp_path: Path) -> None:
    path = tmp_path / SOURCE
    head = "provider: mock\n"
    path.write_text(head + "#" * (MAX_FILE_BYTES - len(head) - 1) + "\n")
    assert path.stat().st_size == MAX_FILE_BYTES
    assert load_config(path).provider == "mock"


@pytest.mark.usefixtures("events")
def test_nesting_deeper_than_64_is_one_error_not_a_recursion_error(tmp_path: Path) -> None:
    def nested(levels: int) -> str:  # plugins.settings.x is free-form: only the depth matters
        return "plugins: {settings: {x: " + "{a: " * levels + "1" + "}" * levels + "}}\n"

    assert _parse(nested(MAX_DEPTH - 5), tmp_path).plugins.settings["x"]["a"]["a"]
    message = _error(nested(MAX_DEPTH), tmp_path)
    assert message.startswith(_at(tmp_path, 1) + "plugins.settings.x.a.a.")
    assert message.endswith(f": nested more than {MAX_DEPTH} levels deep (aliases expanded)")
    deep_list = "hooks: {x: " + "[" * 200_000 + "]" * 200_000 + "}\n"
    assert _error(deep_list, tmp_path).startswith(_at(tmp_path, 1))


@pytest.mark.usefixtures("events")
def test_depth_counts_what_aliases_expand_to(tmp_path: Path) -> None:
    text = (
        "plugins:\n  settings:\n    x:\n      deep: &deep " + "[" * 40 + "]" * 40 + "\n"
        "      y: " + "[" * 30 + "*deep" + "]" * 30 + "\n"
    )
    message = _error(text, tmp_path)
    assert message.startswith(_at(tmp_path, 5) + "plugins.settings.x.y[0]")
    assert "nested more than 64 levels deep" in message


@pytest.mark.usefixtures("events")
@pytest.mark.parametrize(
    ("text", "line", "path"),
    [
        ("hooks:\n  x: &x [a, *x]\n", 2, "hooks.x[1]"),
        ("plugins:\n  settings: &s\n    x: {y: *s}\n", 3, "plugins.settings.x.y"),
    ],
)
def test_a_recursive_alias_is_refused(tmp_path: Path, text: str, line: int, path: str) -> None:
    message = _error(text, tmp_path)
    assert message == _at(tmp_path, line) + f"{path}: recursive alias *{text.split('&')[1][0]} " + (
        "(it is inside the node it names)"
    )

HANG_SECONDS = 30


@pytest.mark.usefixtures("events")
def test_billion_laughs_is_refused_at_the_node_bound(tmp_path: Path) -> None:
    started = time.perf_counter()
    message = _error(_laughs(), tmp_path)
    assert f"the document has more than {MAX_NODES} nodes" in message
    assert message.startswith(_at(tmp_path, 9) + "plugins.settings.laughs.l5[")
    assert time.perf_counter() - started < HANG_SECONDS  # a hang guard, not a speed target


@pytest.mark.usefixtures("events")
def test_laughs_of_long_strings_are_bounded_by_characters(tmp_path: Path) -> None:
    message = _error(_laughs(levels=4, width=9, leaf="x" * 50_000), tmp_path)
    assert "characters (aliases expanded)" in message


@pytest.mark.usefixtures("events")
def test_aliases_within_the_bounds_work_and_are_located_at_the_alias(tmp_path: Path) -> None:
    config = _parse(
        "plugins:\n  settings:\n    x: {order: &order [telemetry, otel]}\n"
        "hooks:\n  empathy_run_stage: *order\n  empathy_configure: *order\n",
        tmp_path,
    )
    assert config.hooks["empathy_configure"] == ["telemetry", "otel"]
    assert config.line_of("$.hooks.empathy_configure[1]") == 6  # where the alias is
    assert config.line_of("$.plugins.settings.x.order[1]") == 3


@pytest.mark.usefixtures("events")
def test_duplicate_keys_are_refused_at_the_second_one(tmp_path: Path) -> None:
    assert _error("provider: mock\nbatch:\n  timeout: 5\n  timeout: 6\n", tmp_path) == (
        _at(tmp_path, 4) + "batch.timeout: duplicate key (first at line 3)"
    )
    assert _error("telemetry: {enabled: true, enabled: false}\n", tmp_path) == (
        _at(tmp_path, 1) + "telemetry.enabled: duplicate key (first at line 1)"
    )


@pytest.mark.usefixtures("events")
def test_tens_of_thousands_of_keys_and_duplicates_are_refused(tmp_path: Path) -> None:
    started = time.perf_counter()
    assert _error("provider: mock\n" * 50_000, tmp_path) == (
        _at(tmp_path, 2) + "provider: duplicate key (first at line 1)"
    )
    assert time.perf_counter() - started < HANG_SECONDS  # a hang guard, not a speed target
    many = "plugins:\n  settings:\n    x:\n" + "".join(f"      k{i}: {i}\n" for i in range(20_000))
    started = time.perf_counter()
    message = _error(many + "      k7: again\n", tmp_path)
    assert message == _at(tmp_path, 20_004) + "plugins.settings.x.k7: duplicate key (first at line 11)"
    assert time.perf_counter() - started < HANG_SECONDS


@pytest.mark.usefixtures("events")
def test_a_merge_key_may_override_what_it_merges(tmp_path: Path) -> None:
    config = _parse(
        "plugins:\n  settings:\n    shared: &base {enabled: true, store_prompts: true}\n"
        "telemetry:\n  <<: *base\n  enabled: false\n",
        tmp_path,
    )
    assert (config.telemetry.enabled, config.telemetry.store_prompts) == (False, True)


@pytest.mark.usefixtures("events")
@pytest.mark.parametrize(
    ("text", "line", "expected"),
    [
        ("1: x\n", 1, "keys must be strings, got int '1'"),
        ("null: x\n", 1, "keys must be strings, got null 'null'"),
        ("true: x\n", 1, "keys must be strings, got bool 'true'"),
        ("? [a]\n: x\n", 1, "keys must be strings, got a list"),
        ("telemetry:\n  {a: 1}: x\n", 2, "telemetry: keys must be strings, got a mapping"),
        (
            "plugins:\n  settings:\n    x: {1: 2}\n",
            3,
            "plugins.settings.x: keys must be strings, got int '1'",
        ),
        ("hooks:\n  2024-01-01: [a]\n", 2, "hooks: keys must be strings, got timestamp '2024-01-01'"),
    ],
)
def test_non_string_keys_are_refused(tmp_path: Path, text: str, line: int, expected: str) -> None:
    assert _error(text, tmp_path) == _at(tmp_path, line) + expected + " (quote a key meant as text)"


def test_a_quoted_key_is_a_string(tmp_path: Path) -> None:
    assert _parse('plugins:\n  settings:\n    x: {"1": 2}\n', tmp_path).plugins.settings == {"x": {"1": 2}}


@pytest.mark.usefixtures("events")
@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("9" * 5000, "integer of 5000 characters (at most 40)"),  # int() would refuse > 4300 digits
        ("0x" + "f" * 5000, "integer of 5002 characters (at most 40)"),  # str() would refuse it
    ],
)
def test_huge_integer_literals_are_refused(tmp_path: Path, value: str, expected: str) -> None:
    message = _error(f"telemetry:\n  retention_days: {value}\n", tmp_path)
    assert message == _at(tmp_path, 2) + f"telemetry.retention_days: {expected}"


@pytest.mark.usefixtures("events")
@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-13-45", "plugins.settings.x.when: invalid value: month must be in 1..12"),
        ("!!binary 'not base64!'", "plugins.settings.x.when: invalid YAML: failed to decode base64 data"),
        ("!!int twelve", "plugins.settings.x.when: invalid value: invalid literal for int()"),
        ("!custom x", "plugins.settings.x.when: invalid YAML: could not determine a constructor for the tag"),
    ],
)
def test_values_yaml_cannot_construct_are_located(tmp_path: Path, value: str, expected: str) -> None:
    message = _error(f"plugins:\n  settings:\n    x:\n      when: {value}\n", tmp_path)
    assert message.startswith(_at(tmp_path, 4) + expected)


@pytest.mark.usefixtures("events")
def test_characters_yaml_forbids_and_other_syntax_errors_are_one_line(tmp_path: Path) -> None:
    assert _error("provider: mock\nlog_level: a\x00b\n", tmp_path).startswith(
        _at(tmp_path, 2) + "invalid YAML: unacceptable character #x0000"
    )
    assert _error("a: 1\n---\nb: 2\n", tmp_path).startswith(
        _at(tmp_path, 2) + "invalid YAML: expected a single"
    )
    assert (
        _error("hooks: *nowhere\n", tmp_path)
        == _at(tmp_path, 1) + "invalid YAML: found undefined alias 'nowhere'"
    )


def test_a_file_that_is_not_utf8_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / SOURCE
    path.write_bytes(b"provider: mock\nlog_level: \xff\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(info.value) == f"{path}:2: not UTF-8 text (byte 0xff at offset 26)"


def test_a_utf8_bom_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / SOURCE
    path.write_bytes("\ufeffprovider: mock\n".encode())
    assert load_config(path).provider == "mock"


# -- 2. types say what was expected ----------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("tier_defaults: 5\n", ":1: tier_defaults: expected a mapping of keys, got int"),
        ("telemetry: [a]\n", ":1: telemetry: expected a mapping of keys, got list"),
        ("plugins:\n  disable: code-review\n", ":2: plugins.disable: expected a list, got str"),
        ("hooks: {x: y}\n", ":1: hooks.x: expected a list, got str"),
        ("hooks: [a]\n", ":1: hooks: expected a mapping of keys, got list"),
        ("plugins:\n  settings: 5\n", ":2: plugins.settings: expected a mapping of keys, got int"),
        ("plugins:\n  settings:\n    x:\n", ":3: plugins.settings.x: expected a mapping of keys, got null"),
        ("pricing:\n  my-model: 5\n", ":2: pricing.my-model: expected a mapping of keys, got int"),
        ("plugins:\n  disable: !!set {a}\n", ":2: plugins.disable: expected a list, got set"),
        ("telemetry:\n  retention_days: true\n", ":2: telemetry.retention_days: expected int, got bool True"),
    ],
)
def test_a_wrong_type_says_what_was_expected(tmp_path: Path, text: str, expected: str) -> None:
    assert _error(text, tmp_path) == f"{tmp_path / SOURCE}{expected}"


# -- 3. numeric bounds, with their units -----------------------------------------------


_NAME = "must be a name (letters, digits, '_', '.', ':', '-'; not empty)"
_LEVELS = "must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL (any case)"
_STORE = "must be a URL scheme://..., or empty for the default"


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("telemetry.retention_days", "100000000000", "must be at most 36500 days, got 100000000000"),
        ("telemetry.retention_days", "-1", "must be at least 0 days (0: keep forever), got -1"),
        ("batch.poll_interval", "0", "must be at least 1 second, got 0"),
        ("batch.poll_interval", "0.5", "must be at least 1 second, got 0.5"),
        ("batch.poll_interval", "-5", "must be at least 1 second, got -5"),
        ("batch.poll_interval", "86401", "must be at most 86400 seconds, got 86401"),
        ("batch.poll_interval", ".nan", "must be a finite number of seconds, got nan"),
        ("batch.poll_interval", ".inf", "must be a finite number of seconds, got inf"),
        ("batch.timeout", "0", "must be at least 1 second, got 0"),
        ("batch.timeout", "604801", "must be at most 604800 seconds, got 604801"),
        ("batch.timeout", "1" + "0" * 39, "must be at most 604800 seconds, got 1e+39"),
        ("adaptive_routing.min_samples", "0", "must be at least 1 call, got 0"),
        ("adaptive_routing.min_samples", "10000000000", "must be at most 1000000000 calls, got 10000000000"),
        ("adaptive_routing.quality_threshold", "1.5", "must be at most 1, got 1.5"),
        ("adaptive_routing.failure_rate_threshold", "-0.1", "must be at least 0, got -0.1"),
        ("adaptive_routing.quality_threshold", "-.inf", "must be a finite number, got -inf"),
        ("pricing.m.input", "-1", "must be at least 0 USD per million tokens, got -1"),
        ("pricing.m.output", ".nan", "must be a finite number of USD per million tokens, got nan"),
    ],
)
def test_numbers_out_of_range_name_the_bound_and_unit(
    tmp_path: Path, key: str, value: str, expected: str
) -> None:
    *sections, name = key.split(".")
    text = "".join(f"{'  ' * depth}{section}:\n" for depth, section in enumerate(sections))
    if sections[0] == "pricing":  # a price needs both; the other one is fine
        text += f"    {'output' if name == 'input' else 'input'}: 1\n"
    text += f"{'  ' * len(sections)}{name}: {value}\n"
    assert _error(text, tmp_path) == _at(tmp_path, len(text.splitlines())) + f"{key}: {expected}"


def test_numbers_at_the_bounds_are_accepted(tmp_path: Path) -> None:
    config = _parse(
        "telemetry: {retention_days: 0}\nbatch: {poll_interval: 1, timeout: 604800}\n"
        "adaptive_routing: {min_samples: 1, quality_threshold: 0, failure_rate_threshold: 1}\n",
        tmp_path,
    )
    assert config.telemetry.retention_days == 0
    assert (config.batch.poll_interval, config.batch.timeout) == (1.0, 604800.0)
    assert _parse("telemetry: {retention_days: 36500}\n", tmp_path).telemetry.retention_days == 36500


def test_bounds_are_the_files_contract_not_the_codes() -> None:
    """Code may set what a file may not (tests poll every 10 ms); setting stays unchecked."""
    batch = BatchConfig(poll_interval=0.01, timeout=5.0)
    batch.poll_interval = 0.001
    assert TelemetryConfig(retention_days=-3).retention_days == -3


# -- 4. enum-like values ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("log_level: verbose\n", f"log_level: {_LEVELS}, got 'VERBOSE'"),
        ("log_level: ''\n", f"log_level: {_LEVELS}, got ''"),
        ("telemetry:\n  store: usage.db\n", f"telemetry.store: {_STORE}, got 'usage.db'"),
        ("telemetry:\n  store: ://x\n", f"telemetry.store: {_STORE}, got '://x'"),
        ("redis:\n  url: localhost:6379\n", "redis.url: must be a URL scheme://..., got 'localhost:6379'"),
        ("provider: ''\n", f"provider: {_NAME}, got ''"),
        ("provider: my provider\n", f"provider: {_NAME}, got 'my provider'"),
        ("adaptive_routing:\n  strategy: ''\n", f"adaptive_routing.strategy: {_NAME}, got ''"),
    ],
)
def test_enum_like_values_are_checked(tmp_path: Path, text: str, expected: str) -> None:
    assert _error(text, tmp_path) == _at(tmp_path, len(text.splitlines())) + expected


def test_good_enum_like_values_are_accepted(tmp_path: Path) -> None:
    config = _parse(
        "provider: mock\nlog_level: debug\ntelemetry: {store: 'jsonl:///tmp/usage.jsonl'}\n"
        "adaptive_routing: {strategy: my_plugin.fast-router}\n",
        tmp_path,
    )
    assert (config.log_level, config.telemetry.store) == ("DEBUG", "jsonl:///tmp/usage.jsonl")
    assert config.adaptive_routing.strategy == "my_plugin.fast-router"


def test_a_bad_empathy_log_level_is_one_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EMPATHY_LOG_LEVEL", "loud")
    with pytest.raises(ConfigError) as info:
        _parse("", tmp_path)
    assert str(info.value) == (
        "environment variable EMPATHY_LOG_LEVEL: must be one of DEBUG, INFO, WARNING, ERROR, "
        "CRITICAL (any case), got 'LOUD'"
    )


# -- 5. secrets by value ---------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "telemetry:\n  retention_days: ${ANTHROPIC_API_KEY}\n",
        "provider: 'my ${ANTHROPIC_API_KEY}'\n",
        "log_level: ${ANTHROPIC_API_KEY}\n",
        "batch: {timeout: '${ANTHROPIC_API_KEY}'}\n",
        "telemetry:\n  store: ${ANTHROPIC_API_KEY}\n",
        "plugins:\n  disable: ${ANTHROPIC_API_KEY}\n",
    ],
)
def test_a_misplaced_key_is_never_quoted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", CANARY)
    message = _error(text, tmp_path)
    assert CANARY[:14] not in message
    assert "canary" not in message


def test_a_key_from_any_variable_is_a_secret_in_other_fields(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.setenv("EMPATHY_TEST_PLAIN_NAME", "plain-named-canary-91c3")
    message = _error("api_key: ${EMPATHY_TEST_PLAIN_NAME}\nprovider: ${EMPATHY_TEST_PLAIN_NAME}!\n", tmp_path)
    assert message == _at(tmp_path, 2) + f"provider: {_NAME}, got '***!'"


def test_config_as_dict_redacts_secret_values_anywhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", CANARY)
    config = _parse(
        "telemetry:\n  store: 'sqlite:///${ANTHROPIC_API_KEY}.db'\n"
        "plugins:\n  settings:\n    x: {note: 'key ${ANTHROPIC_API_KEY}', list: ['${ANTHROPIC_API_KEY}']}\n",
        tmp_path,
    )
    data = config_as_dict(config)
    assert data["telemetry"]["store"] == "sqlite:///***.db"
    assert data["plugins"]["settings"]["x"] == {"note": "key ***", "list": ["***"]}
    assert data["api_key"] == "***"
    assert CANARY not in json.dumps(data)
    assert config_as_dict(config, redact=False)["telemetry"]["store"] == f"sqlite:///{CANARY}.db"


def test_a_megabyte_long_bad_value_is_never_echoed_whole(tmp_path: Path) -> None:
    huge = "x" * 900_000
    message = _error(f"provider: {huge}\n", tmp_path)
    assert message.endswith("... (900002 characters)")
    assert len(message) < 250
    long_key = _error(f"telemetry:\n  {'k' * 1000}: 1\n", tmp_path)
    assert long_key.startswith(_at(tmp_path, 2) + "unknown key 'telemetry.kkkk")
    assert "..." in long_key


def test_keys_with_line_breaks_stay_on_one_line(tmp_path: Path) -> None:
    message = _error('telemetry:\n  "bad\\nkey\\u2028": 1\n', tmp_path)
    assert message == _at(tmp_path, 2) + "unknown key 'telemetry.bad\\nkey\\u2028'"


# -- 6. load_config is the one path; the CLI prints one line ----------------------------


def test_a_missing_file_given_explicitly_is_one_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path / "nonexistent.yml")
    assert str(info.value) == f"{tmp_path / 'nonexistent.yml'}: config file not found (given with --config)"
    with pytest.raises(ConfigError, match="cannot access the config file"):
        load_config(tmp_path / ("n" * 5000))  # a name too long for the OS: not an OSError


def _cli(tmp_path: Path, *args: str, text: str | None = None) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "bad.yml"
    if text is not None:
        path.write_text(text)
    cache = tmp_path / "cache"
    cache.mkdir(exist_ok=True)
    env = {**os.environ, "EMPATHY_CACHE_DIR": str(cache), "ANTHROPIC_API_KEY": CANARY}
    env.pop("EMPATHY_CONFIG", None)
    return subprocess.run(
        [sys.executable, "-m", "empathy_core", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (_laughs(), ":9: plugins.settings.laughs.l5["),
        ("tier_defaults: 5\n", ":1: tier_defaults: expected a mapping of keys, got int"),
        (
            "telemetry:\n  retention_days: ${ANTHROPIC_API_KEY}\n",
            ":2: telemetry.retention_days: expected int",
        ),
        ("a: 1\n" * 20_000, ":2: a: duplicate key (first at line 1)"),
    ],
)
def test_cli_validate_prints_one_line_and_exits_2(tmp_path: Path, text: str, expected: str) -> None:
    done = _cli(tmp_path, "config", "validate", "--config", str(tmp_path / "bad.yml"), text=text)
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""
    assert "Traceback" not in done.stderr
    assert len(done.stderr.splitlines()) == 1, done.stderr
    assert done.stderr.startswith(f"Error: {tmp_path / 'bad.yml'}{expected}")
    assert "canary" not in done.stderr


def test_cli_missing_config_and_show_redaction(tmp_path: Path) -> None:
    done = _cli(tmp_path, "--config", str(tmp_path / "nonexistent.yml"), "config", "validate")
    assert (done.returncode, done.stderr) == (
        2,
        f"Error: {tmp_path / 'nonexistent.yml'}: config file not found (given with --config)\n",
    )
    text = (
        "telemetry:\n  store: 'sqlite:///${ANTHROPIC_API_KEY}.db'\n"
        "plugins:\n  settings:\n    x: {d: 2024-01-02}\n"
    )
    done = _cli(tmp_path, "config", "show", "--json", "--config", str(tmp_path / "bad.yml"), text=text)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["telemetry"]["store"] == "sqlite:///***.db"
    assert data["plugins"]["settings"]["x"] == {"d": "2024-01-02"}
    assert "canary" not in done.stdout + done.stderr
