"""The docs cover the code: generated references are current, nothing is undocumented.

Fails when ``docs/reference/*.md`` differ from what ``docs/gen_reference.py`` writes
now, when a hookspec has no contract for each argument, no entry with its exact
signature or no test, when a page still names a hook that no longer exists, when a CLI
command or a configuration key has no entry, when an environment variable the core
reads is not documented, or when a plugin in ``plugins/`` has no page.
"""

from __future__ import annotations

import ast
import importlib.util
import inspect
import re
import tomllib
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

import attrs
import click
import pytest

from empathy_core import EmpathyConfig, hookspecs
from empathy_core.cli import CORE_COMMANDS

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
REGENERATE = "run `python docs/gen_reference.py` and commit docs/reference/"


def _load_generator():
    spec = importlib.util.spec_from_file_location("gen_reference", DOCS / "gen_reference.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


gen = _load_generator()


def _repo_plugin_dists() -> dict[str, Path]:
    """Distribution name -> directory, for every plugin in this repository."""
    dists = {}
    for pyproject in sorted(ROOT.glob("plugins/*/pyproject.toml")):
        dists[tomllib.loads(pyproject.read_text())["project"]["name"]] = pyproject.parent
    return dists


def _missing_dists() -> list[str]:
    missing = []
    for dist in _repo_plugin_dists():
        try:
            distribution(dist)
        except PackageNotFoundError:
            missing.append(dist)
    return missing


@pytest.fixture(scope="module")
def generated() -> dict[str, str]:
    missing = _missing_dists()
    assert not missing, (
        f"the references document every first-party plugin, but {', '.join(missing)} "
        f"is not installed: pip install -r requirements.txt"
    )
    return gen.render_all()


def test_generated_references_are_up_to_date(generated, tmp_path):
    gen.write_all(tmp_path)
    for relative in generated:
        committed = DOCS / relative
        assert committed.is_file(), f"docs/{relative} is missing: {REGENERATE}"
        fresh = (tmp_path / relative).read_text(encoding="utf-8")
        assert committed.read_text(encoding="utf-8") == fresh, f"docs/{relative} is out of date: {REGENERATE}"


HOOKS_V1 = {
    "empathy_select_route",
    "empathy_stage_middleware",
    "empathy_llm_middleware",
    "empathy_workflow_started",
    "empathy_stage_finished",
    "empathy_workflow_finished",
}
REMOVED_HOOKS = {"empathy_select_tier", "empathy_run_stage"}


def _core_hooks() -> dict[str, str]:
    """Hook name -> exact signature, for every hookspec of the core."""
    return gen._signatures(hookspecs)


def test_the_core_declares_the_v1_hooks():
    hooks = set(_core_hooks())
    assert hooks >= HOOKS_V1, f"missing hookspecs: {sorted(HOOKS_V1 - hooks)}"
    assert not hooks & REMOVED_HOOKS


def test_every_hook_has_a_contract_for_each_argument():
    undocumented = []
    for name in _core_hooks():
        function = getattr(hookspecs, name)
        doc = inspect.getdoc(function) or ""
        assert doc, f"hookspec {name} has no docstring: its docstring is its contract"
        for argument in inspect.signature(function).parameters:
            if not re.search(rf"^:param {argument}:", doc, re.MULTILINE):
                undocumented.append(f"{name}({argument})")
    assert not undocumented, f"hookspec arguments without ':param': {undocumented}"


def test_every_hook_has_an_entry_with_its_exact_signature():
    page = (DOCS / "reference" / "hooks.md").read_text(encoding="utf-8")
    missing = []
    for name, signature in _core_hooks().items():
        entry = re.search(rf"^### `{name}`\n\n```python\n(.*?)\n```", page, re.MULTILINE | re.DOTALL)
        if entry is None or entry.group(1) != signature:
            missing.append(name)
    assert not missing, f"docs/reference/hooks.md has no entry with the signature of {missing}: {REGENERATE}"
    assert ast.parse(_core_hooks()["empathy_select_route"] + ": ...")  # a real def line


def test_every_hook_is_exercised_by_a_test():
    sources = "\n".join(
        path.read_text(encoding="utf-8")
        for path in (ROOT / "tests").glob("test_*.py")
        if path.name not in {"test_docs.py", "test_public_api.py"}
    )
    untested = sorted(name for name in _core_hooks() if not re.search(rf"\b{name}\b", sources))
    assert not untested, f"hooks no test in tests/ implements or calls: {untested}"


def test_no_page_names_a_hook_that_no_longer_exists():
    stale = []
    for page in sorted(DOCS.rglob("*.md")):
        if page.name == "migrating.md":  # the one page that lists what was removed
            continue
        text = page.read_text(encoding="utf-8")
        stale += [f"docs/{page.relative_to(DOCS)}: {name}" for name in sorted(REMOVED_HOOKS) if name in text]
    assert not stale, f"pages naming removed hooks (see docs/authoring/migrating.md): {stale}"


def test_every_cli_command_has_an_entry():
    page = (DOCS / "reference" / "cli.md").read_text(encoding="utf-8")
    commands, _ = gen.command_tree(gen.first_party_runtime().plugin_manager)
    assert set(CORE_COMMANDS) <= set(commands)
    root = click.Context(click.Group("empathy"), info_name="empathy")
    paths = []
    for name, command in commands.items():
        ctx = click.Context(command, info_name=name, parent=root)
        paths += [sub_ctx.command_path for _, sub_ctx in gen._walk(command, ctx)]
    missing = [path for path in paths if not re.search(rf"^#+ `{re.escape(path)}`$", page, re.MULTILINE)]
    assert not missing, f"docs/reference/cli.md has no entry for {missing}: {REGENERATE}"


def _config_keys(cls: type, prefix: str = "") -> list[str]:
    keys = []
    for field in attrs.fields(cls):
        if field.name in {"source", "lines"}:
            continue
        keys.append(prefix + field.name)
        default = field.default.factory() if isinstance(field.default, attrs.Factory) else field.default
        if attrs.has(type(default)):
            keys += _config_keys(type(default), f"{prefix}{field.name}.")
    return keys


def test_every_config_key_has_a_documented_entry():
    page = (DOCS / "reference" / "configuration.md").read_text(encoding="utf-8")
    keys = _config_keys(EmpathyConfig)
    assert {"provider", "telemetry.store", "tier_defaults.premium", "plugins.settings"} <= set(keys)
    for key in keys:
        row = re.search(rf"^\| `{re.escape(key)}` \|[^|]+\|[^|]+\| (.*) \|$", page, re.MULTILINE)
        assert row, f"docs/reference/configuration.md has no row for {key}: {REGENERATE}"
        assert row.group(1).strip(), f"config key {key} has no description: add an attribute docstring"


def test_every_environment_variable_the_core_reads_is_documented():
    source = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "empathy_core").rglob("*.py"))
    used = set(re.findall(r"\b((?:EMPATHY|ANTHROPIC)_[A-Z_]+)\b", source))
    guide = (DOCS / "guide" / "configuration.md").read_text(encoding="utf-8")
    undocumented = sorted(v for v in used if f"| `{v}` |" not in guide)
    assert not undocumented, f"docs/guide/configuration.md does not document {undocumented}"


