"""``AnalyserWorkflow``: analyser stages that always run, LLM stages that run when they can.

The base of the workflow plugins (code-review, security-audit, bug-predict, test-gen).
A subclass implements :meth:`prepare` (check the input; a bad one raises an
exit-code-2 error before any stage runs), one ``async stage_<name>(tier, data)`` per
stage (returning ``(output, tokens_in, tokens_out)``, or just the output dict for a
stage that calls no model) and :meth:`report` (the result's output, from the merged
outputs of the stages). What this class adds to :class:`~empathy_core.BaseWorkflow`:

- While a stage runs, a spinner on stderr names it, when stderr is a terminal.
- An LLM stage that cannot run is **skipped**, never faked: :meth:`llm_unavailable`
  says why (``"offline": true`` in the input, or the ``anthropic`` provider without an
  API key). The stage calls :meth:`require_llm` first, or :meth:`skip` for a reason of
  its own; both raise :class:`~empathy_core.StageSkipped`, so the engine, the hooks and
  telemetry see the stage ``skipped`` with its reason.
- A skip for lack of a key makes the run ``partial`` (the engine's degraded skip); so
  does a stage whose model reply cannot be used (no JSON where JSON was asked), noted
  with :meth:`degrade`. A skip asked for (offline) or decided by the workflow (nothing
  to escalate) keeps the run ``success``.
- The output is ``{"status", **report, "cost", "tokens", "skipped"}``: ``cost`` is the
  sum of the run's usage records (what the provider billed), ``tokens`` their totals.

A stage that raised still fails the run (status ``failed``, output as the engine left it).
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from typing import Any, ClassVar, NoReturn

import attrs

from empathy_code_review.replies import JSON_ONLY, ReplyError, parse_json_reply
from empathy_core import (
    BaseWorkflow,
    EmpathyError,
    LLMRequest,
    ModelTier,
    StageSkipped,
    Usage,
    WorkflowResult,
    shorten,
)

NO_KEY = "no API key: set ANTHROPIC_API_KEY or api_key in empathy.config.yml to run the LLM stages"
OFFLINE = "offline: the input asked for the analysers only"
KEYED_PROVIDERS = frozenset({"anthropic"})


class InputError(EmpathyError):
    """The workflow input is wrong: a usage mistake (exit code 2), raised before any stage."""

    exit_code = 2


@attrs.define
class StageNote:
    """Why a stage's output is incomplete (the run is partial)."""

    stage: str
    reason: str


@attrs.define
class RunState:
    """One ``execute``: what :meth:`AnalyserWorkflow.prepare` returned, and the notes."""

    prepared: Any
    llm_unavailable: tuple[str, bool] | None
    notes: list[StageNote] = attrs.Factory(list)


@attrs.define
class Asked:
    """A structured reply: the JSON object (``None`` when unusable) and the call's usage."""

    value: dict[str, Any] | None
    usage: Usage
    model: str


_run: ContextVar[RunState | None] = ContextVar("empathy_analyser_run", default=None)


