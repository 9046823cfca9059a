"""security-audit end to end: real bandit, pinning and patterns, model triage on the fake API."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from empathy_code_review.testing import user_text
from empathy_security_audit.workflow import AuditInputError, SecurityAuditWorkflow

TRIAGE = "You are an application security engineer"


def keys(output: dict[str, Any]) -> set[tuple[str, int, str, str]]:
    return {(f["file"], f["line"], f["source"], f["rule"]) for f in output["findings"]}


def verdicts(params: dict[str, Any]) -> dict[str, Any]:
    """Every finding asked about is real, except pinning ones; plus two bad verdicts."""
    first, last = map(int, re.search(r"findings (\d+) to (\d+)", user_text(params)).groups())
    context = params["system"][-1]["text"]
    out = []
    for ident in range(first, last + 1):
        header = re.search(rf"### finding {ident}: (\S+)", context).group(1)
        fp = header.startswith(("requirements", "pyproject"))
        out.append(
            {
                "id": ident,
                "verdict": "false_positive" if fp else "real",
                "severity": "low" if fp else "high",
                "reasoning": "a library may float" if fp else "reachable from user input",
            }
        )
    out.append({"id": 999, "verdict": "real", "reasoning": "x"})
    out.append({"id": first, "verdict": "maybe", "reasoning": "y"})
    return {"verdicts": out}


def run(run_workflow: Any, project: Any, **extra: Any) -> Any:
    return run_workflow(SecurityAuditWorkflow, {"path": str(project), **extra}, provider="anthropic")


def test_findings_are_real_and_each_is_triaged_with_reasoning(
    on_anthropic: Any,
    script: Any,
    run_workflow: Any,
    usage_records: Any,
    project: Any,
    billed: Any,
    known: Any,
) -> None:
    fake = script({TRIAGE: verdicts})
    result = run(run_workflow, project)
    assert result.status == "success", result.error
    out = result.output
    assert keys(out) == known
    by_key = {(f["file"], f["line"], f["rule"]): f for f in out["findings"]}
    assert by_key[("app.py", 10, "B602")]["verdict"] == "real"
    assert by_key[("app.py", 10, "B602")]["reasoning"] == "reachable from user input"
    assert by_key[("requirements.txt", 2, "PIN001")]["verdict"] == "false_positive"
    assert all(f["triaged_by"] == on_anthropic.get().config.model_for("capable") for f in out["findings"])
    assert out["summary"] == {
        "total": 9,
        "by_severity": {"high": 3, "medium": 3, "low": 3},
        "real": {"high": 3, "medium": 1, "low": 1},
        "false_positives": 4,
        "untriaged": 0,
        "by_source": {"bandit": 2, "patterns": 3, "pinning": 4},
    }
    assert sorted(r["reason"] for r in out["rejected_verdicts"]) == [
        "id 999 is not one of the findings asked about (1..9)",
        "verdict 'maybe' is not one of real, false_positive",
    ]
    assert len(usage_records) == 1 == len(fake.received("/v1/messages"))
    assert out["cost"] == pytest.approx(sum(r.cost for r in usage_records)) == pytest.approx(billed())
    assert out["cost"] > 0


def test_credentials_never_reach_the_model_or_the_report(
    on_anthropic: Any, script: Any, run_workflow: Any, project: Any
) -> None:
    fake = script({TRIAGE: verdicts})
    result = run(run_workflow, project)
    [sent] = fake.received("/v1/messages")
    assert "AKIAIOSFODNN7EXAMPLE" not in json.dumps(sent.body)
    assert '    5| AWS_KEY = "<redacted>"' in sent.body["system"][-1]["text"]
    assert "AKIAIOSFODNN7EXAMPLE" not in json.dumps(result.output)


def test_findings_are_triaged_in_batches_sharing_the_cached_context(
    on_anthropic: Any, script: Any, run_workflow: Any, usage_records: Any, tmp_path: Any, monkeypatch: Any
) -> None:
    import empathy_security_audit.workflow as audit

    monkeypatch.setattr(audit, "BATCH", 4)
    root = tmp_path / "many"
    root.mkdir()
    (root / "requirements.txt").write_text("".join(f"package{i}\n" for i in range(10)))
    fake = script({TRIAGE: verdicts})
    result = run(run_workflow, root)
    assert result.status == "success", result.error
    sent = fake.received("/v1/messages")
    asked = [re.search(r"findings \d+ to \d+", user_text(r.body)).group() for r in sent]
    assert asked == ["findings 1 to 4", "findings 5 to 8", "findings 9 to 10"]
    assert {f["verdict"] for f in result.output["findings"]} == {"false_positive"}
    assert len({r.body["system"][-1]["text"] for r in fake.received("/v1/messages")}) == 1


def test_without_a_key_findings_are_untriaged_and_the_run_partial(
    empathy: Any, run_workflow: Any, project: Any, monkeypatch: Any, known: Any, usage_records: Any
) -> None:
    import empathy_anthropic.plugin as anthropic_plugin

    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    empathy.plugins.append(anthropic_plugin)
    result = run(run_workflow, project)
    assert result.status == "partial" and "no API key" in result.error
    assert [s.status for s in result.stages] == ["success", "skipped"]
    assert keys(result.output) == known
    assert result.output["summary"]["untriaged"] == 9 and usage_records == []


def test_a_clean_tree_needs_no_triage(
    on_anthropic: Any, fake_anthropic: Any, run_workflow: Any, tmp_path: Any
) -> None:
    (tmp_path / "ok.py").write_text("def add(a, b):\n    return a + b\n")
    result = run(run_workflow, tmp_path)
    assert result.status == "success"
    assert result.stages[-1].reason == "no findings to triage"
    assert result.output["summary"]["total"] == 0 and fake_anthropic.received() == []


@pytest.mark.parametrize(
    ("payload", "reason"),
    [({"path": 3}, "path must be a directory path"), ({"path": "/no/such"}, "is not a directory")],
)
def test_bad_input(run_workflow: Any, payload: Any, reason: str) -> None:
    with pytest.raises(Exception, match=reason) as refused:
        run_workflow(SecurityAuditWorkflow, payload)
    assert refused.value.exit_code == 2


def test_nothing_to_audit(run_workflow: Any, tmp_path: Any) -> None:
    (tmp_path / "README.md").write_text("hi\n")
    with pytest.raises(AuditInputError, match="nothing to audit under"):
        run_workflow(SecurityAuditWorkflow, {"path": str(tmp_path)})


def test_the_cli_prints_json(empathy_cli: Any, project: Any, known: Any) -> None:
    args = ("workflow", "run", "security-audit", "--json", "--input", '{"offline": true}')
    done = empathy_cli(*args, cwd=project)
    result = json.loads(done.ok())
    assert result["status"] == "success"
    assert keys(result["output"]) == known
