import pytest

from empathy_code_review.sources import ReviewInputError
from empathy_code_review.workflow import CodeReviewWorkflow


@pytest.fixture
def project(tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "auth.py").write_text("def login(user, pw):\n    return eval(pw)\n")
    (tmp_path / "pkg" / "util.py").write_text("def add(a, b):\n    return a + b\n")
    (tmp_path / ".venv").mkdir()
    (tmp_path / ".venv" / "ignored.py").write_text("x = 1\n")
    return tmp_path


def test_reviews_every_python_file_on_three_tiers(empathy, run_workflow, project):
    result = run_workflow(CodeReviewWorkflow, {"path": str(project)})
    assert result.status == "success", result.error
    assert [s.model for s in result.stages] == ["mock-cheap", "mock-capable", "mock-premium"]
    assert result.output["files"] == ["pkg/auth.py", "pkg/util.py"]
    assert result.output["summary"].startswith("mock reply")


def test_named_files_only(empathy, run_workflow, project):
    result = run_workflow(CodeReviewWorkflow, {"path": str(project), "files": ["pkg/util.py"]})
    assert result.output["files"] == ["pkg/util.py"]


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        ({"path": "/no/such/dir"}, "is not a directory"),
        ({"files": ["../../etc/passwd"]}, "is outside the review path"),
        ({"files": ["missing.py"]}, "does not exist"),
    ],
)
def test_bad_input_is_refused_before_any_stage(
    empathy, run_workflow, usage_records, project, payload, reason
):
    with pytest.raises(ReviewInputError, match=reason) as refused:
        run_workflow(CodeReviewWorkflow, {"path": str(project), **payload})
    assert refused.value.exit_code == 2
    assert usage_records == []
