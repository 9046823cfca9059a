"""Dependency pinning: requirements files must pin exactly; pyproject dependencies must be bounded.

Checked files (at the audited root): ``requirements*.txt``, ``requirements/*.txt`` and
``pyproject.toml`` (``[project] dependencies`` and ``optional-dependencies``). Rules:

- ``PIN001`` (medium): a requirement with no version at all in a requirements file;
- ``PIN002`` (low): a range (``>=``, ``~=``...) in a requirements file, not an ``==`` pin;
- ``PIN003`` (medium): a VCS or URL requirement not fixed to a commit hash;
- ``PIN004`` (low): a pyproject dependency with no version constraint;
- ``PIN000`` (low): a line that is not a valid requirement.

Options (``-r``, ``-e``, ``--hash`` ...) and comments are not requirements.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import attrs
from packaging.requirements import InvalidRequirement, Requirement

from empathy_code_review.findings import Finding
from empathy_core import PathError, read_text_bounded, resolve_within

SOURCE = "pinning"
MAX_BYTES = 1_000_000
_COMMIT = re.compile(r"@[0-9a-f]{40}\b")
_BARE_URL = re.compile(r"^(?:git|hg|svn|bzr)\+|^https?://|^file:")


@attrs.frozen
class DependencyFile:
    """One dependency file: its path relative to the root and its text."""

    path: str
    text: str


def dependency_files(root: str) -> list[DependencyFile]:
    """The dependency files at ``root`` that exist and are readable text (others ignored)."""
    base = Path(root)
    names = sorted(p.name for p in base.glob("requirements*.txt"))
    names += sorted(f"requirements/{p.name}" for p in base.glob("requirements/*.txt"))
    if (base / "pyproject.toml").is_file():
        names.append("pyproject.toml")
    found = []
    for name in names:
        try:
            path = resolve_within(root, name, what="file", within="audited path")
            found.append(DependencyFile(name, read_text_bounded(path, limit=MAX_BYTES, what="file")))
        except PathError:
            continue
    return found


def check(files: list[DependencyFile]) -> list[Finding]:
    """The pinning findings of ``files``."""
    found: list[Finding] = []
    for file in files:
        if file.path.endswith("pyproject.toml"):
            found += _pyproject(file)
        else:
            found += _requirements(file)
    return found


def _finding(file: DependencyFile, line: int, rule: str, severity: str, issue: str) -> Finding:
    return Finding(file.path, line, severity, issue, SOURCE, rule=rule, category="security")


def _requirements(file: DependencyFile) -> list[Finding]:
    found = []
    for number, raw in enumerate(file.text.splitlines(), 1):
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith(("#", "-")):
            continue
        line = line.split(" --hash", 1)[0].strip().rstrip("\\").strip()
        problem = _pin_problem(line, exact=True)
        if problem is not None:
            found.append(_finding(file, number, *problem))
    return found


def _pin_problem(line: str, *, exact: bool) -> tuple[str, str, str] | None:
    """``(rule, severity, issue)`` for a requirement that is not pinned enough, or ``None``."""
    if _BARE_URL.match(line):
        return None if _COMMIT.search(line) else _unfixed(line, line)
    try:
        req = Requirement(line)
    except InvalidRequirement as exc:
        return "PIN000", "low", f"not a valid requirement: {line!r} ({str(exc).splitlines()[0]})"
    if req.url:
        return None if _COMMIT.search(req.url) else _unfixed(req.name, req.url)
    specs = list(req.specifier)
    if not specs:
        if exact:
            return "PIN001", "medium", f"{req.name} is not pinned: write {req.name}==<version>"
        return "PIN004", "low", f"{req.name} has no version constraint: bound it (>=, <)"
    if exact and not any(s.operator in ("==", "===") and "*" not in s.version for s in specs):
        pin = f"{req.name}==<version>"
        return "PIN002", "low", f"{req.name}{req.specifier} is a range, not a pin: write {pin}"
    return None


def _unfixed(name: str, url: str) -> tuple[str, str, str]:
    return "PIN003", "medium", f"{name} comes from {url} without a commit hash: pin it @<commit>"


def _pyproject(file: DependencyFile) -> list[Finding]:
    try:
        data = tomllib.loads(file.text)
    except tomllib.TOMLDecodeError as exc:
        return [_finding(file, 1, "PIN000", "low", f"pyproject.toml is not valid TOML: {exc}")]
    declared = data.get("project")
    project: dict[str, Any] = declared if isinstance(declared, dict) else {}
    entries: list[Any] = list(project.get("dependencies") or [])
    optional = project.get("optional-dependencies") or {}
    for extra in optional.values() if isinstance(optional, dict) else []:
        entries += list(extra or [])
    found = []
    for entry in entries:
        if not isinstance(entry, str):
            continue
        problem = _pin_problem(entry, exact=False)
        if problem is not None:
            found.append(_finding(file, _line_of(file.text, entry), *problem))
    return found


def _line_of(text: str, entry: str) -> int:
    """The first line of ``text`` quoting ``entry`` (1 when not found)."""
    for number, line in enumerate(text.splitlines(), 1):
        if f'"{entry}"' in line or f"'{entry}'" in line:
            return number
    return 1
