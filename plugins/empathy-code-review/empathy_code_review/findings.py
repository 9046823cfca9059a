"""Findings as the workflows report them, and the check every model finding must pass.

A :class:`Finding` comes from an analyser (``source`` is the tool's name) or from a model
(``source`` is the model id). A model's finding is reported only once
:func:`verify_findings` has checked it against the files: the file is one of those
reviewed, the line exists in it, the severity is one of :data:`SEVERITIES` and the text
is not empty. The ones that fail are kept apart with the reason, never silently dropped.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs

SEVERITIES: tuple[str, ...] = ("high", "medium", "low")
SEVERITY_RANK = {name: rank for rank, name in enumerate(SEVERITIES)}
CATEGORIES: tuple[str, ...] = ("security", "correctness", "performance", "maintainability", "style")
# ruff code prefix -> category, longest prefix first (the rest is style).
_RUFF_CATEGORIES = (
    ("PLE", "correctness"),
    ("PLR", "maintainability"),
    ("PERF", "performance"),
    ("ASYNC", "correctness"),
    ("C90", "maintainability"),
    ("E9", "correctness"),
    ("S", "security"),
    ("F", "correctness"),
    ("B", "correctness"),
)


@attrs.frozen
class Finding:
    """One issue at ``file``:``line``. ``source`` is the analyser or model that found it."""

    file: str
    line: int
    severity: str = attrs.field(validator=attrs.validators.in_(SEVERITIES))
    issue: str
    source: str
    rule: str = ""
    category: str = "correctness"

    def as_dict(self) -> dict[str, Any]:
        return attrs.asdict(self)

    @property
    def rank(self) -> tuple[int, str, int]:
        """Sort key: most severe first, then by place."""
        return SEVERITY_RANK[self.severity], self.file, self.line


@attrs.frozen
class Rejected:
    """A model finding that did not pass :func:`verify_findings`, and why."""

    finding: dict[str, Any]
    reason: str
    source: str


def category_of(tool: str, rule: str) -> str:
    """The category of a tool finding: bandit is security; ruff by its code's prefix."""
    if tool == "bandit":
        return "security"
    for prefix, category in _RUFF_CATEGORIES:
        if rule.startswith(prefix):
            return category
    return "style"


def tool_findings(tool: str, per_file: Mapping[str, Sequence[Sequence[Any]]]) -> list[Finding]:
    """Findings from an analyser's ``rel -> [[line, severity, rule, message], ...]`` rows."""
    found = []
    for rel, rows in per_file.items():
        for line, severity, rule, message in rows:
            code = str(rule).split(" ")[0]
            found.append(
                Finding(
                    file=rel,
                    line=int(line),
                    severity=severity,
                    issue=f"{rule}: {message}" if message else str(rule),
                    source=tool,
                    rule=code,
                    category=category_of(tool, code),
                )
            )
    return sorted(found, key=lambda f: f.rank)


def line_number(value: Any) -> int | None:
    """``value`` as a line number (an int, or a string of digits), else ``None``."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


def verify_findings(
    items: Any, lines: Mapping[str, int], source: str, *, category: str = "correctness"
) -> tuple[list[Finding], list[Rejected]]:
    """Model findings that name a reviewed file and a line it has; the rest rejected with why.

    ``items`` is what the model returned (a list of objects with ``file``, ``line``,
    ``severity``, ``issue`` and optionally ``category``); ``lines`` maps each reviewed
    file to its number of lines.
    """
    kept: list[Finding] = []
    rejected: list[Rejected] = []
    if not isinstance(items, list):
        return kept, [Rejected({"value": repr(items)[:200]}, "expected a list of findings", source)]
    for item in items:
        reason = _problem(item, lines)
        if reason is not None:
            shown = item if isinstance(item, dict) else {"value": repr(item)[:200]}
            rejected.append(Rejected(shown, reason, source))
            continue
        named = str(item.get("category", "")).lower()
        kept.append(
            Finding(
                file=item["file"],
                line=line_number(item["line"]) or 0,
                severity=str(item["severity"]).lower(),
                issue=str(item["issue"]).strip(),
                source=source,
                rule=str(item.get("rule", "")),
                category=named if named in CATEGORIES else category,
            )
        )
    return kept, rejected


def _problem(item: Any, lines: Mapping[str, int]) -> str | None:
    """Why ``item`` is not a finding we can report, or ``None``."""
    if not isinstance(item, dict):
        return "not an object"
    file = item.get("file")
    if not isinstance(file, str) or file not in lines:
        return f"file {file!r} is not one of the reviewed files"
    line = line_number(item.get("line"))
    if line is None:
        return f"line {item.get('line')!r} is not a line number"
    if not 1 <= line <= lines[file]:
        return f"line {line} does not exist in {file} ({lines[file]} lines)"
    if str(item.get("severity", "")).lower() not in SEVERITIES:
        return f"severity {item.get('severity')!r} is not one of {', '.join(SEVERITIES)}"
    if not isinstance(item.get("issue"), str) or not item["issue"].strip():
        return "no issue text"
    return None


def dedupe(findings: Iterable[Finding]) -> list[Finding]:
    """Findings sorted most severe first, each (file, line, source, issue) once."""
    seen: set[tuple[str, int, str, str]] = set()
    out = []
    for finding in sorted(findings, key=lambda f: f.rank):
        key = (finding.file, finding.line, finding.source, finding.issue)
        if key not in seen:
            seen.add(key)
            out.append(finding)
    return out


def severity_counts(findings: Iterable[Finding]) -> dict[str, int]:
    """``{"high": n, "medium": n, "low": n}``."""
    counts = dict.fromkeys(SEVERITIES, 0)
    for finding in findings:
        counts[finding.severity] += 1
    return counts
