"""Repositories are analysed as laid out; venvs, VCS, build and cache directories are skipped."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from empathy_orchestrate import fingerprint
from empathy_orchestrate.errors import RepositoryError
from empathy_orchestrate.importgraph import ImportGraph, resolve
from empathy_orchestrate.layout import scan


def test_package_src_flat_and_nested_projects(helpers: Any, tmp_path: Path) -> None:
    root = helpers.write_tree(
        tmp_path / "r",
        {
            "setup.py": "x = 1\n",
            "src/app/__init__.py": "",
            "src/app/core/__init__.py": "",
            "src/app/core/engine.py": "",
            "plugins/p-one/p_one/__init__.py": "",
            "plugins/p-one/p_one/hooks.py": "",
            "plugins/p-one/tests/test_hooks.py": "",
            "scripts/tool.py": "",
            "tests/conftest.py": "",
            "pyproject.toml": "[tool.ruff]\n",
        },
    )
    repo = scan(root)
    by_rel = {f.rel: f for f in repo.files}
    assert (by_rel["src/app/core/engine.py"].module, by_rel["src/app/core/engine.py"].root) == (
        "app.core.engine",
        "src",
    )
    assert by_rel["src/app/__init__.py"].module == "app"
    assert (by_rel["plugins/p-one/p_one/hooks.py"].module, by_rel["plugins/p-one/p_one/hooks.py"].root) == (
        "p_one.hooks",
        "plugins/p-one",
    )
    assert (by_rel["scripts/tool.py"].module, by_rel["scripts/tool.py"].root) == ("tool", "scripts")
    assert (by_rel["setup.py"].module, by_rel["setup.py"].root) == ("setup", "")
    assert {f.rel for f in repo.tests()} == {"plugins/p-one/tests/test_hooks.py", "tests/conftest.py"}
    assert [c.rel for c in repo.configs] == ["pyproject.toml"]
    roots = repo.import_roots(repo.sources())
    assert roots[-1] == str(root) and str(root / "plugins/p-one") in roots and str(root / "src") in roots


def test_skipped_directories(helpers: Any, tmp_path: Path) -> None:
    root = helpers.write_tree(
        tmp_path / "r",
        {
            "app.py": "",
            ".git/hooks/pre.py": "",
            ".venv/lib/x.py": "",
            "myenv/pyvenv.cfg": "home = /usr\n",
            "myenv/lib/python3.11/site-packages/dep/__init__.py": "",
            "build/lib/app.py": "",
            "dist/app.py": "",
            "lib/site-packages/dep.py": "",
            "node_modules/x/y.py": "",
            "pkg.egg-info/z.py": "",
            "__pycache__/app.py": "",
            "{{cookiecutter.slug}}/mod.py": "",
            "vendored/keep.py": "",
            "generated/skip_me.py": "",
        },
    )
    repo = scan(root, exclude=["generated"])
    assert [f.rel for f in repo.files] == ["app.py", "vendored/keep.py"]


def test_bad_paths(tmp_path: Path) -> None:
    with pytest.raises(RepositoryError, match="path not found"):
        scan(tmp_path / "missing")
    (tmp_path / "file.py").write_text("")
    with pytest.raises(RepositoryError, match="not a directory"):
        scan(tmp_path / "file.py")
    (tmp_path / "empty").mkdir()
    with pytest.raises(RepositoryError, match="no Python files"):
        scan(tmp_path / "empty")


def test_stat_precheck_reads_only_changed_files(helpers: Any, tmp_path: Path) -> None:
    root = helpers.write_tree(tmp_path / "r", {"a.py": "a = 1\n", "b.py": "b = 2\nc = 3\n"})
    repo = scan(root)
    first, read = fingerprint.hash_files(repo.files, {}, 0)
    assert sorted(read) == ["a.py", "b.py"] and first["b.py"][4] == 2
    later = max(f.stat[0] for f in repo.files) + fingerprint.RACY_WINDOW_NS + 1
    second, read = fingerprint.hash_files(repo.files, first, later)
    assert read == [] and second == first
    too_soon = min(f.stat[0] for f in repo.files) + fingerprint.RACY_WINDOW_NS
    _, read = fingerprint.hash_files(repo.files, first, too_soon)
    assert sorted(read) == ["a.py", "b.py"]  # modified too close to the snapshot: re-read
    (root / "a.py").write_text("a = 10\n")
    third, read = fingerprint.hash_files(scan(root).files, first, later)
    assert read == ["a.py"] and third["a.py"][3] != first["a.py"][3]


def test_import_resolution_and_cycles() -> None:
    known = dict.fromkeys(["pkg", "pkg.a", "pkg.b", "pkg.sub", "pkg.sub.c"])
    assert resolve("pkg.a", False, 0, "pkg", ["b", "helper"], known) == ["pkg.b", "pkg"]
    assert resolve("pkg.sub.c", False, 2, "a", ["x"], known) == ["pkg.a"]
    assert resolve("pkg.sub", True, 1, "", ["c"], known) == ["pkg.sub.c"]
    assert resolve("pkg.a", False, 0, "os.path", [], known) == []
    assert resolve("pkg.a", False, 5, "", ["x"], known) == []
    graph = ImportGraph(modules={m: m for m in known})
    for source, target in [
        ("pkg.a", "pkg.b"),
        ("pkg.b", "pkg.sub.c"),
        ("pkg.sub.c", "pkg.a"),
        ("pkg", "pkg.a"),
    ]:
        graph.add(source, target, 1)
    assert graph.cycles() == [["pkg.a", "pkg.b", "pkg.sub.c"]]
    assert graph.cycle_path(["pkg.a", "pkg.b", "pkg.sub.c"]) == ["pkg.a", "pkg.b", "pkg.sub.c", "pkg.a"]


def test_a_file_removed_after_the_scan_is_left_out(helpers: Any, tmp_path: Path) -> None:
    root = helpers.write_tree(tmp_path / "r", {"a.py": "a = 1\n", "b.py": "b = 2\n"})
    repo = scan(root)
    (root / "b.py").unlink()
    snapshot, read = fingerprint.hash_files(repo.files, {}, 0)
    assert list(snapshot) == ["a.py"] and read == ["a.py"]
