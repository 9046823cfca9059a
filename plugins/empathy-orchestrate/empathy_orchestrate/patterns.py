"""Six composition patterns: reusable async primitives any plugin can use.

A *step* is an async callable taking one input and returning an output, for example an
agent (``functools.partial(run_agent, template)`` over an analysis context) or an LLM
call. Every pattern is itself a step (``await pattern(value)``), so patterns nest: the
health-check is an :class:`Adaptive` choice of agents run as a :class:`Debate` whose
proposals are gathered by :class:`Parallel`.

==============  ==========================================================================
Sequential      steps one after another (outputs in order, or a pipeline with ``chain``)
Parallel        steps concurrently under a semaphore (``max_concurrency``)
Debate          participants propose in parallel, each critiques the others, a judge decides
Teaching        a cheap student drafts, a capable teacher corrects unless the draft passes
Refinement      repeat a step on its own output until a score reaches a bar or rounds run out
Adaptive        choose the steps from the input (what a repository contains), then run them
==============  ==========================================================================
"""

from __future__ import annotations

import abc
import asyncio
import inspect
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, ClassVar

import attrs

Step = Callable[[Any], Awaitable[Any]]


async def _resolve(value: Any) -> Any:
    """Await ``value`` if it is awaitable (callbacks may be sync or async)."""
    return await value if inspect.isawaitable(value) else value


class Pattern(abc.ABC):
    """A composition of steps that is itself a step. ``name`` is its registry name."""

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""

    @abc.abstractmethod
    async def __call__(self, value: Any) -> Any:
        """Run the composition on ``value``."""


@attrs.define
class Sequential(Pattern):
    """Run ``steps`` one at a time on the same input and return their outputs in order.

    ``chain=True`` makes it a pipeline instead: each step receives the previous step's
    output and the last output is returned. ``until(output)`` true stops early.
    """

    name: ClassVar[str] = "sequential"
    description: ClassVar[str] = "steps one after another; outputs in order, or a pipeline"

    steps: Sequence[Step]
    chain: bool = False
    until: Callable[[Any], Any] | None = None

    async def __call__(self, value: Any) -> Any:
        outputs = []
        current = value
        for step in self.steps:
            output = await step(current if self.chain else value)
            outputs.append(output)
            current = output
            if self.until is not None and await _resolve(self.until(output)):
                break
        return current if self.chain else outputs


@attrs.define
class Parallel(Pattern):
    """Run ``steps`` concurrently on the same input; outputs in step order.

    At most ``max_concurrency`` run at once (``None``: no bound). If a step raises, the
    others are cancelled and the exception propagates.
    """

    name: ClassVar[str] = "parallel"
    description: ClassVar[str] = "steps concurrently, bounded by a semaphore"

    steps: Sequence[Step]
    max_concurrency: int | None = None

    async def __call__(self, value: Any) -> list[Any]:
        semaphore = asyncio.Semaphore(self.max_concurrency) if self.max_concurrency else None

        async def one(step: Step) -> Any:
            if semaphore is None:
                return await step(value)
            async with semaphore:
                return await step(value)

        tasks = [asyncio.ensure_future(one(step)) for step in self.steps]
        try:
            return list(await asyncio.gather(*tasks))
        except BaseException:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            raise


@attrs.define
class Debate(Pattern):
    """Participants propose, critique each other, and a judge decides.

    1. every participant runs on the input (in parallel) and returns a proposal;
    2. ``critic(value, own, others)`` is called for each proposal and returns that
       participant's critique of the ``others``;
    3. with ``rounds > 1`` and ``revise(value, own, critiques)``, each participant
       revises its proposal in the light of all critiques, and step 2 repeats;
    4. ``judge(value, proposals, critiques)`` returns the outcome (``critiques[i]`` is
       participant ``i``'s critique in the last round).
    """

    name: ClassVar[str] = "debate"
    description: ClassVar[str] = "participants propose, critique each other, a judge decides"

    participants: Sequence[Step]
    critic: Callable[[Any, Any, list[Any]], Awaitable[Any]]
    judge: Callable[[Any, list[Any], list[Any]], Awaitable[Any]]
    rounds: int = 1
    revise: Callable[[Any, Any, list[Any]], Awaitable[Any]] | None = None
    max_concurrency: int | None = None

    async def __call__(self, value: Any) -> Any:
        proposals = await Parallel(self.participants, self.max_concurrency)(value)
        critiques: list[Any] = []
        for round_number in range(max(1, self.rounds)):
            critiques = await Parallel(
                [self._critique_step(i, proposals) for i in range(len(proposals))], self.max_concurrency
            )(value)
            last = round_number == max(1, self.rounds) - 1
            if last or self.revise is None:
                break
            revise = self.revise
            proposals = list(
                await asyncio.gather(*(revise(value, proposal, critiques) for proposal in proposals))
            )
        return await self.judge(value, proposals, critiques)

    def _critique_step(self, index: int, proposals: list[Any]) -> Step:
        others = [p for j, p in enumerate(proposals) if j != index]

        async def step(value: Any) -> Any:
            return await self.critic(value, proposals[index], others)

        return step


