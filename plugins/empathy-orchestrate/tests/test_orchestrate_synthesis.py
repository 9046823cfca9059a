"""The optional LLM synthesis: Teaching pattern over the report, through the workflow engine."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

import empathy_orchestrate.plugin as orchestrate_plugin
from empathy_orchestrate.healthcheck import health_check


@pytest.fixture
def llm_pm(empathy_pm: Any, usage_records: list[Any]) -> Any:
    """A manager with the mock provider (empathy-testing), a recording sink and this plugin."""
    empathy_pm.plugins.append(orchestrate_plugin)
    return empathy_pm.get()


def check(repo: Any, pm: Any, **kwargs: Any) -> Any:
    return asyncio.run(health_check(str(repo), agents=["security", "docs"], pm=pm, **kwargs))


def test_cheap_draft_then_capable_correction(
    llm_pm: Any, usage_records: list[Any], make_repo: Any, repos: Any
) -> None:
    repo = make_repo(repos["known"])
    report = check(repo, llm_pm, provider="mock")
    assert report.synthesis is not None and report.synthesis.startswith("mock reply")
    assert [(r.workflow, r.stage, r.tier) for r in usage_records] == [
        ("orchestrate-synthesis", "synthesize", "cheap"),
        ("orchestrate-synthesis", "synthesize", "capable"),
    ]
    assert all(r.success for r in usage_records)
    again = check(repo, llm_pm, provider="mock")
    assert again.synthesis == report.synthesis
    assert len(usage_records) == 2  # same brief: the synthesis comes from the cache


def test_offline_and_keyless_runs_never_call_an_llm(
    llm_pm: Any, usage_records: list[Any], make_repo: Any, repos: Any
) -> None:
    repo = make_repo(repos["known"])
    assert llm_pm.config.api_key is None
    assert check(repo, llm_pm).synthesis is None
    assert check(repo, llm_pm, provider="mock", offline=True).synthesis is None
    assert usage_records == []


def test_a_failing_llm_leaves_the_analysis_intact(llm_pm: Any, make_repo: Any, repos: Any) -> None:
    report = check(make_repo(repos["known"]), llm_pm, provider="no-such-provider")
    assert report.synthesis is None
    assert "unknown provider 'no-such-provider'" in report.synthesis_error
    assert report.agent("security").status == "ok" and report.score is not None
