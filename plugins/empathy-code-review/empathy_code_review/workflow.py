"""``code-review``: scan (ruff + bandit), triage (cheap), review (capable), architect review (premium).

The scan runs the real analysers and needs no LLM. The model stages get the numbered
file text and the scan's findings as their cached context (the same prefix on every run
of a stage, so a second run reads it from the prompt cache), answer in JSON, and every
finding they report is checked against the files before it is (see
:func:`~empathy_code_review.findings.verify_findings`). The architect review runs only
when the review found a high-severity issue.

The input (``path``, ``files``, ``focus_areas``, ``offline``) is checked before any stage
runs: a bad one raises :class:`~empathy_code_review.sources.ReviewInputError` (exit
code 2) from :meth:`CodeReviewWorkflow.execute`, and no analyser or LLM runs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from empathy_code_review.analysis import BANDIT, RUFF, open_analysis, per_file, versions
from empathy_code_review.findings import (
    CATEGORIES,
    SEVERITIES,
    Finding,
    dedupe,
    line_number,
    severity_counts,
    tool_findings,
    verify_findings,
)
from empathy_code_review.sources import ReviewInputError, SourceFile, collect_sources, line_count
from empathy_code_review.staged import AnalyserWorkflow, usage_tokens
from empathy_core import ModelTier, from_dict, shorten

MAX_CONTEXT_CHARS = 400_000  # about 100k tokens of numbered file text in the cached prefix
PENALTY = {"high": 10, "medium": 3, "low": 1}

TRIAGE = (
    "You triage Python files for a code review. The files (with line numbers) and the "
    "findings of ruff and bandit are above. Rank the files that most need a careful review."
)
TRIAGE_SHAPE = '{"files": [{"file": "<path as given>", "risk": "high|medium|low", "reason": "<why>"}]}'
REVIEW = (
    "You are a senior Python reviewer. The files (with line numbers) and the findings of "
    "ruff and bandit are above. Report real problems the analysers did not already report, "
    "each at the line where it is. Do not invent files or lines."
)
REVIEW_SHAPE = (
    '{"issues": [{"file": "<path>", "line": <int>, "severity": "high|medium|low", '
    '"category": "security|correctness|performance|maintainability|style", "issue": "<what is wrong>", '
    '"suggestion": "<how to fix it>"}], "suggestions": ["<a change that improves the code overall>"]}'
)
ARCHITECT = (
    "You are a principal engineer. The files (with line numbers) and the analysers' findings "
    "are above. A review found the high-severity issues below: say what design change "
    "prevents this class of problem, and where."
)
ARCHITECT_SHAPE = '{"suggestions": [{"suggestion": "<the change>", "files": ["<path>"]}]}'


@attrs.frozen
class Review:
    """A checked input: the files to review, their line counts, the focus areas."""

    root: str
    sources: list[SourceFile]
    lines: dict[str, int]
    focus: list[str]
    context: str
    not_in_context: list[str]


def _strings(data: Mapping[str, Any], key: str, what: str) -> None:
    """``data[key]``, when present, must be a list of non-empty strings (not one string)."""
    if key not in data:
        return
    value = data[key]
    if isinstance(value, str):
        raise ReviewInputError(f"{key} must be a list of {what}, got a string: write [{shorten(value)}]")
    if not isinstance(value, list | tuple):
        raise ReviewInputError(f"{key} must be a list of {what}, got {type(value).__name__} {shorten(value)}")
    for item in value:
        if not isinstance(item, str) or not item.strip():
            raise ReviewInputError(f"{key} must be a list of {what}, got an entry {shorten(item)}")


def check_input(data: Mapping[str, Any]) -> Review:
    """The review ``data`` asks for, or :class:`ReviewInputError` (exit 2) for a bad input.

    ``path`` must be a string naming a directory, ``files`` a list of paths under it that
    exist, ``focus_areas`` a list of strings; there must be something to review.
    """
    if not isinstance(data, Mapping):
        raise ReviewInputError(f"the input must be a JSON object, got {type(data).__name__}")
    path = data.get("path", ".")
    if not isinstance(path, str) or not path:
        raise ReviewInputError(f"path must be a directory path, got {shorten(path)}")
    _strings(data, "files", "paths relative to path")
    _strings(data, "focus_areas", "focus areas")
    sources = collect_sources(path, data.get("files", ()))
    context, left_out = numbered_context(sources)
    return Review(
        root=path,
        sources=sources,
        lines={s.path: line_count(s.text) for s in sources},
        focus=[f.strip().lower() for f in data.get("focus_areas", ())],
        context=context,
        not_in_context=left_out,
    )


def numbered_context(sources: Sequence[SourceFile], limit: int = MAX_CONTEXT_CHARS) -> tuple[str, list[str]]:
    """Each file under a ``### file:`` header, lines numbered; files past ``limit`` left out."""
    parts: list[str] = []
    left_out: list[str] = []
    size = 0
    for source in sources:
        body = "\n".join(f"{n:>5}| {line}" for n, line in enumerate(source.text.splitlines(), 1))
        part = f"### file: {source.path} ({line_count(source.text)} lines)\n{body}\n"
        if size + len(part) > limit:
            left_out.append(source.path)
            continue
        parts.append(part)
        size += len(part)
    return "\n".join(parts), left_out


