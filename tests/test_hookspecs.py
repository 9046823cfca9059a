"""Every hookspec is a documented, referenced and tested contract.

Covers the core's hookspecs and those first-party plugins add through
``empathy_add_hookspecs`` (found by loading the installed plugins). A hook counts as
tested when a test file under ``tests/`` or ``plugins/*/tests/`` calls it
(``hook.<name>``), names it as a string (``"<name>"``, as registries are collected by
name) or implements it (``def <name>(``) in a plugin the test exercises.
"""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from empathy_core import Empathy, hookspecs

ROOT = Path(__file__).resolve().parents[1]
HOOKS_PAGE = ROOT / "docs" / "reference" / "hooks.md"
THIS_DIR_CHECKS = {"test_hookspecs.py", "test_docs.py"}  # they name hooks only to check others


def _repo_packages() -> set[str]:
    """Import packages of the core and of every plugin distribution in this repository."""
    packages = {"empathy_core"}
    for init in ROOT.glob("plugins/*/*/__init__.py"):
        packages.add(init.parent.name)
    return packages


def _specs() -> dict[str, object]:
    """Hook name -> spec function, for the core's and the repository's plugins' hookspecs."""
    pm = Empathy(entry_points=True).plugin_manager
    found = {}
    packages = _repo_packages()
    for name, caller in vars(pm.hook).items():
        spec = getattr(caller, "spec", None)
        if spec is None or not name.startswith("empathy_"):
            continue
        if spec.function.__module__.split(".")[0] in packages:
            found[name] = spec
    return found


SPECS = _specs()


def _test_sources() -> str:
    files = [*ROOT.glob("tests/**/*.py"), *ROOT.glob("plugins/*/tests/**/*.py")]
    return "\n".join(f.read_text(encoding="utf-8") for f in files if f.name not in THIS_DIR_CHECKS)


TEST_SOURCES = _test_sources()


def test_core_hookspecs_are_all_found():
    functions = inspect.getmembers(hookspecs, inspect.isfunction)
    core = {name for name, _ in functions if name.startswith("empathy_")}
    assert core and core <= set(SPECS)


@pytest.mark.parametrize("name", sorted(SPECS))
def test_hookspec_has_a_docstring_documenting_each_argument(name):
    spec = SPECS[name]
    doc = inspect.getdoc(spec.function)
    assert doc, f"hookspec {name} has no docstring: write its contract there"
    missing = [arg for arg in spec.argnames if f":param {arg}:" not in doc]
    assert not missing, f"hookspec {name}: docstring lacks ':param {missing[0]}:'"


@pytest.mark.parametrize("name", sorted(SPECS))
def test_hookspec_has_an_entry_in_the_hook_reference(name):
    page = HOOKS_PAGE.read_text(encoding="utf-8")
    assert f"\n### `{name}`\n" in page, (
        f"docs/reference/hooks.md has no entry for {name}: run `python docs/gen_reference.py`"
    )


@pytest.mark.parametrize("name", sorted(SPECS))
def test_hookspec_is_exercised_by_a_test(name):
    pattern = rf"hook\.{name}\b|[\"']{name}[\"']|def {name}\("
    assert re.search(pattern, TEST_SOURCES), (
        f"no test calls or implements {name}: add one (tests/test_hooks_registration.py shows how)"
    )
