"""Generated batch files: every one is a request set or one short, redacted ``BatchInputError``.

Hypothesis builds requests files from valid items, items with one field broken, garbage
JSON, deep nesting, huge and non-UTF-8 content and lone surrogates; ``load_requests``
then either returns requests that the request builder accepts, or raises exactly one
:class:`BatchInputError` (exit code 2) whose message is one line, bounded, and free of
the canary key. Never another exception, never a hang.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from empathy_anthropic.batch_files import BatchInputError, load_requests
from empathy_anthropic.messages import check_encodable, create_params
from empathy_core import ProviderError

hypothesis = pytest.importorskip("hypothesis")
st = pytest.importorskip("hypothesis.strategies")

CANARY = "sk-ant-canary-batch-0123456789abcdef"

texts = st.one_of(
    st.text(max_size=40),
    st.just(CANARY),
    st.just("\ud800 lone surrogate"),
    st.text(alphabet="ab", min_size=2000, max_size=3000),
)
scalars = st.one_of(st.none(), st.booleans(), st.integers(-(10**30), 10**30), st.floats(), texts)
valid_item = st.fixed_dictionaries(
    {"custom_id": st.from_regex(r"[A-Za-z0-9_-]{1,64}", fullmatch=True), "prompt": st.text(min_size=1)},
    optional={
        "system": st.text(max_size=20),
        "tier": st.sampled_from(["cheap", "capable", "premium", "CHEAP", "gold"]),
        "max_tokens": st.integers(-5, 100_000),
    },
)
broken_item = st.one_of(
    valid_item.flatmap(lambda item: st.sampled_from(sorted(item)).map(lambda k: {**item, k: None})),
    valid_item.map(lambda item: {**item, "custom_id": item["custom_id"] + "\n"}),
    valid_item.map(lambda item: {**item, "extra": 1}),
    st.dictionaries(st.text(max_size=8), scalars, max_size=4),
    scalars,
)
documents = st.one_of(
    st.lists(st.one_of(valid_item, broken_item), max_size=6).map(json.dumps),
    st.recursive(scalars, lambda inner: st.lists(inner, max_size=3), max_leaves=10).map(json.dumps),
    st.integers(1, 50_000).map(lambda depth: "[" * depth + "]" * depth),
    st.binary(max_size=200).map(lambda raw: raw.decode("latin-1")),
    st.text(max_size=200),
)


@hypothesis.settings(
    max_examples=300,
    deadline=None,
    database=None,
    suppress_health_check=[hypothesis.HealthCheck.too_slow, hypothesis.HealthCheck.function_scoped_fixture],
)
@hypothesis.given(document=documents)
@hypothesis.example(document=json.dumps([{"custom_id": "a", "prompt": "x", "max_tokens": CANARY}]))
def test_any_requests_file_gives_requests_or_one_clear_error(
    document: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", CANARY)
    path = tmp_path / "requests.json"
    path.write_bytes(document.encode("utf-8", "surrogatepass"))
    try:
        requests = load_requests(str(path), "capable")
    except BatchInputError as exc:
        message = str(exc)
        assert exc.exit_code == 2
        assert "\n" not in message and len(message) <= 2000, message[:300]
        assert CANARY not in message
        return
    assert requests and all(isinstance(key, str) for key in requests)
    for custom_id, request in requests.items():
        try:
            check_encodable(create_params(request, "claude-haiku-4-5", "5m"), f"batch request {custom_id!r}")
        except ProviderError as exc:  # a lone surrogate: refused before sending, clearly
            assert exc.exit_code == 2 and "\n" not in str(exc) and CANARY not in str(exc)
