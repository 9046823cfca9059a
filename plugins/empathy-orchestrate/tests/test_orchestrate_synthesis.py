"""The optional LLM synthesis: Teaching pattern over the report, through the workflow engine."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from empathy_orchestrate.healthcheck import health_check


@pytest.fixture
def llm(empathy: Any, usage_records: list[Any]) -> Any:
    """A runtime with the mock provider (empathy-testing), a recording sink and this plugin."""
    return empathy.get()


def check(repo: Any, empathy: Any, **kwargs: Any) -> Any:
    return asyncio.run(health_check(str(repo), agents=["security", "docs"], empathy=empathy, **kwargs))


def test_cheap_draft_then_capable_correction(
    llm: Any, usage_records: list[Any], make_repo: Any, repos: Any
) -> None:
    repo = make_repo(repos["known"])
    report = check(repo, llm, provider="mock")
    assert llm.flush(timeout=30)  # usage records are written off the event loop
    assert report.synthesis is not None and report.synthesis.startswith("mock reply")
    assert [(r.workflow, r.stage, r.tier) for r in usage_records] == [
        ("orchestrate-synthesis", "synthesize", "cheap"),
        ("orchestrate-synthesis", "synthesize", "capable"),
    ]
    assert all(r.success for r in usage_records)
    again = check(repo, llm, provider="mock")
    assert llm.flush(timeout=30)
    assert again.synthesis == report.synthesis
    assert len(usage_records) == 2  # same brief: the synthesis comes from the cache


def test_offline_and_keyless_runs_never_call_an_llm(
    llm: Any, usage_records: list[Any], make_repo: Any, repos: Any
) -> None:
    repo = make_repo(repos["known"])
    assert llm.config.api_key is None
    assert check(repo, llm).synthesis is None
    assert check(repo, llm, provider="mock", offline=True).synthesis is None
    assert llm.flush(timeout=30)
    assert usage_records == []


def test_a_failing_llm_leaves_the_analysis_intact(llm: Any, make_repo: Any, repos: Any) -> None:
    report = check(make_repo(repos["known"]), llm, provider="no-such-provider")
    assert report.synthesis is None
    assert "unknown provider 'no-such-provider'" in report.synthesis_error
    assert report.agent("security").status == "ok" and report.score is not None
