"""Generated configs: ``parse_config`` returns a config or raises one short ConfigError line.

Hypothesis writes YAML-ish documents over the real key names and garbage: nested mappings and
lists, anchors and aliases (valid, undefined, recursive, exponential), huge scalars, NaN,
negative numbers, odd tags and keys, and ``${ANTHROPIC_API_KEY}`` anywhere. Whatever comes
out, the loader answers fast with an :class:`EmpathyConfig` or a :class:`ConfigError` of one
line of at most 300 characters that never contains the key; nothing else is ever raised.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from empathy_core import redaction
from empathy_core.config import EmpathyConfig, config_as_dict, parse_config
from empathy_core.errors import ConfigError

CANARY = "sk-ant-canary-generated-4e7d21b9f0"
PLAIN_CANARY = "plain-canary-generated-83c5a1"  # in a variable whose name looks harmless
SOURCE = Path("/tmp/empathy-generated/empathy.config.yml")  # only named in messages

SCHEMA: dict[str, list[str]] = {
    "provider": [],
    "api_key": [],
    "log_level": [],
    "tier_defaults": ["cheap", "capable", "premium"],
    "telemetry": ["enabled", "store", "retention_days", "export_format", "store_prompts", "hash_user_ids"],
    "adaptive_routing": ["enabled", "strategy", "min_samples", "quality_threshold", "failure_rate_threshold"],
    "batch": ["poll_interval", "timeout"],
    "redis": ["url", "enabled"],
    "pricing": ["claude-haiku-4-5", "my-model"],
    "plugins": ["disable", "settings"],
    "hooks": ["empathy_run_stage", "empathy_configure"],
}
SUBKEYS = sorted({key for keys in SCHEMA.values() for key in keys} | {"input", "output"})
ANCHORS = ["a0", "a1", "a2"]


@pytest.fixture(scope="module", autouse=True)
def _secrets() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ANTHROPIC_API_KEY", CANARY)
        patch.setenv("EMPATHY_GENERATED_PLAIN", PLAIN_CANARY)
        patch.delenv("EMPATHY_UNSET_GENERATED", raising=False)
        for name in ("EMPATHY_LOG_LEVEL", "EMPATHY_REDIS_URL", "EMPATHY_CONFIG"):
            patch.delenv(name, raising=False)
        yield


def _quoted(text: str) -> str:
    """``text`` as a YAML double-quoted scalar (YAML escapes, so any character can be in it)."""

    def escape(char: str) -> str:
        if char in '"\\':
            return "\\" + char
        if char.isprintable() and char.isascii():
            return char
        return f"\\u{ord(char):04x}" if ord(char) < 0x10000 else f"\\U{ord(char):08x}"

    return '"' + "".join(map(escape, text)) + '"'


_special = st.sampled_from(
    [
        "null", "~", "true", "no", "''", ".nan", ".inf", "-.inf", "-1", "0", "1", "0.5", "1e9", "1.0e+400",
        "0x1F", "0o17", "1:30", "1_000", "2024-01-01", "2024-13-45", "2024-01-01T25:00:00",
        "!!binary aGk=", "!!binary 'bad!'", "!!int twelve", "!!float x", "!!str 5", "!custom x",
        "!!python/object:os.system x", "!!set {a, b}", "!!omap [a: 1]", "*nowhere",
        "mock", "anthropic", "debug", "WARNING", "csv", "sqlite:///tmp/x.db", "jsonl:///tmp/x.jsonl",
        "claude-haiku-4-5", "redis://localhost:6379", "300", "86400", "604801", "36500", "100000000000",
        "${ANTHROPIC_API_KEY}", "'${ANTHROPIC_API_KEY}'", "x${ANTHROPIC_API_KEY}y",
        "'sqlite:///${ANTHROPIC_API_KEY}'", "'my ${ANTHROPIC_API_KEY}'", "${EMPATHY_GENERATED_PLAIN}",
        "'${EMPATHY_GENERATED_PLAIN} x'", "${EMPATHY_UNSET_GENERATED}", "${EMPATHY_UNSET_GENERATED:-d}",
    ]
)  # fmt: skip
_ints = st.one_of(st.integers(-100, 100_000), st.integers(-(10**15), 10**15)).map(str)
_floats = st.floats(allow_nan=True, allow_infinity=True).map(
    lambda x: ".nan" if x != x else {float("inf"): ".inf", float("-inf"): "-.inf"}.get(x, repr(x))
)
_huge = st.one_of(
    st.integers(30, 5000).map(lambda n: "9" * n), st.integers(30, 3000).map(lambda n: "0x" + "f" * n)
)
_numbers = st.one_of(_ints, _floats, _ints, _floats, _huge)
_strings = st.one_of(
    st.text(max_size=20).map(_quoted),
    st.integers(100, 60_000).map(lambda n: "x" * n),
    st.integers(100, 20_000).map(lambda n: _quoted("${ANTHROPIC_API_KEY}" + "y" * n)),
)
scalars = st.one_of(_special, _numbers, _special, _numbers, _strings)
_real_keys = st.one_of(st.sampled_from(SUBKEYS), st.sampled_from(sorted(SCHEMA)))
_odd_keys = st.one_of(
    st.sampled_from(
        ["1", "null", "true", "[a]", "{b: 1}", "<<", '"${ANTHROPIC_API_KEY}"', "*a0", "2024-01-01"]
    ),
    st.text(min_size=1, max_size=12).map(_quoted),
)
keys = st.one_of(_real_keys, _real_keys, _real_keys, _odd_keys)


def _node(child: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    flow_list = st.lists(child, max_size=4).map(lambda items: "[" + ", ".join(items) + "]")
    flow_map = st.lists(st.tuples(keys, child), max_size=4).map(
        lambda pairs: "{" + ", ".join(f"{k}: {v}" for k, v in pairs) + "}"
    )
    aliased = st.tuples(st.sampled_from(ANCHORS), st.one_of(flow_list, flow_map)).map(
        lambda p: f"&{p[0]} {p[1]}"
    )
    alias = st.sampled_from(ANCHORS).map(lambda name: f"*{name}")
    return st.one_of(flow_list, flow_map, flow_list, flow_map, aliased, alias)


values = st.recursive(scalars, _node, max_leaves=12)


@st.composite
def sections(draw: st.DrawFn) -> str:
    """One top-level entry: a real section with real or garbage sub-keys, or anything."""
    key = draw(st.one_of(st.sampled_from(sorted(SCHEMA)), keys))
    subkeys = SCHEMA.get(key, [])
    if subkeys and draw(st.booleans()):
        lines = [f"{key}:"]
        subkey_choice = st.one_of(st.sampled_from(subkeys), st.sampled_from(subkeys), keys)
        for subkey in draw(st.lists(subkey_choice, min_size=1, max_size=4)):
            lines.append(f"  {subkey}: {draw(st.one_of(scalars, scalars, values))}")
        return "\n".join(lines)
    return f"{key}: {draw(values)}"


_tame_scalars = st.one_of(_special, _ints, _floats, st.text(max_size=20).map(_quoted))
_tame_values = st.one_of(
    _tame_scalars,
    _tame_scalars,
    st.lists(_tame_scalars, max_size=3).map(lambda items: "[" + ", ".join(items) + "]"),
    st.dictionaries(st.sampled_from(SUBKEYS), _tame_scalars, max_size=3).map(
        lambda pairs: "{" + ", ".join(f"{k}: {v}" for k, v in pairs.items()) + "}"
    ),
)


_NUMERIC = {
    "retention_days",
    "min_samples",
    "quality_threshold",
    "failure_rate_threshold",
    "poll_interval",
    "timeout",
}
_FLAGS = {"enabled", "store_prompts", "hash_user_ids"}
_GOOD_TEXT = [
    "mock", "anthropic", "adaptive", "csv", "json", "debug", "info", "WARNING", "sqlite:///tmp/u.db",
    "jsonl:///tmp/u.jsonl", "redis://localhost:6379", "claude-haiku-4-5", "claude-sonnet-4-6", "gpt-x", "",
]  # fmt: skip
_names = st.sampled_from(["telemetry", "otel", "engine", "empathy-anthropic", "${ANTHROPIC_API_KEY}"])
_name_lists = st.lists(_names, max_size=3).map(lambda items: "[" + ", ".join(items) + "]")


def _field_value(name: str) -> st.SearchStrategy[str]:
    """Plausible values for the key ``name``: right or wrong type, in or out of range."""
    if name in _NUMERIC:
        return st.one_of(_ints, _floats, _ints, _special)
    if name in _FLAGS:
        return st.one_of(st.sampled_from(["true", "false", "yes", "'no'", "1"]), _special)
    if name in ("disable", "empathy_run_stage", "empathy_configure"):
        return st.one_of(_name_lists, _name_lists, _tame_scalars)
    if name == "settings":
        return st.dictionaries(_names, _tame_values, max_size=2).map(
            lambda pairs: "{" + ", ".join(f"{k}: {v}" for k, v in pairs.items()) + "}"
        )
    if name in SCHEMA["pricing"]:
        return st.tuples(_field_value("timeout"), _field_value("timeout")).map(
            lambda p: f"{{input: {p[0]}, output: {p[1]}}}"
        )
    return st.one_of(st.sampled_from(_GOOD_TEXT).map(_quoted), _special, _tame_scalars)


@st.composite
def tame_sections(draw: st.DrawFn) -> str:
    """A real section with real sub-keys and plausible (often wrong) values: reaches the checks."""
    key = draw(st.sampled_from(sorted(SCHEMA)))
    subkeys = SCHEMA[key]
    if not subkeys:
        return f"{key}: {draw(_field_value(key))}"
    chosen = draw(st.lists(st.sampled_from(subkeys), min_size=1, max_size=3, unique=True))
    lines = [
        f"  {name}: {draw(st.one_of(_field_value(name), _field_value(name), _tame_values))}"
        for name in chosen
    ]
    return "\n".join([f"{key}:", *lines])


@st.composite
def laughs(draw: st.DrawFn) -> str:
    """An exponential alias tower under plugins.settings, and maybe a use of its top."""
    width, levels = draw(st.integers(1, 12)), draw(st.integers(1, 8))
    leaf = draw(scalars)
    lines = ["plugins:", "  settings:", "    tower:", f"      l0: &l0 [{leaf}]"]
    lines += [f"      l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * width) + "]" for i in range(1, levels + 1)]
    if draw(st.booleans()):
        lines.append(f"hooks: {{empathy_run_stage: *l{levels}}}")
    return "\n".join(lines)


_lines = st.lists  # documents are lines of top-level entries
tame_documents = _lines(tame_sections(), min_size=1, max_size=5, unique_by=lambda p: p.split(":")[0]).map(
    lambda parts: "\n".join(parts) + "\n"
)
wild_documents = _lines(sections(), max_size=6).map(lambda parts: "\n".join(parts) + "\n")
tower_documents = st.tuples(laughs(), _lines(tame_sections(), max_size=2)).map(
    lambda p: "\n".join([p[0], *p[1]]) + "\n"
)
broken_documents = st.tuples(
    _lines(tame_sections(), max_size=3), st.sampled_from(["\t- x", " bad: [", "---", "a: b: c", "\x00"])
).map(lambda p: "\n".join([*p[0], p[1]]) + "\n")
_MIX = [tame_documents] * 5 + [wild_documents] * 3 + [tower_documents, broken_documents]
documents = st.integers(0, len(_MIX) - 1).flatmap(_MIX.__getitem__)
"""Half tame (reaching the type, range and name checks), the rest wild, towers and breakage."""


HANG_SECONDS = 30


def _leaks(text: str) -> bool:
    return any(part in text for part in (CANARY[8:20], PLAIN_CANARY[6:20]))


@settings(
    max_examples=300,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(documents)
def test_any_document_gives_a_config_or_one_short_error_line(text: str) -> None:
    with mock.patch.object(redaction, "_added", set()):  # a generated api_key stays this example's
        _check(text)


def _check(text: str) -> None:
    started = time.perf_counter()
    try:
        config = parse_config(text, SOURCE)
    except ConfigError as exc:
        message = str(exc)
        assert exc.exit_code == 2
        assert len(message.splitlines()) == 1 and "\n" not in message, message
        assert message.startswith(str(SOURCE)), message
        assert len(message) <= 300, message
        assert not _leaks(message), message
    else:
        assert isinstance(config, EmpathyConfig)
        shown = json.dumps(config_as_dict(config), default=str)
        assert not _leaks(shown), shown[:300]
    # A hang guard, not a speed target (benchmarks hold those): no input may take near this long.
    assert time.perf_counter() - started < HANG_SECONDS, f"{len(text)} characters took too long"
