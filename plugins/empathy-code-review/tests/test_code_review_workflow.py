"""code-review end to end: real ruff and bandit, the fake Anthropic API, the findings asserted."""

from __future__ import annotations

from typing import Any

import pytest

from empathy_code_review.sources import ReviewInputError
from empathy_code_review.workflow import CodeReviewWorkflow

TRIAGE = "You triage Python files"
REVIEW = "You are a senior Python reviewer"
ARCHITECT = "You are a principal engineer"
REVIEWED = {
    "issues": [
        {
            "file": "pkg/auth.py",
            "line": 5,
            "severity": "high",
            "category": "security",
            "issue": "login accepts any password that evaluates truthy",
            "suggestion": "compare a password hash with hmac.compare_digest",
        },
        {"file": "pkg/auth.py", "line": 99, "severity": "high", "issue": "a line that is not there"},
        {"file": "pkg/nowhere.py", "line": 1, "severity": "low", "issue": "a file that is not there"},
        {"file": "pkg/util.py", "line": 1, "severity": "urgent", "issue": "an unknown severity"},
    ],
    "suggestions": ["add tests for login"],
}
TRIAGED = {
    "files": [{"file": "pkg/auth.py", "risk": "high", "reason": "eval"}, {"file": "x.py", "risk": "low"}]
}
ARCHITECTED = {
    "suggestions": [{"suggestion": "move authentication behind one audited module", "files": ["pkg/auth.py"]}]
}


def run(run_workflow: Any, project: Any, **extra: Any) -> Any:
    return run_workflow(CodeReviewWorkflow, {"path": str(project), **extra}, provider="anthropic")


def test_every_stage_runs_and_findings_are_real_and_checked(
    on_anthropic: Any,
    script: Any,
    run_workflow: Any,
    usage_records: Any,
    project: Any,
    billed: Any,
    known: Any,
    found: Any,
) -> None:
    fake = script({TRIAGE: TRIAGED, REVIEW: REVIEWED, ARCHITECT: ARCHITECTED})
    result = run(run_workflow, project)
    assert result.status == "success", result.error
    assert [(s.name, s.status) for s in result.stages] == [
        ("scan", "success"),
        ("triage", "success"),
        ("review", "success"),
        ("architect_review", "success"),
    ]
    out = result.output
    assert out["status"] == "success"
    assert out["files"] == ["pkg/__init__.py", "pkg/auth.py", "pkg/util.py"]
    assert found(out) == known
    capable = on_anthropic.get().config.model_for("capable")
    model_issues = [i for i in out["issues"] if i["source"] == capable]
    assert [(i["file"], i["line"], i["severity"]) for i in model_issues] == [("pkg/auth.py", 5, "high")]
    assert sorted(r["reason"] for r in out["rejected_findings"]) == [
        "file 'pkg/nowhere.py' is not one of the reviewed files",
        "line 99 does not exist in pkg/auth.py (11 lines)",
        "severity 'urgent' is not one of high, medium, low",
    ]
    assert out["triage"] == [{"file": "pkg/auth.py", "risk": "high", "reason": "eval"}]
    assert [s["suggestion"] for s in out["suggestions"]] == [
        "compare a password hash with hmac.compare_digest",
        "add tests for login",
        "move authentication behind one audited module",
    ]
    assert out["suggestions"][-1]["source"] == on_anthropic.get().config.model_for("premium")
    assert out["severity"] == {"high": 3, "medium": 1, "low": 2}
    assert 0 < out["score"] < 100
    # cost: what the provider billed, recorded once per call
    assert len(usage_records) == 3 == len(fake.received("/v1/messages"))
    assert [r.stage for r in usage_records] == ["triage", "review", "architect_review"]
    assert out["cost"] == pytest.approx(sum(r.cost for r in usage_records)) == pytest.approx(billed())
    assert out["cost"] > 0
    assert out["tokens"]["input"] == sum(r.usage.total_input_tokens for r in usage_records)
    assert out["tokens"]["total"] == out["tokens"]["input"] + out["tokens"]["output"]


def test_the_files_and_scan_findings_are_the_cached_context(
    on_anthropic: Any, script: Any, run_workflow: Any, project: Any
) -> None:
    fake = script({TRIAGE: TRIAGED, REVIEW: REVIEWED, ARCHITECT: ARCHITECTED})
    run(run_workflow, project)
    review = fake.received("/v1/messages")[1].body
    prefix = review["system"][-1]
    assert prefix["cache_control"] == {"type": "ephemeral"}
    assert "    6|     return eval(pw)" in prefix["text"]
    assert "pkg/auth.py:10 [high] bandit B602" in prefix["text"]
    assert "Focus areas: security, correctness" in review["messages"][0]["content"]


