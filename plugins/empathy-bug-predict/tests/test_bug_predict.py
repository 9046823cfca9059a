"""bug-predict end to end: measured signals on a git fixture, explanations from the fake API."""

from __future__ import annotations

import json
from typing import Any

import pytest

from empathy_bug_predict.workflow import BugPredictWorkflow, PredictInputError

EXPLAIN = "You are a senior engineer predicting where bugs will appear"
EXPLAINED = {
    "explanations": [
        {"file": "risky.py", "explanation": "Deeply branched and changed often, with no tests."},
        {"file": "nowhere.py", "explanation": "not a file of the top"},
    ],
    "likely_bugs": [
        {"file": "risky.py", "line": 16, "severity": "medium", "issue": "loop mutates value inside for"},
        {"file": "risky.py", "line": 400, "severity": "high", "issue": "beyond the end"},
    ],
}


def by_file(output: dict[str, Any]) -> dict[str, Any]:
    return {f["file"]: f for f in output["files"]}


def run(run_workflow: Any, root: Any, **extra: Any) -> Any:
    return run_workflow(BugPredictWorkflow, {"path": str(root), **extra}, provider="anthropic")


def test_signals_are_measured_and_the_top_file_explained(
    on_anthropic: Any,
    script: Any,
    run_workflow: Any,
    usage_records: Any,
    repo: Any,
    billed: Any,
) -> None:
    fake = script({EXPLAIN: EXPLAINED})
    result = run(run_workflow, repo, top=1)
    assert result.status == "success", result.error
    out = result.output
    assert [f["file"] for f in out["files"]] == ["risky.py", "safe.py"]
    risky, safe = by_file(out)["risky.py"]["signals"], by_file(out)["safe.py"]["signals"]
    measured = ("max_complexity", "churn", "lint_findings", "coverage")
    assert tuple(risky[k] for k in measured) == (12, 3, 2, 0.0)
    assert tuple(safe[k] for k in measured) == (1, 1, 0, 1.0)
    assert out["commits"] == 3 and out["tests"]["total"] == 1
    assert out["signals_missing"] == {}
    assert by_file(out)["risky.py"]["risk"] > by_file(out)["safe.py"]["risk"]
    assert out["top"] == ["risky.py"]
    assert by_file(out)["risky.py"]["explanation"] == "Deeply branched and changed often, with no tests."
    assert by_file(out)["safe.py"]["explanation"] is None
    assert [(b["file"], b["line"]) for b in out["likely_bugs"]] == [("risky.py", 16)]
    [rejected] = out["rejected_findings"]
    assert rejected["reason"] == "line 400 does not exist in risky.py (29 lines)"
    [sent] = fake.received("/v1/messages")
    assert "safe.py" not in sent.body["system"][-1]["text"]  # only the top files are sent
    assert len(usage_records) == 1
    assert out["cost"] == pytest.approx(sum(r.cost for r in usage_records)) == pytest.approx(billed())


def test_without_git_or_tests_the_missing_signals_are_named(
    run_workflow: Any, plain: Any, usage_records: Any
) -> None:
    result = run_workflow(BugPredictWorkflow, {"path": str(plain), "run_tests": False, "offline": True})
    assert result.status == "success"
    out = result.output
    assert out["signals_missing"]["coverage"] == "run_tests is false"
    assert out["signals_missing"]["churn"].startswith("no git history: ")
    risky = by_file(out)["risky.py"]
    assert risky["signals"]["churn"] is None and risky["scaled"]["coverage_gap"] is None
    assert risky["level"] in ("medium", "high") and usage_records == []


def test_without_a_key_the_explain_stage_is_skipped(
    empathy: Any, run_workflow: Any, repo: Any, monkeypatch: Any
) -> None:
    import empathy_anthropic.plugin as anthropic_plugin

    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    empathy.plugins.append(anthropic_plugin)
    result = run(run_workflow, repo, run_tests=False)
    assert result.status == "partial"
    assert [s.status for s in result.stages] == ["success", "skipped"]
    assert result.output["files"][0]["file"] == "risky.py"


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        ({"top": 0}, "top must be a whole number from 1 to 20, got 0"),
        ({"top": True}, "top must be a whole number"),
        ({"run_tests": "no"}, "run_tests must be true or false"),
        ({"path": 1}, "path must be a directory path"),
    ],
)
def test_bad_input(run_workflow: Any, repo: Any, payload: Any, reason: str) -> None:
    with pytest.raises(PredictInputError, match=reason):
        run_workflow(BugPredictWorkflow, {"path": str(repo), **payload})


def test_a_path_without_python_is_exit_2(run_workflow: Any, tmp_path: Any) -> None:
    with pytest.raises(Exception, match="no Python files found") as refused:
        run_workflow(BugPredictWorkflow, {"path": str(tmp_path)})
    assert refused.value.exit_code == 2


def test_the_seeds_command(empathy_cli: Any, repo: Any, script: Any) -> None:
    fake = script({EXPLAIN: EXPLAINED})
    done = json.loads(empathy_cli("workflow", "run", "bug-predict", "--json", cwd=repo, env=fake.env()).ok())
    assert done["status"] == "success"
    assert done["output"]["top"][0] == "risky.py"
    assert done["output"]["cost"] == pytest.approx(done["cost"])
    assert done["cost"] > 0
