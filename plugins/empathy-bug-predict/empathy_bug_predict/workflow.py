"""``bug-predict``: a risk score per file from measurements, then a model explains the top files.

The ``analyze`` stage needs no LLM: McCabe complexity (the orchestrate AST facts), churn
(``git log``), lint density (ruff) and coverage (the tree's own tests under pytest +
coverage, through orchestrate, when it has tests and ``run_tests`` is not false) are
combined by :mod:`empathy_bug_predict.risk`. The ``explain`` stage (CAPABLE) gets the top
files' numbered text and signals as its cached context and answers in JSON: why each file
is risky, and the likely bugs, each checked against the file (the line exists).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from empathy_bug_predict import risk
from empathy_bug_predict.churn import Churn, commits_per_file
from empathy_code_review.analysis import (
    AST_FACTS,
    PYTEST_COVERAGE,
    RUFF,
    Repository,
    ToolUnavailable,
    layout,
    open_analysis,
    per_file,
    project,
)
from empathy_code_review.findings import verify_findings
from empathy_code_review.sources import SourceFile, line_count
from empathy_code_review.staged import AnalyserWorkflow, InputError, usage_tokens
from empathy_code_review.workflow import numbered_context
from empathy_core import ModelTier, PathError, read_text_bounded, shorten

MAX_TOP = 20
MAX_FILE_BYTES = 200_000
EXPLAIN = (
    "You are a senior engineer predicting where bugs will appear. Above are the riskiest "
    "files of a repository, with line numbers, and their measured signals (complexity, "
    "churn, lint density, coverage). For each file say in two or three sentences why it is "
    "likely to hold bugs, and name the likely bugs you can see, at their lines."
)
EXPLAIN_SHAPE = (
    '{"explanations": [{"file": "<path>", "explanation": "<why>"}], '
    '"likely_bugs": [{"file": "<path>", "line": <int>, "severity": "high|medium|low", "issue": "<what>"}]}'
)


class PredictInputError(InputError):
    """The bug-predict input is wrong (exit code 2)."""


@attrs.frozen
class Prediction:
    """A checked input: the tree, how many files to explain, whether to run the tests."""

    root: str
    repo: Repository
    top: int
    run_tests: bool


def check_input(data: Mapping[str, Any]) -> Prediction:
    """``path`` (default ``.``) a directory with Python files; ``top`` 1..20; ``run_tests`` a boolean."""
    path = data.get("path", ".")
    if not isinstance(path, str) or not path:
        raise PredictInputError(f"path must be a directory path, got {shorten(path)}")
    top = data.get("top", 5)
    if isinstance(top, bool) or not isinstance(top, int) or not 1 <= top <= MAX_TOP:
        raise PredictInputError(f"top must be a whole number from 1 to {MAX_TOP}, got {shorten(top)}")
    run_tests = data.get("run_tests", True)
    if not isinstance(run_tests, bool):
        raise PredictInputError(f"run_tests must be true or false, got {shorten(run_tests)}")
    repo = layout(path)
    if not repo.sources():
        raise PredictInputError(f"no Python files other than tests under {path!r}")
    return Prediction(path, repo, top, run_tests)


class BugPredictWorkflow(AnalyserWorkflow):
    """Rank files by bug risk; a model explains the riskiest."""

    name = "bug-predict"
    description = "Bug risk per file from complexity, churn, lint density and coverage; top files explained."
    stages = ["analyze", "explain"]
    tier_map = {"analyze": ModelTier.CHEAP, "explain": ModelTier.CAPABLE}
    input_error = PredictInputError

    def prepare(self, data: Mapping[str, Any]) -> Prediction:
        return check_input(data)

    @property
    def prediction(self) -> Prediction:
        prepared: Prediction = self.prepared
        return prepared

    async def stage_analyze(self, tier: ModelTier, data: dict[str, Any]) -> dict[str, Any]:
        pred = self.prediction
        missing: dict[str, str] = {}
        coverage: dict[str, Any] | None = None
        async with open_analysis(pred.repo) as ctx:
            facts = await per_file(ctx, AST_FACTS)
            lint = await per_file(ctx, RUFF)
            if pred.run_tests:
                try:
                    coverage = await project(ctx, PYTEST_COVERAGE)
                except ToolUnavailable as exc:
                    missing["coverage"] = str(exc)
            else:
                missing["coverage"] = "run_tests is false"
            sources = [f.rel for f in ctx.repo.sources()]
        churn = await commits_per_file(pred.root)
        if isinstance(churn, str):
            missing["churn"] = churn
        signals = {rel: _signals(rel, facts[rel], lint.get(rel, []), churn, coverage) for rel in sources}
        max_churn = max((s.churn or 0 for s in signals.values()), default=0)
        ranked = []
        for rel, sig in signals.items():
            parts = risk.scaled(sig, max_churn)
            value = risk.score(parts)
            ranked.append(
                {
                    "file": rel,
                    "risk": value,
                    "level": risk.level(value),
                    "signals": {**attrs.asdict(sig), "lint_density": round(sig.lint_density, 2)},
                    "scaled": {k: None if v is None else round(v, 3) for k, v in parts.items()},
                }
            )
        ranked.sort(key=lambda r: (-r["risk"], r["file"]))
        return {
            "ranked": ranked,
            "signals_missing": missing,
            "tests": coverage.get("tests") if coverage else None,
            "commits": churn.commits if isinstance(churn, Churn) else None,
        }

    def _texts(self, files: list[str]) -> list[SourceFile]:
        by_rel = {f.rel: f for f in self.prediction.repo.files}
        out = []
        for rel in files:
            try:
                out.append(SourceFile(rel, read_text_bounded(Path(by_rel[rel].path), limit=MAX_FILE_BYTES)))
            except PathError:
                continue
        return out

    async def stage_explain(self, tier: ModelTier, data: dict[str, Any]) -> Any:
        self.require_llm()
        top = data["ranked"][: self.prediction.top]
        sources = self._texts([t["file"] for t in top])
        text, _ = numbered_context(sources)
        table = "\n".join(f"- {t['file']}: risk {t['risk']} ({t['level']}), {t['signals']}" for t in top)
        asked = await self.ask_json(
            "explain",
            tier,
            EXPLAIN,
            f"Explain the risk of these {len(top)} files.",
            shape=EXPLAIN_SHAPE,
            keys=("explanations",),
            cached_context=f"{text}\n### signals\n{table}",
            max_tokens=4096,
        )
        value = asked.value or {"explanations": []}
        lines = {s.path: line_count(s.text) for s in sources}
        explanations = {}
        entries = value["explanations"]
        for entry in entries if isinstance(entries, list) else []:
            if not isinstance(entry, dict) or not isinstance(entry.get("explanation"), str):
                continue
            if entry.get("file") in lines:
                explanations[entry["file"]] = entry["explanation"].strip()
        bugs, rejected = verify_findings(value.get("likely_bugs", []), lines, asked.model)
        output = {
            "explanations": explanations,
            "likely_bugs": [b.as_dict() for b in bugs],
            "rejected_findings": [attrs.asdict(r) for r in rejected],
            "explained_by": asked.model,
        }
        return (output, *usage_tokens(asked))

    def report(self, merged: dict[str, Any]) -> dict[str, Any]:
        explanations = merged.get("explanations", {})
        files = [{**r, "explanation": explanations.get(r["file"])} for r in merged["ranked"]]
        return {
            "files": files,
            "top": [f["file"] for f in files[: self.prediction.top]],
            "likely_bugs": merged.get("likely_bugs", []),
            "rejected_findings": merged.get("rejected_findings", []),
            "summary": {lv: sum(f["level"] == lv for f in files) for lv in ("high", "medium", "low")},
            "weights": risk.WEIGHTS,
            "signals_missing": merged["signals_missing"],
            "tests": merged["tests"],
            "commits": merged["commits"],
        }


def _signals(
    rel: str,
    facts: Mapping[str, Any],
    lint: list[Any],
    churn: Churn | str,
    coverage: Mapping[str, Any] | None,
) -> risk.Signals:
    functions = facts.get("functions", [])
    measured = None
    if coverage is not None:
        row = coverage["files"].get(rel)
        statements, covered = (row[0], row[1]) if row else (1, 0)
        measured = round(covered / statements, 3) if statements else 1.0
    return risk.Signals(
        lines=int(facts.get("lines", 0)),
        max_complexity=max((int(f[3]) for f in functions), default=1),
        functions=len(functions),
        lint_findings=len(lint),
        churn=churn.per_file.get(rel, 0) if isinstance(churn, Churn) else None,
        coverage=measured,
    )
