"""Agents that cannot run: unavailable, crashed, hung, nested, not applicable; bad input."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import pytest

import empathy_orchestrate.plugin as orchestrate_plugin
from empathy_core import DuplicateNameError, EmpathyError, PluginLoadWarning, hookimpl
from empathy_orchestrate.agents.base import AgentTemplate
from empathy_orchestrate.context import NESTED_ENV
from empathy_orchestrate.errors import RepositoryError, ToolFailed
from empathy_orchestrate.records import AgentReport
from empathy_orchestrate.registry import agent_owners, agent_templates
from empathy_orchestrate.settings import OrchestrateSettings
from empathy_orchestrate.tools import PerFileTool, ProjectTool

FAST = ["security", "quality", "docs"]


class NotInstalledTool(PerFileTool):
    name = "lintx"
    module = "empathy_no_such_linter"
    dist = "empathy-no-such-linter"

    def command(self, ctx: Any, files: Any) -> list[str]:
        return self.argv(*(f.rel for f in files))

    def parse(self, ctx: Any, done: Any, files: Any) -> dict[str, Any]:
        return {f.rel: [] for f in files}


class SleeperTool(ProjectTool):
    """A real process that hangs: it writes its pid, then sleeps for a minute."""

    name = "sleeper"
    module = "empathy_orchestrate"
    dist = "empathy-orchestrate"

    def __init__(self, pid_file: Path) -> None:
        self.pid_file = pid_file

    async def execute(self, ctx: Any) -> Any:
        code = "import os, sys, time; open(sys.argv[1], 'w').write(str(os.getpid())); time.sleep(60)"
        await ctx.runner.run(self, [sys.executable, "-c", code, str(self.pid_file)])
        return []


class ThirdPartyAgent(AgentTemplate):
    name = "lintx"
    title = "Lint X"
    description = "a linter that is not installed"

    def __init__(self, tool: Any) -> None:
        self.tools = (tool,)

    async def analyze(self, ctx: Any) -> AgentReport:
        tool = self.tools[0]
        if isinstance(tool, ProjectTool):
            await ctx.project(tool)
        else:
            await ctx.per_file(tool)
        return self.report(score=100.0, findings=[], summary="clean")


class ThirdPartyPlugin:
    def __init__(self, template: AgentTemplate) -> None:
        self.template = template

    @hookimpl
    def empathy_register_agent_templates(self, register: Any) -> None:
        register(self.template)


def test_missing_tool_is_unavailable_and_left_out_of_the_score(
    make_repo: Any, repos: Any, run_check: Any, make_empathy: Any
) -> None:
    repo = make_repo(repos["known"])
    plugin = ThirdPartyPlugin(ThirdPartyAgent(NotInstalledTool()))
    empathy = make_empathy(orchestrate_plugin, plugin)
    report = run_check(repo, agents=[*FAST, "lintx"], empathy=empathy)
    lintx = report.agent("lintx")
    assert lintx.status == "unavailable"
    assert lintx.score is None
    assert "install empathy-no-such-linter" in lintx.summary
    others = [report.agent(name) for name in FAST]
    assert all(a.status == "ok" for a in others)
    assert report.score == pytest.approx(sum(a.score for a in others) / len(others), abs=0.1)
    assert report.score < 100


def test_a_hung_tool_times_out_and_is_killed(
    make_repo: Any, repos: Any, run_check: Any, make_empathy: Any, tmp_path: Path
) -> None:
    repo = make_repo(repos["clean"])
    pid_file = tmp_path / "sleeper.pid"
    plugin = ThirdPartyPlugin(ThirdPartyAgent(SleeperTool(pid_file)))
    empathy = make_empathy(plugin, orchestrate_plugin)  # third party first: specs come later
    settings = OrchestrateSettings(timeout=120, timeouts={"lintx": 3.0})
    report = run_check(repo, agents=["quality", "lintx"], empathy=empathy, settings=settings)
    hung = report.agent("lintx")
    assert (hung.status, hung.score) == ("timeout", None)
    assert hung.summary == "no result within 3 s"
    assert report.agent("quality").status == "ok"
    pid = int(pid_file.read_text())
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_a_crashing_tool_is_an_error(make_repo: Any, repos: Any, run_check: Any) -> None:
    files = {**repos["clean"], "mypy.ini": "[mypy]\nplugins = empathy_no_such_mypy_plugin\n"}
    report = run_check(make_repo(files), agents=["types", "quality"])
    types = report.agent("types")
    assert (types.status, types.score) == ("error", None)
    assert "mypy failed" in types.summary and "empathy_no_such_mypy_plugin" in types.summary
    assert report.agent("quality").status == "ok"
    assert report.score == report.agent("quality").score


def test_coverage_refuses_to_run_tests_inside_a_health_check(
    make_repo: Any, repos: Any, run_check: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(NESTED_ENV, "1")
    report = run_check(make_repo(repos["clean"]), agents=["coverage"])
    coverage = report.agent("coverage")
    assert coverage.status == "unavailable"
    assert NESTED_ENV in coverage.summary
    assert all(stats.runs == 0 for stats in report.tools.values())
    assert report.score is None


def test_tool_processes_see_the_nested_flag(make_repo: Any, run_check: Any) -> None:
    files = {
        "pkg/__init__.py": '"""P."""\n',
        "tests/test_env.py": (
            f"import os\n\n\ndef test_flag():\n    assert os.environ.get({NESTED_ENV!r}) == '1'\n"
        ),
        "pkg/mod.py": '"""M."""\n\nVALUE = 1\n',
    }
    report = run_check(make_repo(files), agents=["coverage"])
    assert report.agent("coverage").metrics["failed"] == 0
    assert report.agent("coverage").metrics["tests"] == 1


def test_adaptive_selection_skips_coverage_without_tests(make_repo: Any, repos: Any, run_check: Any) -> None:
    files = {rel: text for rel, text in repos["known"].items() if not rel.startswith("tests/")}
    report = run_check(make_repo(files), mode="daily")
    assert report.skipped == {"coverage": "no tests found"}
    assert [a.agent for a in report.agents] == ["security", "quality", "types"]


def test_failed_tests_are_high_findings(make_repo: Any, repos: Any, run_check: Any) -> None:
    files = {**repos["clean"], "tests/test_fail.py": "def test_broken():\n    assert 1 == 2\n"}
    report = run_check(make_repo(files), agents=["coverage"])
    coverage = report.agent("coverage")
    (failed,) = [f for f in coverage.findings if f.rule == "test-failed"]
    assert failed.severity == "high"
    assert failed.file == "tests/test_fail.py" and failed.line == 1
    assert "test_broken" in failed.message
    assert coverage.metrics["failed"] == 1


def test_missing_path_is_a_repository_error(run_check: Any, tmp_path: Path) -> None:
    with pytest.raises(RepositoryError, match="path not found") as info:
        run_check(tmp_path / "nowhere")
    assert info.value.exit_code == 2


def test_a_tree_without_python_is_a_repository_error(run_check: Any, tmp_path: Path) -> None:
    (tmp_path / "empty" / ".venv").mkdir(parents=True)
    (tmp_path / "empty" / ".venv" / "pyvenv.cfg").write_text("home = /usr\n")
    (tmp_path / "empty" / ".venv" / "mod.py").write_text("x = 1\n")
    (tmp_path / "empty" / "README.md").write_text("no code\n")
    with pytest.raises(RepositoryError, match="no Python files") as info:
        run_check(tmp_path / "empty")
    assert info.value.exit_code == 2


def test_unknown_mode_and_agent_are_errors(make_repo: Any, repos: Any, run_check: Any) -> None:
    repo = make_repo(repos["clean"])
    with pytest.raises(EmpathyError, match="unknown mode 'hourly'"):
        run_check(repo, mode="hourly")
    with pytest.raises(EmpathyError, match=r"unknown agent 'nope'.*security"):
        run_check(repo, agents=["nope"])


def test_builtins_register_through_the_plugins_own_hooks(empathy: Any) -> None:
    templates = agent_templates(empathy)
    assert list(templates) == [
        "security",
        "coverage",
        "quality",
        "types",
        "docs",
        "performance",
        "architecture",
        "refactoring",
    ]
    owners = empathy.collect("empathy_register_agent_templates", "agent template").owners
    assert set(owners.values()) == {"empathy_orchestrate.plugin"}
    assert agent_owners(empathy) == dict.fromkeys(templates, "empathy_orchestrate.plugin")


class SecurityClash(ThirdPartyAgent):
    name = "security"


def test_a_duplicate_agent_name_names_both_plugins(make_empathy: Any) -> None:
    plugin = ThirdPartyPlugin(SecurityClash(NotInstalledTool()))
    empathy = make_empathy(orchestrate_plugin, plugin, strict=True)
    with pytest.raises(DuplicateNameError, match="agent template 'security' is registered by both") as info:
        agent_templates(empathy)
    assert "'empathy_orchestrate.plugin'" in str(info.value) and "'ThirdPartyPlugin'" in str(info.value)


def test_a_duplicate_agent_name_disables_both_plugins_naming_them(make_empathy: Any) -> None:
    empathy = make_empathy(orchestrate_plugin, ThirdPartyPlugin(SecurityClash(NotInstalledTool())))
    with pytest.warns(PluginLoadWarning) as caught:
        templates = agent_templates(empathy)
    assert templates == {}
    messages = [str(w.message) for w in caught if issubclass(w.category, PluginLoadWarning)]
    assert len(messages) == 2
    for message in messages:
        assert "agent template 'security' is registered by both" in message
        assert "'empathy_orchestrate.plugin'" in message and "'ThirdPartyPlugin'" in message
    assert {empathy.infos[name].status for name in ("empathy_orchestrate.plugin", "ThirdPartyPlugin")} == {
        "failed"
    }


def test_tool_failures_inside_analyze_do_not_escape(
    make_repo: Any, repos: Any, run_check: Any, make_empathy: Any, tmp_path: Path
) -> None:
    class Broken(ThirdPartyAgent):
        async def analyze(self, ctx: Any) -> AgentReport:
            raise ToolFailed("analyser printed garbage")

    plugin = ThirdPartyPlugin(Broken(SleeperTool(tmp_path / "unused.pid")))
    report = run_check(
        make_repo(repos["clean"]),
        agents=["lintx"],
        empathy=make_empathy(orchestrate_plugin, plugin),
    )
    assert (report.agent("lintx").status, report.agent("lintx").summary) == (
        "error",
        "analyser printed garbage",
    )
