"""The plugin template works for a third party: generate, install in a fresh venv, run.

The venv is created without system site packages and gets empathy-core, empathy-testing
and the default telemetry store (empathy-sqlite, on the empathy-sql library) from this
checkout (paths computed from this file), then the generated plugin; only their
dependencies and the build backend come from PyPI.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "cookiecutter-plugin"
PLUGIN = "summarize"
SLUG = f"empathy-{PLUGIN}"

pytestmark = pytest.mark.slow


def _run(cmd: list[str | Path], *, env: dict[str, str] | None = None, cwd: Path | None = None, stdin=None):
    proc = subprocess.run(
        [str(c) for c in cmd], capture_output=True, text=True, env=env, cwd=cwd, input=stdin, timeout=900
    )
    return proc


def _check(proc: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert proc.returncode == 0, (
        f"{' '.join(proc.args)} exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    )
    return proc


def _generate(out: Path, *extra: str) -> Path:
    _check(_run([sys.executable, "-m", "cookiecutter", "--no-input", TEMPLATE, "-o", out, *extra]))
    [project] = out.iterdir()
    return project


def _clean_env(tmp: Path, venv: Path) -> dict[str, str]:
    """No variable of this test session leaks in: own cache, config home and PATH."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EMPATHY_", "PYTHON", "VIRTUAL_ENV"))}
    env.update(
        EMPATHY_CACHE_DIR=str(tmp / "cache"),
        XDG_CONFIG_HOME=str(tmp / "config-home"),
        PATH=f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}",
        PIP_DISABLE_PIP_VERSION_CHECK="1",
    )
    return env


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, str]]:
    """(generated project, venv, environment) with core, test kit and plugin installed."""
    tmp = tmp_path_factory.mktemp("third-party")
    project = _generate(tmp / "out")
    venv = tmp / "venv"
    _check(_run([sys.executable, "-m", "venv", venv]))
    env = _clean_env(tmp, venv)
    python = venv / "bin" / "python"
    pip = [python, "-m", "pip", "install", "--quiet"]
    _check(_run([*pip, "hatchling>=1.24"], env=env))
    plugins = ROOT / "plugins"
    local = [
        ROOT,
        *(plugins / p for p in ("empathy-testing", "empathy-sql", "empathy-sqlite")),
        f"{project}[test]",
    ]
    _check(_run([*pip, "--no-build-isolation", *local], env=env, cwd=tmp))
    return project, venv, env


def test_generated_project_has_the_promised_files(tmp_path):
    project = _generate(tmp_path)
    package = project / SLUG.replace("-", "_")
    assert project.name == SLUG
    for name in ("plugin.py", "workflow.py", "settings.py", "commands.py"):
        assert (package / name).is_file(), name
    code_lines = [line for line in (package / "workflow.py").read_text().splitlines() if line.strip()]
    assert len(code_lines) <= 30
    pyproject = (project / "pyproject.toml").read_text()
    assert f'[project.entry-points.empathy]\n{PLUGIN} = "empathy_summarize.plugin"' in pyproject
    assert 'build-backend = "hatchling.build"' in pyproject


def test_without_cli_command_there_is_no_command_module(tmp_path):
    project = _generate(tmp_path, "plugin_name=code-translate", "cli_command=no")
    package = project / "empathy_code_translate"
    assert not (package / "commands.py").exists()
    assert not list((project / "tests").glob("*command*"))
    assert "empathy_register_commands" not in (package / "plugin.py").read_text()
    assert "class CodeTranslateWorkflow(BaseWorkflow):" in (package / "workflow.py").read_text()


def test_invalid_plugin_name_is_refused(tmp_path):
    proc = _run(
        [
            sys.executable,
            "-m",
            "cookiecutter",
            "--no-input",
            TEMPLATE,
            "-o",
            tmp_path,
            "plugin_name=My_Plugin",
        ]
    )
    assert proc.returncode != 0
    assert "plugin_name 'My_Plugin': use lowercase letters, digits and single hyphens" in proc.stderr
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("variant", [(), ("plugin_name=code-translate", "cli_command=no")])
def test_generated_code_is_lint_clean(tmp_path, variant):
    ruff = shutil.which("ruff") or str(Path(sys.executable).with_name("ruff"))
    project = _generate(tmp_path, *variant)
    _check(_run([ruff, "check", project], cwd=tmp_path))
    _check(_run([ruff, "format", "--check", project], cwd=tmp_path))