def test_second_run_reads_the_prompt_cache(
    on_anthropic: Any, script: Any, run_workflow: Any, usage_records: Any, tmp_path: Any
) -> None:
    root = tmp_path / "big"
    root.mkdir()
    for i in range(12):  # enough text for the cache minimum of every model
        body = "".join(f"def f{i}_{n}(x):\n    return x + {n}\n\n\n" for n in range(30))
        (root / f"m{i}.py").write_text(body)
    script({TRIAGE: TRIAGED, REVIEW: {"issues": [], "suggestions": []}})
    first = run(run_workflow, root)
    second = run(run_workflow, root)
    assert first.status == second.status == "success"
    cold = [r for r in usage_records if r.run_id == first.run_id]
    warm = [r for r in usage_records if r.run_id == second.run_id]
    assert all(r.usage.cache_creation_tokens > 0 and r.usage.cache_read_tokens == 0 for r in cold)
    assert all(r.usage.cache_read_tokens > 0 and r.usage.cache_creation_tokens == 0 for r in warm)
    assert second.cost < first.cost


def test_no_high_severity_issue_means_no_premium_call(
    on_anthropic: Any, script: Any, run_workflow: Any, project: Any
) -> None:
    fake = script({TRIAGE: TRIAGED, REVIEW: {"issues": [], "suggestions": []}})
    result = run(run_workflow, project)
    assert result.status == "success", result.error
    architect = result.stages[-1]
    assert (architect.status, architect.reason) == ("skipped", "the review found no high-severity issue")
    assert len(fake.received("/v1/messages")) == 2
    assert result.output["skipped"] == {"architect_review": "the review found no high-severity issue"}


def test_without_a_key_the_analysers_run_and_llm_stages_are_skipped(
    empathy: Any,
    run_workflow: Any,
    project: Any,
    usage_records: Any,
    monkeypatch: Any,
    known: Any,
    found: Any,
) -> None:
    import empathy_anthropic.plugin as anthropic_plugin

    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    empathy.plugins.append(anthropic_plugin)
    result = run(run_workflow, project)
    assert result.status == "partial"
    assert result.error.startswith("stages 'triage', 'review', 'architect_review' skipped: no API key")
    assert [s.status for s in result.stages] == ["success", "skipped", "skipped", "skipped"]
    assert found(result.output) == known
    assert result.output["status"] == "partial"
    assert result.output["cost"] == 0 and usage_records == []


def test_offline_asks_for_the_analysers_only(run_workflow: Any, project: Any, usage_records: Any) -> None:
    result = run_workflow(CodeReviewWorkflow, {"path": str(project), "offline": True})
    assert result.status == "success"
    assert [s.status for s in result.stages] == ["success", "skipped", "skipped", "skipped"]
    assert usage_records == []


def test_focus_areas_limit_the_issues(
    on_anthropic: Any, script: Any, run_workflow: Any, project: Any
) -> None:
    script({TRIAGE: TRIAGED, REVIEW: REVIEWED, ARCHITECT: ARCHITECTED})
    result = run(run_workflow, project, focus_areas=["security"])
    out = result.output
    assert {i["category"] for i in out["issues"]} == {"security"}
    assert {i["rule"] for i in out["issues"] if i["source"] == "bandit"} == {"B307", "B404", "B602"}
    assert out["issues_outside_focus"] == 2  # F401, F821
    assert out["focus_areas"] == ["security"]


def test_a_reply_that_is_not_json_makes_the_run_partial(
    on_anthropic: Any, script: Any, run_workflow: Any, project: Any, known: Any, found: Any
) -> None:
    script({TRIAGE: TRIAGED})  # the review gets the fake's plain-text reply
    result = run(run_workflow, project)
    assert result.status == "partial"
    assert result.error.startswith("review: the ")
    assert "reply was not usable: the reply holds no JSON object with 'issues'" in result.error
    assert found(result.output) == known


def test_a_provider_failure_fails_the_run(
    on_anthropic: Any, fake_anthropic: Any, run_workflow: Any, project: Any
) -> None:
    fake_anthropic.fail_always(400)
    result = run(run_workflow, project)
    assert result.status == "failed"
    assert result.failed_stage == "triage"
    assert [s.status for s in result.stages] == ["success", "failed"]


def test_named_files_only(run_workflow: Any, project: Any) -> None:
    payload = {"path": str(project), "files": ["pkg/util.py"], "offline": True}
    result = run_workflow(CodeReviewWorkflow, payload)
    assert result.output["files"] == ["pkg/util.py"]
    assert result.output["issues"] == [] and result.output["score"] == 100


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        ({"path": "/no/such/dir"}, "is not a directory"),
        ({"files": ["../../etc/passwd"]}, "is outside the review path"),
        ({"files": ["missing.py"]}, "does not exist"),
        ({"offline": "yes"}, "offline must be true or false"),
    ],
)
def test_bad_input_is_refused_before_any_stage(
    run_workflow: Any, usage_records: Any, project: Any, payload: Any, reason: str
) -> None:
    with pytest.raises(ReviewInputError, match=reason) as refused:
        run_workflow(CodeReviewWorkflow, {"path": str(project), **payload})
    assert refused.value.exit_code == 2
    assert usage_records == []
