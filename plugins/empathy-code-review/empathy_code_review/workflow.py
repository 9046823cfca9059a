"""``code-review``: cheap triage of each file, capable review, premium synthesis.

The files' text is the cached context of the review stages, so the second and third
calls read it from the prompt cache instead of paying for it again.

The input (``path``, ``files``, ``focus_areas``) is checked before any stage runs: a bad
one raises :class:`~empathy_code_review.sources.ReviewInputError` (exit code 2, a usage
mistake) from :meth:`CodeReviewWorkflow.execute`, and no LLM is called. The files read
for that check are the ones the triage stage reviews (read once, warned about once).
"""

from __future__ import annotations

from collections.abc import Mapping
from contextvars import ContextVar
from typing import Any

from empathy_code_review.sources import ReviewInputError, SourceFile, collect_sources
from empathy_core import BaseWorkflow, ModelTier, WorkflowResult, shorten

TRIAGE = "You triage source files for a code review. Name the riskiest spots, one per line."
REVIEW = (
    "You are a senior reviewer. For each issue write: file:line | severity (high/medium/low) "
    "| issue. Focus areas: {focus}."
)
SYNTHESIS = "Summarise the review for the author: the three most important fixes first."
DEFAULT_FOCUS = ("correctness", "security")
# The sources checked by ``execute``, keyed by (path, files), for the triage stage of that run.
_checked: ContextVar[tuple[tuple[Any, ...], list[SourceFile]] | None] = ContextVar(
    "code_review_sources", default=None
)


def _key(data: Mapping[str, Any]) -> tuple[Any, ...]:
    return data.get("path", "."), tuple(data.get("files", ()))


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


def check_input(data: Mapping[str, Any]) -> list[SourceFile]:
    """The files ``data`` asks to review, or :class:`ReviewInputError` (exit 2) for a bad input.

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
    return collect_sources(path, data.get("files", ()))


def _sources(data: Mapping[str, Any]) -> list[SourceFile]:
    """The sources ``execute`` checked for this input, else freshly collected."""
    checked = _checked.get()
    if checked is not None and checked[0] == _key(data):
        return checked[1]
    return collect_sources(data.get("path", "."), data.get("files", ()))


class CodeReviewWorkflow(BaseWorkflow):
    """Review Python files: triage (cheap), review (capable), synthesis (premium)."""

    name = "code-review"
    description = "Tiered code review: cheap triage, capable review, premium synthesis."
    stages = ["triage", "review", "synthesize"]
    tier_map = {"triage": ModelTier.CHEAP, "review": ModelTier.CAPABLE, "synthesize": ModelTier.PREMIUM}

    async def execute(self, input_data: Mapping[str, Any] | None = None) -> WorkflowResult:
        """Check the input (:func:`check_input`: a bad one raises, exit 2), then run the stages."""
        data = input_data or {}
        sources = check_input(data)
        token = _checked.set((_key(data), sources))
        try:
            return await super().execute(input_data)
        finally:
            _checked.reset(token)

    async def run_stage(self, stage_name: str, tier: ModelTier, input_data: dict[str, Any]) -> Any:
        if stage_name == "triage":
            sources = _sources(input_data)
            context = "\n\n".join(f"# file: {s.path}\n{s.text}" for s in sources)
            reply = await self._call_llm(tier, TRIAGE, "Triage these files.", cached_context=context)
            output = {"files": [s.path for s in sources], "context": context, "triage": reply.text}
        elif stage_name == "review":
            focus = ", ".join(input_data.get("focus_areas") or DEFAULT_FOCUS)
            reply = await self._call_llm(
                tier,
                REVIEW.format(focus=focus),
                f"Triage notes:\n{input_data['triage']}",
                cached_context=input_data["context"],
            )
            output = {"review": reply.text}
        else:
            reply = await self._call_llm(tier, SYNTHESIS, input_data["review"])
            output = {"files": input_data["files"], "review": input_data["review"], "summary": reply.text}
        usage = reply.usage
        return output, usage.total_input_tokens, usage.output_tokens
