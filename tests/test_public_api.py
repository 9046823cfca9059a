"""Plugins, the plugin template and the docs use only the public API of the core.

The public API is the package ``empathy_core`` itself (the names in its ``__all__``)
and the test kit ``empathy_core.testing``; every other module of the core is private
and may change without notice. A first-party plugin reaching into a private module
would keep working here and break for nobody but third parties copying it, so this
fails on:

- ``import empathy_core.<private>`` / ``from empathy_core.<private> import ...``, and
  the same through ``importlib.import_module``, ``__import__`` or ``pytest.importorskip``;
- ``from empathy_core import <name>`` where ``<name>`` is not in ``__all__``
  (a private submodule imported that way, or a name that does not exist);
- ``empathy_core.<name>`` attribute access for a name not in ``__all__``;

in every ``plugins/*/`` package (source and tests), the rendered cookiecutter template
and every Python example of ``docs/**/*.md``. It also checks that every ``__all__`` name
resolves and that ``import empathy_core`` imports no submodule and no dependency.
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest

import empathy_core

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
TEMPLATE = ROOT / "cookiecutter-plugin"
PLUGIN_DIRS = sorted(p.parent for p in ROOT.glob("plugins/*/pyproject.toml"))
SKIP_DIRS = {".venv", "venv", "build", "dist", "__pycache__", "node_modules", ".git"}

PACKAGE = "empathy_core"
PUBLIC_SUBPACKAGE = "empathy_core.testing"
PUBLIC_NAMES = frozenset(empathy_core.__all__)
HEAVY = ("click", "attrs", "cattrs", "yaml", "pluggy")
IMPORT_CALLS = {"import_module", "__import__", "importorskip"}
FENCE = re.compile(r"^(?P<indent>[ \t]*)```(?:python|py)[^\n]*\n(?P<body>.*?)^(?P=indent)```", re.M | re.S)


@attrs.frozen
class Violation:
    where: str
    line: int
    what: str

    def __str__(self) -> str:
        return f"{self.where}:{self.line}: {self.what}"


def _is_public_module(module: str) -> bool:
    return module in (PACKAGE, PUBLIC_SUBPACKAGE) or module.startswith(PUBLIC_SUBPACKAGE + ".")


def _is_core(module: str) -> bool:
    return module == PACKAGE or module.startswith(PACKAGE + ".")


def _private(module: str) -> str:
    return (
        f"imports the private module {module!r}: import from 'empathy_core' (see docs/authoring/migrating.md)"
    )


def _not_exported(name: str) -> str:
    return f"'empathy_core.{name}' is not in empathy_core.__all__ (the public API)"


def check_tree(tree: ast.AST, where: str, line_offset: int = 0) -> list[Violation]:
    """Every use of the core outside its public API in one parsed module."""
    found: list[Violation] = []

    def report(node: ast.AST, what: str) -> None:
        found.append(Violation(where, getattr(node, "lineno", 0) + line_offset, what))

    aliases: set[str] = set()  # local names bound to the package empathy_core itself
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if not _is_core(alias.name):
                    continue
                if not _is_public_module(alias.name):
                    report(node, _private(alias.name))
                if alias.asname is None or alias.name == PACKAGE:
                    aliases.add(alias.asname or PACKAGE)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if not _is_core(node.module):
                continue
            if not _is_public_module(node.module):
                report(node, _private(node.module))
            elif node.module == PACKAGE:
                for alias in node.names:
                    if alias.name == "*":
                        report(node, "star import from empathy_core: import the names you use")
                    elif alias.name not in PUBLIC_NAMES | {"testing"} and not alias.name.startswith("__"):
                        report(node, _not_exported(alias.name))
        elif isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            if name in IMPORT_CALLS and node.args:
                arg = node.args[0]
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    module = arg.value
                    if _is_core(module) and not _is_public_module(module):
                        report(node, _private(module))
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in aliases
            and node.attr not in PUBLIC_NAMES
            and node.attr != "testing"
            and not node.attr.startswith("__")
        ):
            report(node, _not_exported(node.attr))
    return found


_IMPORT_LINE = re.compile(r"^\s*(?:from\s+\S+\s+import\s+.+|import\s+.+)$")


def check_source(source: str, where: str, line_offset: int = 0) -> list[Violation]:
    """:func:`check_tree` on ``source``; a snippet that does not parse (a signature
    without a body, ``...`` lines) is checked line by line for its import statements."""
    try:
        return check_tree(ast.parse(source), where, line_offset)
    except SyntaxError:
        pass
    found = []
    for number, line in enumerate(source.splitlines(), 1):
        if _IMPORT_LINE.match(line):
            statement = line.strip().rstrip("\\").strip()
            if statement.endswith("("):  # the first line of a parenthesised import
                statement += "__name__)"
            try:
                tree = ast.parse(statement)
            except SyntaxError:
                continue
            found += check_tree(tree, where, line_offset + number - 1)
    return found


def python_blocks(markdown: str) -> Iterator[tuple[int, str]]:
    """``(line of the block's first code line, code)`` for every fenced Python block."""
    for match in FENCE.finditer(markdown):
        first_line = markdown.count("\n", 0, match.start("body")) + 1
        yield first_line, textwrap.dedent(match.group("body"))


def _files(root: Path, pattern: str) -> list[Path]:
    return sorted(p for p in root.rglob(pattern) if not SKIP_DIRS & set(p.relative_to(root).parts))


def check_directory(root: Path, label: str) -> list[Violation]:
    """Every ``*.py`` file and every Python block of every ``*.md`` file under ``root``."""
    found = []
    for path in _files(root, "*.py"):
        found += check_source(path.read_text(encoding="utf-8"), f"{label}/{path.relative_to(root)}")
    for path in _files(root, "*.md"):
        for line, code in python_blocks(path.read_text(encoding="utf-8")):
            found += check_source(code, f"{label}/{path.relative_to(root)}", line - 1)
    return found


def _report(violations: list[Violation]) -> str:
    return f"{len(violations)} use(s) of the core outside its public API:\n" + "\n".join(
        f"  {v}" for v in violations
    )


# -- the checker itself ------------------------------------------------------------------


def test_the_checker_flags_private_imports_and_allows_the_public_api():
    source = textwrap.dedent(
        """
        import importlib
        import empathy_core
        import empathy_core.testing.store_conformance
        from empathy_core import BaseWorkflow, hookimpl
        from empathy_core.testing import store_conformance
        from empathy_core.testing.store_conformance import TelemetryStoreConformance
        import empathy_core.records
        from empathy_core.workflow import BaseWorkflow
        from empathy_core import records
        from empathy_core import *
        import empathy_core.cli as cli
        importlib.import_module("empathy_core.plugins")
        empathy_core.hookimpl, empathy_core.testing, empathy_core.__version__
        empathy_core.runtime.Empathy
        from empathy_anthropic.plugin import PLUGIN
        from . import workflow
        """
    )
    lines = [(v.line, v.what.split(":")[0]) for v in check_source(source, "x.py")]
    assert lines == [
        (8, "imports the private module 'empathy_core.records'"),
        (9, "imports the private module 'empathy_core.workflow'"),
        (10, "'empathy_core.records' is not in empathy_core.__all__ (the public API)"),
        (11, "star import from empathy_core"),
        (12, "imports the private module 'empathy_core.cli'"),
        (13, "imports the private module 'empathy_core.plugins'"),
        (15, "'empathy_core.runtime' is not in empathy_core.__all__ (the public API)"),
    ]


def test_the_checker_reads_python_blocks_of_markdown_even_when_they_do_not_parse():
    markdown = (
        "# Title\n\n```python\nfrom empathy_core import Empathy\n```\n\n"
        "1. A step:\n\n    ```python\n    from empathy_core.config import load_config\n"
        "    def empathy_configure(empathy) -> None\n    ```\n\n"
        "```bash\nfrom empathy_core.cli import x\n```\n"
    )
    blocks = list(python_blocks(markdown))
    assert [line for line, _ in blocks] == [4, 10]
    [violation] = [v for line, code in blocks for v in check_source(code, "page.md", line - 1)]
    assert (violation.line, "empathy_core.config" in violation.what) == (10, True)


# -- plugins, template, docs -------------------------------------------------------------


@pytest.mark.parametrize("plugin_dir", PLUGIN_DIRS, ids=[p.name for p in PLUGIN_DIRS])
def test_first_party_plugin_uses_only_the_public_api(plugin_dir: Path):
    violations = check_directory(plugin_dir, f"plugins/{plugin_dir.name}")
    assert not violations, _report(violations)


def test_plugin_template_uses_only_the_public_api(tmp_path: Path):
    from cookiecutter.main import cookiecutter

    project = Path(cookiecutter(str(TEMPLATE), no_input=True, output_dir=str(tmp_path)))
    violations = check_directory(project, "cookiecutter-plugin (rendered)")
    for hook in sorted((TEMPLATE / "hooks").glob("*.py")):  # valid Python before rendering
        violations += check_source(hook.read_text(encoding="utf-8"), f"cookiecutter-plugin/hooks/{hook.name}")
    assert list(project.rglob("*.py")), "the template rendered no Python file"
    assert not violations, _report(violations)


def test_docs_examples_use_only_the_public_api():
    violations: list[Violation] = []
    blocks = 0
    for page in _files(DOCS, "*.md"):
        for line, code in python_blocks(page.read_text(encoding="utf-8")):
            blocks += 1
            violations += check_source(code, f"docs/{page.relative_to(DOCS)}", line - 1)
    assert blocks, "no Python example found under docs/"
    assert not violations, _report(violations)


# -- the package itself ------------------------------------------------------------------


def test_every_public_name_resolves():
    assert len(empathy_core.__all__) == len(set(empathy_core.__all__)), "duplicates in __all__"
    missing = []
    for name in empathy_core.__all__:
        try:
            getattr(empathy_core, name)
        except AttributeError as exc:
            missing.append(f"{name}: {exc}")
    assert not missing, "names in empathy_core.__all__ that do not resolve:\n" + "\n".join(missing)
    assert sorted(dir(empathy_core)) == sorted(empathy_core.__all__)


def test_an_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'make_plugin_manager'"):
        empathy_core.make_plugin_manager  # noqa: B018


def test_importing_the_package_imports_no_submodule_and_no_dependency():
    code = textwrap.dedent(
        """
        import json, sys
        before = set(sys.modules)
        assert "empathy_core" not in before
        import empathy_core
        print(json.dumps(sorted(set(sys.modules) - before)))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=120
    )
    assert done.returncode == 0, done.stderr
    loaded = json.loads(done.stdout)
    assert "empathy_core" in loaded
    submodules = [m for m in loaded if m.startswith(PACKAGE + ".")]
    heavy = [m for m in loaded if m.split(".")[0] in HEAVY]
    assert not submodules, f"'import empathy_core' imports {submodules}: resolve names lazily"
    assert not heavy, f"'import empathy_core' imports {heavy}: import dependencies where they are used"
