"""Generated inputs (hypothesis, 1,000 examples each): configs with this plugin's settings,
batch files, and ``workflow submit --input`` values. Each one is accepted or refused with a
clear error of the documented type; nothing else is ever raised (no traceback)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import click
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import empathy_checkpoints.plugin as checkpoints_plugin
import empathy_sqlite.plugin as sqlite_plugin
from empathy_batch.requests import BatchInputError, load_batch_file
from empathy_checkpoints.settings import CheckpointSettings
from empathy_core import ConfigError, Empathy, parse_config, parse_input

EXAMPLES = 1000
SOURCE = Path("/tmp/empathy-generated/empathy.config.yml")  # only named in messages
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
TRIED: dict[str, int] = {}

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
    st.sampled_from(["sqlite:///runs.db", "postgresql://x@127.0.0.1/db", "redis://", "://", "30", "1h", ""]),
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
SETTING_KEYS = [*(f.name for f in CheckpointSettings.__attrs_attrs__), "unknown", "Enabled"]


@st.composite
def config_texts(draw: Any) -> str:
    checkpoint = draw(st.dictionaries(st.sampled_from(SETTING_KEYS), values, max_size=5))
    document: dict[str, Any] = {"plugins": {"settings": {"empathy-checkpoints": checkpoint}}}
    if draw(st.booleans()):
        document["provider"] = draw(values)
    if draw(st.booleans()):
        document["telemetry"] = {"store": draw(values)}
    as_yaml = draw(st.booleans())
    text = yaml.safe_dump(document, allow_unicode=True) if as_yaml else json.dumps(document, default=str)
    if draw(st.integers(0, 9)) == 0:  # now and then a broken document
        cut = draw(st.integers(0, len(text)))
        text = text[:cut] + draw(st.sampled_from(["\t", ": [", "&a *a", "{", "!!python/object:os.system ls"]))
    return text


@FUZZ
@given(text=config_texts())
def test_generated_configs_are_accepted_or_refused_with_a_config_error(text: str) -> None:
    TRIED["configs"] = TRIED.get("configs", 0) + 1
    try:
        config = parse_config(text, SOURCE)
        runtime = Empathy(config, plugins=[sqlite_plugin])
        runtime.add_plugin(checkpoints_plugin, "checkpoints", dist="empathy-checkpoints")
        runtime.validate_settings()
        chosen = runtime.settings(CheckpointSettings)
    except ConfigError as exc:
        assert "Traceback" not in str(exc) and str(exc).strip()
        return
    assert isinstance(chosen.lease, float) and math.isfinite(chosen.lease) and chosen.lease > 0
    assert chosen.store is None or "://" in chosen.store


requests = st.fixed_dictionaries(
    {},
    optional={
        "task_id": values,
        "task_type": st.sampled_from(["analyze_logs", "generate_report", "nope"]) | values,
        "input_data": values,
        "model_tier": st.sampled_from(["cheap", "capable", "premium", "huge"]) | values,
        "extra": values,
    },
)


@st.composite
def batch_texts(draw: Any) -> str:
    if draw(st.integers(0, 4)) == 0:
        return draw(st.text(max_size=200))
    text = json.dumps(draw(st.lists(requests | values, max_size=5)), default=str)
    if draw(st.integers(0, 5)) == 0:
        cut = draw(st.integers(0, len(text)))
        text = text[:cut] + draw(st.sampled_from(["", ",", "]", "[" * 5000, "\x00", "}{"]))
    return text


@FUZZ
@given(text=batch_texts())
def test_generated_batch_files_load_or_fail_with_a_batch_error(text: str, tmp_path_factory: Any) -> None:
    TRIED["batch files"] = TRIED.get("batch files", 0) + 1
    path = tmp_path_factory.mktemp("batch") / "tasks.json"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        loaded = load_batch_file(str(path))
    except BatchInputError as exc:
        assert str(path) in str(exc) or "batch file" in str(exc)
        return
    assert loaded and all(r.task_id for r in loaded)


@FUZZ
@given(raw=st.one_of(st.text(max_size=100), values.map(lambda v: json.dumps(v, default=str))))
def test_generated_run_inputs_parse_or_fail_with_a_usage_error(raw: str) -> None:
    TRIED["run inputs"] = TRIED.get("run inputs", 0) + 1
    try:
        data = parse_input(raw)
    except click.BadParameter as exc:
        assert exc.exit_code == 2 and "--input" in str(exc.param_hint)
        return
    assert isinstance(data, dict)


@pytest.fixture(scope="module", autouse=True)
def _report() -> Any:
    yield
    print(f"\nfuzz cases tried: {TRIED}")