class AnalyserWorkflow(BaseWorkflow):
    """A workflow of analyser stages and LLM stages; see the module docstring."""

    input_error: ClassVar[type[InputError]] = InputError
    """The error a bad input raises (subclasses name their own; exit code 2)."""

    # -- what subclasses implement -------------------------------------------------------

    def prepare(self, data: Mapping[str, Any]) -> Any:
        """Check ``data``; return what the stages need (read with :attr:`prepared`)."""
        return None

    def report(self, merged: dict[str, Any]) -> dict[str, Any]:
        """The output's keys from ``merged`` (every stage's dict output, in order)."""
        return merged

    # -- the run -------------------------------------------------------------------------

    @property
    def state(self) -> RunState:
        run = _run.get()
        if run is None:
            raise RuntimeError(f"{self.name}: stages run only inside execute()")
        return run

    @property
    def prepared(self) -> Any:
        return self.state.prepared

    async def execute(
        self, input_data: Mapping[str, Any] | None = None, *, run_id: str | None = None
    ) -> WorkflowResult:
        """Check the input (:meth:`prepare`: a bad one raises, exit 2), run, then report."""
        data = dict(input_data or {})
        if "offline" in data and not isinstance(data["offline"], bool):
            raise self.input_error(f"offline must be true or false, got {shorten(data['offline'])}")
        state = RunState(self.prepare(data), self.llm_unavailable(data))
        token = _run.set(state)
        try:
            result = await super().execute(data, run_id=run_id)
            self._finish(result, state)
        finally:
            _run.reset(token)
        return result

    async def run_stage(self, stage_name: str, tier: ModelTier, input_data: dict[str, Any]) -> Any:
        """``await self.stage_<stage_name>(tier, input_data)``, with progress on a terminal."""
        method = getattr(self, f"stage_{stage_name}")
        with _progress(self, stage_name):
            returned = await method(tier, input_data)
        return (returned, 0, 0) if isinstance(returned, Mapping) else returned

    def llm_unavailable(self, data: Mapping[str, Any]) -> tuple[str, bool] | None:
        """``(reason, degraded)`` when the LLM stages cannot run, else ``None``."""
        if data.get("offline") is True:
            return OFFLINE, False
        provider = self._provider_name or self.config.provider
        if provider in KEYED_PROVIDERS and not (self.config.api_key or os.environ.get("ANTHROPIC_API_KEY")):
            return NO_KEY, True
        return None

    def require_llm(self) -> None:
        """Skip the current stage (raise :class:`~empathy_core.StageSkipped`) when the LLM
        stages cannot run; a missing key is a degraded skip, ``offline`` a chosen one."""
        unavailable = self.state.llm_unavailable
        if unavailable is not None:
            reason, degraded = unavailable
            raise StageSkipped(reason, degraded=degraded)

    def skip(self, reason: str) -> NoReturn:
        """Skip the current stage for ``reason`` (nothing to do); the run stays ``success``."""
        raise StageSkipped(reason)

    def degrade(self, stage: str, reason: str) -> None:
        """Note that ``stage`` ran but part of its output is missing (the run is partial)."""
        self.state.notes.append(StageNote(stage, reason))

    async def ask_json(
        self,
        stage: str,
        tier: ModelTier,
        system: str,
        user: str,
        *,
        shape: str,
        keys: tuple[str, ...],
        cached_context: str = "",
        max_tokens: int = 2048,
    ) -> Asked:
        """One call asking for a JSON object with ``keys``; an unusable reply degrades ``stage``."""
        request = LLMRequest.from_text(
            user,
            system=f"{system}\n\n{JSON_ONLY.format(shape=shape)}",
            cached_context=cached_context,
            max_tokens=max_tokens,
            tier=tier,
        )
        reply = await self.call_llm(request)
        try:
            value: dict[str, Any] | None = parse_json_reply(reply.text, keys=keys)
        except ReplyError as exc:
            self.degrade(stage, f"{stage}: the {reply.model} reply was not usable: {exc}")
            value = None
        return Asked(value, reply.usage, reply.model)

    def _finish(self, result: WorkflowResult, state: RunState) -> None:
        if result.status not in ("success", "partial"):
            return
        if state.notes:
            result.status = "partial"
            result.error = "; ".join(filter(None, [result.error, *(n.reason for n in state.notes)]))
        merged: dict[str, Any] = {}
        for stage in result.stages:
            if isinstance(stage.output, Mapping):
                merged.update(stage.output)
        result.output = {
            "status": result.status,
            **self.report(merged),
            "skipped": {s.name: s.reason for s in result.stages if s.status == "skipped"},
            "cost": result.cost,
            "tokens": result.tokens,
        }


@contextlib.contextmanager
def _progress(workflow: AnalyserWorkflow, stage: str) -> Iterator[None]:
    """A rich spinner on stderr naming ``stage`` while it runs; nothing when not a terminal."""
    if not sys.stderr.isatty():
        yield
        return
    from rich.console import Console

    names = workflow.stage_names()
    label = f"{workflow.name}: {stage} ({names.index(stage) + 1}/{len(names)})"
    with Console(stderr=True).status(label):
        yield


def usage_tokens(*asked: Asked) -> tuple[int, int]:
    """``(tokens in, tokens out)`` of the calls in ``asked`` (as ``run_stage`` returns them)."""
    total = sum((a.usage for a in asked), Usage())
    return total.total_input_tokens, total.output_tokens