def test_every_plugin_in_the_repository_has_a_page():
    titles = {}
    for page in DOCS.rglob("*.md"):
        lines = page.read_text(encoding="utf-8").splitlines()
        titles[page] = next((line for line in lines if line.startswith("# ")), "")
    missing = []
    for dist in _repo_plugin_dists():
        thing = dist.removeprefix("empathy-")
        titled = [page for page, title in titles.items() if dist in title]
        if not (DOCS / "plugins" / f"{thing}.md").is_file() and not titled:
            missing.append(f"docs/plugins/{thing}.md")
    assert not missing, f"plugins without a docs page; write {', '.join(missing)}"


def test_rst_docstrings_become_markdown():
    doc = """Do it.

    :param register: ``register(x)``; see :class:`~empathy_core.records.ModelTier` and
        :func:`empathy_core.cli.get_or_create_group`.
    :return: nothing.

    Example::

        @hookimpl
        def f(): ...
    """
    assert gen.rst_to_markdown(doc) == (
        "Do it.\n\n"
        "- **`register`**: `register(x)`; see `ModelTier` and `empathy_core.cli.get_or_create_group`.\n"
        "- **returns**: nothing.\n\n"
        "Example:\n\n```python\n@hookimpl\ndef f(): ...\n```\n"
    )