def findings_text(findings: Sequence[Mapping[str, Any]]) -> str:
    """The analysers' findings, one per line, for the cached context."""
    if not findings:
        return "### analyser findings: none"
    rows = [f"{f['file']}:{f['line']} [{f['severity']}] {f['source']} {f['issue']}" for f in findings]
    return "### analyser findings\n" + "\n".join(rows)


def suggestion(text: str, source: str, file: str | None = None, line: int | None = None) -> dict[str, Any]:
    """One entry of the result's ``suggestions``."""
    return {"file": file, "line": line, "suggestion": text, "source": source}


def score_of(findings: Sequence[Finding], files: int) -> float:
    """100 for no finding, falling with the severity-weighted findings per file."""
    penalty = sum(PENALTY[f.severity] for f in findings)
    budget = 10 * max(files, 1)
    return round(100 * budget / (budget + penalty), 1)


def in_focus(focus: Sequence[str]) -> set[str]:
    """The categories the issues are limited to: the known ones named, else all."""
    known = {f for f in focus if f in CATEGORIES}
    return known or set(CATEGORIES)


class CodeReviewWorkflow(AnalyserWorkflow):
    """Review Python files: analysers first, then cheap, capable and premium models."""

    name = "code-review"
    description = "Code review: ruff + bandit scan, cheap triage, capable review, premium architect review."
    stages = ["scan", "triage", "review", "architect_review"]
    tier_map = {
        "scan": ModelTier.CHEAP,
        "triage": ModelTier.CHEAP,
        "review": ModelTier.CAPABLE,
        "architect_review": ModelTier.PREMIUM,
    }
    input_error = ReviewInputError

    def prepare(self, data: Mapping[str, Any]) -> Review:
        return check_input(data)

    @property
    def review(self) -> Review:
        prepared: Review = self.prepared
        return prepared

    def cached_context(self, data: Mapping[str, Any]) -> str:
        return f"{self.review.context}\n{findings_text(data['tool_findings'])}"

    async def stage_scan(self, tier: ModelTier, data: dict[str, Any]) -> dict[str, Any]:
        review = self.review
        async with open_analysis(review.root, [s.path for s in review.sources]) as ctx:
            ruff, bandit = await asyncio.gather(per_file(ctx, RUFF), per_file(ctx, BANDIT))
            scanned = sorted({f.rel for f in ctx.repo.files})
        found = tool_findings("ruff", ruff) + tool_findings("bandit", bandit)
        return {
            "files": [s.path for s in review.sources],
            "tool_findings": [f.as_dict() for f in dedupe(found)],
            "analysers": versions(RUFF, BANDIT),
            "not_scanned": sorted(set(review.lines) - set(scanned)),
        }

    async def stage_triage(self, tier: ModelTier, data: dict[str, Any]) -> Any:
        self.require_llm()
        asked = await self.ask_json(
            "triage",
            tier,
            TRIAGE,
            "Which files need the closest review, and why?",
            shape=TRIAGE_SHAPE,
            keys=("files",),
            cached_context=self.cached_context(data),
            max_tokens=1024,
        )
        ranked = []
        entries = asked.value["files"] if asked.value is not None else []
        for entry in entries if isinstance(entries, list) else []:
            if isinstance(entry, dict) and entry.get("file") in self.review.lines:
                risk = str(entry.get("risk", "")).lower()
                ranked.append(
                    {
                        "file": entry["file"],
                        "risk": risk if risk in SEVERITIES else "medium",
                        "reason": str(entry.get("reason", "")),
                    }
                )
        ranked.sort(key=lambda e: SEVERITIES.index(e["risk"]))
        return ({"triage": ranked}, *usage_tokens(asked))

    async def stage_review(self, tier: ModelTier, data: dict[str, Any]) -> Any:
        self.require_llm()
        focus = ", ".join(self.review.focus or CATEGORIES)
        notes = "\n".join(f"- {t['file']} ({t['risk']}): {t['reason']}" for t in data.get("triage", []))
        user = f"Focus areas: {focus}.\nTriage notes:\n{notes or '- none'}\nReview the code."
        asked = await self.ask_json(
            "review",
            tier,
            REVIEW,
            user,
            shape=REVIEW_SHAPE,
            keys=("issues",),
            cached_context=self.cached_context(data),
            max_tokens=4096,
        )
        value = asked.value or {"issues": []}
        kept, rejected = verify_findings(value["issues"], self.review.lines, asked.model)
        places = {(k.file, k.line) for k in kept}
        suggestions = []
        for item in value["issues"] if isinstance(value["issues"], list) else []:
            if not isinstance(item, dict) or not item.get("suggestion"):
                continue
            place = (item.get("file"), line_number(item.get("line")))
            if place in places:
                suggestions.append(suggestion(str(item["suggestion"]), asked.model, *place))
        extra = value.get("suggestions", [])
        for text in extra if isinstance(extra, list) else []:
            if isinstance(text, str) and text.strip():
                suggestions.append(suggestion(text, asked.model))
        output = {
            "model_findings": [f.as_dict() for f in kept],
            "rejected_findings": [attrs.asdict(r) for r in rejected],
            "review_suggestions": suggestions,
        }
        return (output, *usage_tokens(asked))

    async def stage_architect_review(self, tier: ModelTier, data: dict[str, Any]) -> Any:
        self.require_llm()
        high = [f for f in data.get("model_findings", []) if f["severity"] == "high"]
        if not high:
            self.skip("the review found no high-severity issue")
        issues = "\n".join(f"- {f['file']}:{f['line']}: {f['issue']}" for f in high)
        asked = await self.ask_json(
            "architect_review",
            tier,
            ARCHITECT,
            f"High-severity issues:\n{issues}",
            shape=ARCHITECT_SHAPE,
            keys=("suggestions",),
            cached_context=self.cached_context(data),
            max_tokens=2048,
        )
        entries = asked.value["suggestions"] if asked.value is not None else []
        suggestions = []
        for entry in entries if isinstance(entries, list) else []:
            if isinstance(entry, dict) and isinstance(entry.get("suggestion"), str):
                named = entry.get("files")
                files = [f for f in named if f in self.review.lines] if isinstance(named, list) else []
                suggestions.append(suggestion(entry["suggestion"], asked.model, ", ".join(files) or None))
        return ({"architect_suggestions": suggestions}, *usage_tokens(asked))

    def report(self, merged: dict[str, Any]) -> dict[str, Any]:
        review = self.review
        every = [from_dict(Finding, f) for f in merged["tool_findings"] + merged.get("model_findings", [])]
        categories = in_focus(review.focus)
        unique = dedupe(every)
        issues = [f for f in unique if f.category in categories]
        suggestions = merged.get("review_suggestions", []) + merged.get("architect_suggestions", [])
        return {
            "issues": [f.as_dict() for f in issues],
            "suggestions": suggestions,
            "score": score_of(issues, len(review.sources)),
            "severity": severity_counts(issues),
            "focus_areas": review.focus or list(CATEGORIES),
            "issues_outside_focus": len(unique) - len(issues),
            "files": merged["files"],
            "triage": merged.get("triage", []),
            "rejected_findings": merged.get("rejected_findings", []),
            "analysers": merged["analysers"],
            "not_scanned": merged["not_scanned"],
            "not_in_context": review.not_in_context,
        }
