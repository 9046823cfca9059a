"""``security-audit``: scan (bandit, dependency pinning, known-bad patterns), then model triage.

The scan needs no LLM. The triage stage (CAPABLE) sends the findings, each with the
lines around it (credentials masked), as the cached context and asks, in batches of
:data:`BATCH`, whether each is a real problem or a false positive, with the reasoning.
A verdict counts only when it names a finding of its batch, says ``real`` or
``false_positive`` and gives a reason; a finding without one is ``untriaged``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from empathy_code_review.analysis import BANDIT, open_analysis, per_file, versions
from empathy_code_review.findings import SEVERITIES, Finding, dedupe, severity_counts, tool_findings
from empathy_code_review.sources import SourceFile, collect_sources
from empathy_code_review.staged import AnalyserWorkflow, Asked, InputError, usage_tokens
from empathy_core import ModelTier, from_dict, shorten
from empathy_security_audit import dependencies, patterns

MAX_FILES = 500
BATCH = 40
CONTEXT_LINES = 3
VERDICTS = ("real", "false_positive")
TRIAGE = (
    "You are an application security engineer triaging the findings of automated checks. "
    "Each finding above is shown with the code around it. For each finding you are asked "
    "about, decide whether it is a real security problem in this code or a false positive, "
    "and say why in one or two sentences."
)
TRIAGE_SHAPE = (
    '{"verdicts": [{"id": <finding id>, "verdict": "real|false_positive", '
    '"severity": "high|medium|low", "reasoning": "<why>"}]}'
)


class AuditInputError(InputError):
    """The audit input is wrong (exit code 2)."""


@attrs.frozen
class Audit:
    """A checked input: the root, its Python files and its dependency files."""

    root: str
    sources: list[SourceFile]
    deps: list[dependencies.DependencyFile]

    def texts(self) -> dict[str, str]:
        return {**{s.path: s.text for s in self.sources}, **{d.path: d.text for d in self.deps}}


def check_input(data: Mapping[str, Any]) -> Audit:
    """The audit ``data`` asks for: ``path`` (default ``.``) must be a directory with Python
    files or dependency files."""
    path = data.get("path", ".")
    if not isinstance(path, str) or not path:
        raise AuditInputError(f"path must be a directory path, got {shorten(path)}")
    sources = collect_sources(path, limit=MAX_FILES, required=False)
    deps = dependencies.dependency_files(path)
    if not sources and not deps:
        raise AuditInputError(
            f"nothing to audit under {path!r}: no Python files, requirements*.txt or pyproject.toml"
        )
    return Audit(path, sources, deps)


def snippet(text: str, line: int, around: int = CONTEXT_LINES) -> str:
    """Lines ``line - around`` .. ``line + around`` of ``text``, numbered, credentials masked."""
    lines = text.splitlines()
    start, end = max(1, line - around), min(len(lines), line + around)
    return "\n".join(f"{n:>5}| {patterns.mask(lines[n - 1])}" for n in range(start, end + 1))


class SecurityAuditWorkflow(AnalyserWorkflow):
    """Audit a tree: bandit, dependency pinning and known-bad patterns, then model triage."""

    name = "security-audit"
    description = "Security audit: bandit, dependency pinning, known-bad patterns; model triage per finding."
    stages = ["scan", "triage"]
    tier_map = {"scan": ModelTier.CHEAP, "triage": ModelTier.CAPABLE}
    input_error = AuditInputError

    def prepare(self, data: Mapping[str, Any]) -> Audit:
        return check_input(data)

    @property
    def audit(self) -> Audit:
        prepared: Audit = self.prepared
        return prepared

    async def stage_scan(self, tier: ModelTier, data: dict[str, Any]) -> dict[str, Any]:
        audit = self.audit
        found: list[Finding] = []
        analysers = {}
        if audit.sources:
            async with open_analysis(audit.root, [s.path for s in audit.sources]) as ctx:
                found += tool_findings("bandit", await per_file(ctx, BANDIT))
            analysers = versions(BANDIT)
        found += dependencies.check(audit.deps)
        for source in audit.sources:
            found += patterns.scan_text(source.path, source.text)
        return {
            "findings": [f.as_dict() for f in dedupe(found)],
            "files": len(audit.sources),
            "dependency_files": [d.path for d in audit.deps],
            "analysers": {**analysers, "pinning": "builtin", "patterns": f"{len(patterns.PATTERNS)} rules"},
        }

    def context(self, findings: Sequence[Finding]) -> str:
        texts = self.audit.texts()
        parts = []
        for number, finding in enumerate(findings, 1):
            code = snippet(texts.get(finding.file, ""), finding.line)
            parts.append(
                f"### finding {number}: {finding.file}:{finding.line} [{finding.severity}] "
                f"{finding.source} {patterns.mask(finding.issue)}\n{code}"
            )
        return "\n\n".join(parts)

    async def stage_triage(self, tier: ModelTier, data: dict[str, Any]) -> Any:
        findings = [from_dict(Finding, f) for f in data["findings"]]
        if not findings:
            self.skip("no findings to triage")
        self.require_llm()
        context = self.context(findings)
        verdicts: dict[int, dict[str, Any]] = {}
        rejected: list[dict[str, Any]] = []
        calls: list[Asked] = []
        for start in range(0, len(findings), BATCH):
            ids = list(range(start + 1, min(start + BATCH, len(findings)) + 1))
            asked = await self.ask_json(
                "triage",
                tier,
                TRIAGE,
                f"Triage findings {ids[0]} to {ids[-1]}: one verdict for each.",
                shape=TRIAGE_SHAPE,
                keys=("verdicts",),
                cached_context=context,
                max_tokens=min(8192, 200 * len(ids) + 256),
            )
            calls.append(asked)
            entries = asked.value["verdicts"] if asked.value is not None else []
            for entry in entries if isinstance(entries, list) else []:
                problem = _verdict_problem(entry, ids)
                if problem is not None:
                    rejected.append({"verdict": entry, "reason": problem, "source": asked.model})
                    continue
                severity = str(entry.get("severity", "")).lower()
                verdicts[int(entry["id"])] = {
                    "verdict": entry["verdict"],
                    "reasoning": entry["reasoning"].strip(),
                    "model_severity": severity if severity in SEVERITIES else None,
                    "triaged_by": asked.model,
                }
        output = {
            "verdicts": {str(k): v for k, v in sorted(verdicts.items())},
            "rejected_verdicts": rejected,
        }
        return (output, *usage_tokens(*calls))

    def report(self, merged: dict[str, Any]) -> dict[str, Any]:
        verdicts = merged.get("verdicts", {})
        findings = []
        for number, finding in enumerate(merged["findings"], 1):
            verdict = verdicts.get(str(number), {"verdict": "untriaged", "reasoning": None})
            findings.append({**finding, "issue": patterns.mask(finding["issue"]), **verdict})
        return {
            "findings": findings,
            "summary": summary(findings),
            "files": merged["files"],
            "dependency_files": merged["dependency_files"],
            "rejected_verdicts": merged.get("rejected_verdicts", []),
            "analysers": merged["analysers"],
        }


def _verdict_problem(entry: Any, ids: list[int]) -> str | None:
    if not isinstance(entry, dict):
        return "not an object"
    ident = entry.get("id")
    if isinstance(ident, bool) or not isinstance(ident, int) or ident not in ids:
        return f"id {ident!r} is not one of the findings asked about ({ids[0]}..{ids[-1]})"
    if entry.get("verdict") not in VERDICTS:
        return f"verdict {entry.get('verdict')!r} is not one of {', '.join(VERDICTS)}"
    if not isinstance(entry.get("reasoning"), str) or not entry["reasoning"].strip():
        return "no reasoning"
    return None


def summary(findings: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Counts by severity: all findings, those triaged real, false positives, untriaged."""
    records = [from_dict(Finding, {k: f[k] for k in attrs.fields_dict(Finding)}) for f in findings]
    real = [r for r, f in zip(records, findings, strict=True) if f["verdict"] == "real"]
    return {
        "total": len(findings),
        "by_severity": severity_counts(records),
        "real": severity_counts(real),
        "false_positives": sum(f["verdict"] == "false_positive" for f in findings),
        "untriaged": sum(f["verdict"] == "untriaged" for f in findings),
        "by_source": dict(sorted(Counter(f["source"] for f in findings).items())),
    }
