"""test-gen end to end: generated tests really run; only passing ones are kept; nothing written unasked."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from typing import Any

import pytest

from empathy_test_gen.workflow import TestGenerationWorkflow, TestGenInputError

GENERATE = "You write pytest tests"
DIVIDE = "def test_divide():\n    assert divide(6, 3) == 2"
BY_ZERO = "def test_divide_by_zero():\n    with pytest.raises(ZeroDivisionError):\n        divide(1, 0)"
SHOUT = "def test_shout():\n    assert shout('a') == 'a'"
GENERATED = {
    "imports": ["import math", "math.floor(1)"],
    "tests": [
        {"function": "divide", "name": "test_divide", "code": DIVIDE},
        {"function": "divide", "name": "test_divide_by_zero", "code": BY_ZERO},
        {"function": "shout", "name": "test_shout", "code": SHOUT},
        {"function": "shout", "name": "test_broken", "code": "def test_broken(:\n    pass\n"},
        {"function": "shout", "name": "check_shout", "code": "def check_shout():\n    pass\n"},
        {"function": "nope", "name": "test_nope", "code": "def test_nope():\n    pass\n"},
    ],
}


def run(run_workflow: Any, repo: Any, **extra: Any) -> Any:
    payload = {"path": str(repo), "source_file": "calc.py", **extra}
    return run_workflow(TestGenerationWorkflow, payload, provider="anthropic")


def test_only_passing_tests_are_kept_and_coverage_is_measured(
    on_anthropic: Any,
    script: Any,
    run_workflow: Any,
    usage_records: Any,
    repo: Any,
    billed: Any,
    snapshot: Any,
) -> None:
    before = snapshot(repo)
    fake = script({GENERATE: GENERATED})
    result = run(run_workflow, repo)
    assert result.status == "success", result.error
    out = result.output
    assert out["functions"] == ["add", "divide", "shout"]
    assert out["untested"] == ["divide", "shout"]
    assert out["tests_generated"] == 6
    assert out["tests_kept"] == 2
    assert out["kept"] == [
        {"name": "test_divide", "function": "divide"},
        {"name": "test_divide_by_zero", "function": "divide"},
    ]
    reasons = {d["name"]: d["reason"] for d in out["dropped"]}
    assert reasons["test_shout"].startswith("failed: AssertionError")
    assert reasons["test_broken"].startswith("not valid Python")
    assert reasons["check_shout"] == "name 'check_shout' is not a test function name (test_...)"
    assert reasons["test_nope"] == "function 'nope' is not a public function of calc.py"
    assert [d["import"] for d in out["dropped_imports"]] == ["math.floor(1)"]
    assert 0 < out["coverage_before"] < out["coverage_after"] < 1  # shout stays untested
    assert out["test_file"] == "tests/test_calc_generated.py" and out["written"] is False
    assert "def test_divide_by_zero():" in out["test_code"] and "test_shout" not in out["test_code"]
    assert "import math" in out["test_code"]
    assert snapshot(repo) == before  # nothing written, no cache or bytecode left behind
    [sent] = fake.received("/v1/messages")
    assert "- divide(a, b)\n- shout(text)" in sent.body["messages"][0]["content"]
    assert out["cost"] == pytest.approx(sum(r.cost for r in usage_records)) == pytest.approx(billed())


def test_write_puts_the_kept_tests_next_to_the_others_and_they_pass(
    on_anthropic: Any, script: Any, run_workflow: Any, repo: Any
) -> None:
    script({GENERATE: GENERATED})
    result = run(run_workflow, repo, write=True)
    assert result.output["written"] is True
    written = repo / "tests" / "test_calc_generated.py"
    assert written.read_text() == result.output["test_code"]
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout
    assert "3 passed" in done.stdout


def test_without_a_key_coverage_is_still_measured(
    empathy: Any, run_workflow: Any, repo: Any, monkeypatch: Any, snapshot: Any
) -> None:
    import empathy_anthropic.plugin as anthropic_plugin

    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    empathy.plugins.append(anthropic_plugin)
    before = snapshot(repo)
    result = run(run_workflow, repo, write=True)
    assert result.status == "partial"
    assert [(s.name, s.status) for s in result.stages] == [
        ("analyze", "success"),
        ("generate", "skipped"),
        ("verify", "skipped"),
    ]
    out = result.output
    assert out["tests_kept"] == 0 and out["written"] is False
    assert out["coverage_before"] == out["coverage_after"] > 0
    assert snapshot(repo) == before


def test_functions_already_tested_need_no_model(
    on_anthropic: Any, fake_anthropic: Any, run_workflow: Any, repo: Any
) -> None:
    result = run(run_workflow, repo, functions=["add"])
    assert result.status == "success"
    assert result.output["untested"] == []
    assert result.stages[1].reason == "every public function is already tested"
    assert fake_anthropic.received() == []


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        ({"source_file": None}, "source_file must name a .py file under path"),
        ({"source_file": "missing.py"}, "source_file 'missing.py' does not exist under"),
        ({"source_file": "../x.py"}, "is outside the path"),
        ({"source_file": "tests/test_calc.py"}, "is a test file"),
        ({"functions": ["nope"]}, "calc.py has no public function 'nope' (it has: add, divide, shout)"),
        ({"functions": "add"}, "functions must be a list of function names"),
        ({"framework": "unittest"}, "framework must be 'pytest'"),
        ({"write": "yes"}, "write must be true or false"),
    ],
)
def test_bad_input(run_workflow: Any, repo: Any, payload: Any, reason: str) -> None:
    with pytest.raises(TestGenInputError, match=re.escape(reason)) as refused:
        run_workflow(TestGenerationWorkflow, {"path": str(repo), "source_file": "calc.py", **payload})
    assert refused.value.exit_code == 2


def test_the_cli_refuses_bad_input_in_one_line(empathy_cli: Any, repo: Any) -> None:
    payload = json.dumps({"source_file": "nope.py"})
    done = empathy_cli("workflow", "run", "test-gen", "--input", payload, cwd=repo)
    assert done.error_line(2).startswith("Error: source_file 'nope.py' does not exist under '.'")