def test_installed_plugin_is_listed_with_its_workflow(installed):
    _, venv, env = installed
    empathy = venv / "bin" / "empathy"
    plugins = json.loads(_check(_run([empathy, "plugins", "list", "--json"], env=env, cwd=venv)).stdout)
    [info] = [p for p in plugins if p["name"] == PLUGIN]
    assert (info["dist"], info["status"], info["first_party"]) == (SLUG, "loaded", False)
    assert info["hooks"] == [
        "empathy_register_commands",
        "empathy_register_settings",
        "empathy_register_workflows",
    ]
    workflows = json.loads(_check(_run([empathy, "workflow", "list", "--json"], env=env, cwd=venv)).stdout)
    [entry] = [w for w in workflows if w["name"] == PLUGIN]
    assert entry["tiers"] == {"extract": "cheap", "summarize": "capable"}
    assert entry["plugin"] == PLUGIN


def test_installed_plugin_runs_from_the_cli(installed, tmp_path):
    _, venv, env = installed
    empathy = venv / "bin" / "empathy"
    run = _run(
        [empathy, "workflow", "run", PLUGIN, "--provider", "mock", "--json", "--input", '{"text": "a b c"}'],
        env=env,
        cwd=tmp_path,
    )
    result = json.loads(_check(run).stdout)
    assert result["status"] == "success"
    assert [s["tier"] for s in result["stages"]] == ["cheap", "capable"]
    command = _check(_run([empathy, PLUGIN, "-", "--provider", "mock"], env=env, cwd=tmp_path, stdin="x y z"))
    assert command.stdout.startswith("mock reply")
    assert "--provider" in _check(_run([empathy, PLUGIN, "--help"], env=env, cwd=tmp_path)).stdout


def test_init_writes_the_plugin_settings_and_they_validate(installed, tmp_path):
    _, venv, env = installed
    empathy = venv / "bin" / "empathy"
    _check(_run([empathy, "init"], env=env, cwd=tmp_path))
    path = tmp_path / "empathy.config.yml"
    text = path.read_text()
    assert f"    {SLUG}:\n      # Longest summary asked for, in words.\n      max_words: 120\n" in text
    # the only provider in this venv is empathy-testing's `mock`; validate checks it is installed
    path.write_text(text.replace("\nprovider: anthropic\n", "\nprovider: mock\n", 1))
    assert "OK:" in _check(_run([empathy, "config", "validate"], env=env, cwd=tmp_path)).stdout


def test_generated_plugin_tests_pass_in_the_fresh_venv(installed):
    project, venv, env = installed
    proc = _run(
        [venv / "bin" / "python", "-m", "pytest", "-q", "-p", "no:cacheprovider"], env=env, cwd=project
    )
    _check(proc)
    assert " passed" in proc.stdout and "failed" not in proc.stdout and "skipped" not in proc.stdout


# The tutorial's section of examples beyond the template; tests/test_docs_examples.py runs them.
EXAMPLES_SECTION = "## 6. Beyond the template"


def test_tutorial_quotes_the_generated_code_verbatim(tmp_path):
    """docs/authoring/tutorial.md shows the template's workflow, settings, plugin, command
    and test code (outside the section of examples beyond the template)."""
    project = _generate(tmp_path)
    generated = {line.rstrip() for p in project.rglob("*.py") for line in p.read_text().splitlines()}
    tutorial = (ROOT / "docs" / "authoring" / "tutorial.md").read_text()
    assert f"\n{EXAMPLES_SECTION}\n" in tutorial
    tutorial = re.sub(
        rf"^{re.escape(EXAMPLES_SECTION)}\n.*?(?=^## )", "", tutorial, flags=re.DOTALL | re.MULTILINE
    )
    blocks = re.findall(r"```python\n(.*?)```", tutorial, re.DOTALL)
    quoted = [
        b for b in blocks if re.search(r"^(class |@hookimpl|@click\.command|def test_)", b, re.MULTILINE)
    ]
    assert len(quoted) >= 6
    for block in quoted:  # a quote may leave lines out, but each line it shows is generated
        unknown = [line for line in block.splitlines() if line.strip() and line.rstrip() not in generated]
        assert not unknown, f"the tutorial quotes lines the template does not generate: {unknown}"
