"""The examples of docs/guide/empathy-os.md run as written (the seeds' examples with the
import changed), on the mock provider and the SQLite memory store, and print what the
page says they print."""

from __future__ import annotations

import contextlib
import io
import re
import textwrap
from pathlib import Path

import pytest

from empathy_core import EmpathyConfig

PAGE = Path(__file__).resolve().parents[1] / "docs" / "guide" / "empathy-os.md"
FENCE = re.compile(r"^```python\n(?P<body>.*?)^```", re.MULTILINE | re.DOTALL)

pytest.importorskip("empathy_os", reason="the guide documents the empathy-os plugin")
pytest.importorskip("empathy_levels", reason="the guide's examples answer with empathy-levels")


def sections() -> dict[str, list[str]]:
    """``## heading`` -> its Python blocks, each padded so tracebacks give the page's line."""
    text = PAGE.read_text(encoding="utf-8")
    found: dict[str, list[str]] = {}
    heading = ""
    for match in re.finditer(r"^## (?P<title>[^\n]+)$|" + FENCE.pattern, text, re.MULTILINE | re.DOTALL):
        if match.group("title"):
            heading = match.group("title")
            continue
        padding = "\n" * text.count("\n", 0, match.start("body"))
        found.setdefault(heading, []).append(padding + textwrap.dedent(match.group("body")))
    return found


@pytest.fixture
def page_runtime(empathy, tmp_path, monkeypatch):
    import empathy_levels.plugin as levels_plugin
    import empathy_os.plugin as os_plugin
    import empathy_sqlite.plugin as sqlite_plugin

    monkeypatch.chdir(tmp_path)
    empathy.config = EmpathyConfig(provider="mock")
    empathy.plugins += [sqlite_plugin, levels_plugin]
    return empathy.add(os_plugin, name="os", dist="empathy-os")  # installed process-wide


def run(section: str, namespace: dict) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        for block in sections()[section]:
            exec(compile(block, str(PAGE), "exec"), namespace)
    return out.getvalue()


def test_the_seeds_trust_management_example_runs_as_written(page_runtime):
    namespace: dict = {}
    run("Basic usage", namespace)
    assert run("Trust management", namespace) == "1\n3\nTrust: 50%\n"


def test_every_example_of_the_page_runs(page_runtime, tmp_path):
    namespace: dict = {}
    printed = {title: run(title, namespace) for title in sections()}
    assert printed["Basic usage"].splitlines()[1:] == ["1", "0.6"]
    assert "What exactly does your request refer to" not in printed["What each level does"]  # has a subject
    assert printed["Memory"] == "{'status': 'debugging'} Query optimization technique\n"
    assert (
        printed["The shared pattern library and access tiers"]
        == "Deploy risky changes behind a feature flag\n"
    )
    assert printed["Saving and loading state"] == "Trust: 5%\n"
    assert (tmp_path / ".empathy" / "user_123.json").is_file()
    assert printed["Feedback loops"] == (
        "reinforcing [('reinforcing', 'virtuous'), ('balancing', 'correction'), ('reinforcing', 'vicious')]\n"
    )


def test_the_friday_deploy_prints_predictions_at_level_four(page_runtime):
    namespace: dict = {}
    run("Basic usage", namespace)
    for _ in range(12):
        namespace["empathy"].record_success()
    printed = run("Predictions", namespace)
    assert printed.startswith("⚠️  Predictions:\n  • A production deploy on a Friday afternoon")
    assert printed.count("  • ") == 2