@attrs.frozen
class Lesson:
    """The outcome of :class:`Teaching`: the student's draft and the final answer."""

    draft: Any
    final: Any
    corrected: bool


@attrs.define
class Teaching(Pattern):
    """A cheap ``student`` drafts; a capable ``teacher(value, draft)`` corrects it.

    With ``accept(draft)`` true the draft is final and the teacher is not called: the
    capable (expensive) step runs only when needed. Returns a :class:`Lesson`.
    """

    name: ClassVar[str] = "teaching"
    description: ClassVar[str] = "a cheap student drafts, a capable teacher corrects"

    student: Step
    teacher: Callable[[Any, Any], Awaitable[Any]]
    accept: Callable[[Any], Any] | None = None

    async def __call__(self, value: Any) -> Lesson:
        draft = await self.student(value)
        if self.accept is not None and await _resolve(self.accept(draft)):
            return Lesson(draft=draft, final=draft, corrected=False)
        return Lesson(draft=draft, final=await self.teacher(value, draft), corrected=True)


@attrs.frozen
class Refined:
    """The outcome of :class:`Refinement`: the last output, its score and the score of each round."""

    output: Any
    score: float
    rounds: int
    reached: bool
    scores: tuple[float, ...]


@attrs.define
class Refinement(Pattern):
    """Repeat ``step(value, previous)`` until ``score(output) >= threshold`` or ``max_rounds``.

    The first call gets ``previous=None``. Returns a :class:`Refined` whose ``reached``
    says whether the bar was met.
    """

    name: ClassVar[str] = "refinement"
    description: ClassVar[str] = "iterate until a quality bar or max rounds"

    step: Callable[[Any, Any], Awaitable[Any]]
    score: Callable[[Any], Any]
    threshold: float
    max_rounds: int = 3

    async def __call__(self, value: Any) -> Refined:
        output = await self.step(value, None)
        scores = [float(await _resolve(self.score(output)))]
        while scores[-1] < self.threshold and len(scores) < self.max_rounds:
            output = await self.step(value, output)
            scores.append(float(await _resolve(self.score(output))))
        return Refined(
            output=output,
            score=scores[-1],
            rounds=len(scores),
            reached=scores[-1] >= self.threshold,
            scores=tuple(scores),
        )


@attrs.frozen
class Selection:
    """Which candidates :class:`Adaptive` chose, and why it left the others out."""

    chosen: tuple[str, ...]
    skipped: Mapping[str, str]


@attrs.define
class Adaptive(Pattern):
    """Choose among named ``candidates`` from the input, then run the chosen ones.

    ``reject(value, name)`` returns ``None`` to choose the candidate or a reason to leave
    it out; ``combine(steps)`` builds the step that runs the chosen ones (default
    :class:`Parallel`). :meth:`select` alone gives the :class:`Selection`.
    """

    name: ClassVar[str] = "adaptive"
    description: ClassVar[str] = "choose the steps from what the input contains, then run them"

    candidates: Mapping[str, Step]
    reject: Callable[[Any, str], Any]
    combine: Callable[[list[Step]], Step] = Parallel

    async def select(self, value: Any) -> Selection:
        """The candidates to run on ``value`` (in candidate order) and the reasons for the rest."""
        chosen, skipped = [], {}
        for name in self.candidates:
            reason = await _resolve(self.reject(value, name))
            if reason is None:
                chosen.append(name)
            else:
                skipped[name] = str(reason)
        return Selection(chosen=tuple(chosen), skipped=skipped)

    async def run(self, selection: Selection, value: Any) -> Any:
        """Run the candidates of ``selection`` on ``value``."""
        return await self.combine([self.candidates[name] for name in selection.chosen])(value)

    async def __call__(self, value: Any) -> Any:
        return await self.run(await self.select(value), value)


BUILTIN_PATTERNS: tuple[type[Pattern], ...] = (Sequential, Parallel, Debate, Teaching, Refinement, Adaptive)
