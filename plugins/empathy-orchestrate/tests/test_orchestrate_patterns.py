"""The six composition patterns as primitives, and their registry."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

import empathy_orchestrate.plugin as orchestrate_plugin
from empathy_core import DuplicateNameError, hookimpl
from empathy_orchestrate.patterns import (
    Adaptive,
    Debate,
    Lesson,
    Parallel,
    Pattern,
    Refinement,
    Sequential,
    Teaching,
)
from empathy_orchestrate.registry import patterns


def add(n: int) -> Any:
    async def step(value: int) -> int:
        await asyncio.sleep(0)
        return value + n

    return step


def run(pattern: Any, value: Any) -> Any:
    return asyncio.run(pattern(value))


def test_sequential_collects_outputs_in_order() -> None:
    assert run(Sequential([add(1), add(10), add(100)]), 1) == [2, 11, 101]


def test_sequential_chain_is_a_pipeline() -> None:
    assert run(Sequential([add(1), add(10), add(100)], chain=True), 1) == 112


def test_sequential_stops_when_until_holds() -> None:
    calls: list[int] = []

    def record(n: int) -> Any:
        async def step(value: int) -> int:
            calls.append(n)
            return value * n

        return step

    assert run(Sequential([record(2), record(3), record(4)], until=lambda out: out >= 3), 1) == [2, 3]
    assert calls == [2, 3]


def test_parallel_respects_its_concurrency_bound() -> None:
    running = 0
    peak = 0

    async def step(value: int) -> int:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0.01)
        running -= 1
        return value

    outputs = run(Parallel([step] * 6, max_concurrency=2), 7)
    assert outputs == [7] * 6
    assert peak == 2


def test_parallel_runs_unbounded_steps_concurrently() -> None:
    started = asyncio.Event

    async def main() -> list[str]:
        both = started()
        seen: list[str] = []

        async def waiter(_: Any) -> str:
            await asyncio.wait_for(both.wait(), 1)
            return "waited"

        async def setter(_: Any) -> str:
            seen.append("set")
            both.set()
            return "set"

        return await Parallel([waiter, setter])(None)

    assert asyncio.run(main()) == ["waited", "set"]


def test_parallel_cancels_the_rest_when_one_fails() -> None:
    cancelled: list[bool] = []

    async def slow(_: Any) -> None:
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            cancelled.append(True)
            raise

    async def boom(_: Any) -> None:
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        run(Parallel([slow, boom]), None)
    assert cancelled == [True]


def test_debate_critiques_each_proposal_against_the_others() -> None:
    async def critic(value: int, own: int, others: list[int]) -> list[str]:
        return [f"{own} vs {other}" for other in others]

    async def judge(value: int, proposals: list[int], critiques: list[list[str]]) -> Any:
        return proposals, critiques

    proposals, critiques = run(Debate([add(1), add(2), add(3)], critic=critic, judge=judge), 0)
    assert proposals == [1, 2, 3]
    assert critiques == [["1 vs 2", "1 vs 3"], ["2 vs 1", "2 vs 3"], ["3 vs 1", "3 vs 2"]]


def test_debate_rounds_let_participants_revise() -> None:
    async def critic(value: int, own: int, others: list[int]) -> int:
        return max(others)

    async def revise(value: int, own: int, critiques: list[int]) -> int:
        return max(own, *critiques)  # converge on the best proposal

    async def judge(value: int, proposals: list[int], critiques: list[int]) -> list[int]:
        return proposals

    debate = Debate([add(1), add(5), add(3)], critic=critic, judge=judge, rounds=2, revise=revise)
    assert run(debate, 0) == [5, 5, 5]


def test_teaching_skips_the_teacher_when_the_draft_is_accepted() -> None:
    taught: list[str] = []

    async def student(value: str) -> str:
        return value.upper()

    async def teacher(value: str, draft: str) -> str:
        taught.append(draft)
        return draft + "!"

    assert run(Teaching(student, teacher, accept=lambda d: d.startswith("OK")), "ok") == Lesson(
        "OK", "OK", False
    )
    assert taught == []
    assert run(Teaching(student, teacher, accept=lambda d: d.startswith("OK")), "no") == Lesson(
        "NO", "NO!", True
    )
    assert taught == ["NO"]


def test_refinement_stops_at_the_quality_bar() -> None:
    async def step(value: int, previous: int | None) -> int:
        return value if previous is None else previous * 2

    refined = run(Refinement(step, score=lambda out: out, threshold=10, max_rounds=10), 3)
    assert (refined.output, refined.rounds, refined.reached, refined.scores) == (
        12,
        3,
        True,
        (3.0, 6.0, 12.0),
    )


def test_refinement_stops_at_max_rounds() -> None:
    async def step(value: int, previous: int | None) -> int:
        return (previous or 0) + 1

    async def score(out: int) -> float:
        return out / 100

    refined = run(Refinement(step, score=score, threshold=1.0, max_rounds=4), None)
    assert (refined.output, refined.rounds, refined.reached) == (4, 4, False)


def test_adaptive_chooses_from_the_input() -> None:
    candidates = {"double": add(0), "tests": add(1), "docs": add(2)}

    def reject(value: dict[str, Any], name: str) -> str | None:
        return None if name in value["has"] else f"no {name}"

    adaptive = Adaptive(candidates, reject=reject)
    value = {"has": {"tests", "docs"}}
    selection = asyncio.run(adaptive.select(value))
    assert selection.chosen == ("tests", "docs")
    assert selection.skipped == {"double": "no double"}

    adaptive = Adaptive(
        {"a": add(1), "b": add(2)}, reject=lambda v, n: None, combine=lambda s: Sequential(s, chain=True)
    )
    assert run(adaptive, 0) == 3


def test_patterns_nest() -> None:
    inner = Parallel([add(1), add(2)])

    async def total(value: int) -> int:
        return sum(await inner(value))

    assert run(Sequential([total, add(100)], chain=True), 10) == 123


def test_the_six_builtin_patterns_are_registered(empathy: Any) -> None:
    registry = patterns(empathy)
    assert list(registry) == ["sequential", "parallel", "debate", "teaching", "refinement", "adaptive"]
    assert all(issubclass(cls, Pattern) for cls in registry.values())


class Race(Pattern):
    """First step to finish wins."""

    name = "race"
    description = "first step to finish wins"

    def __init__(self, steps: list[Any]) -> None:
        self.steps = steps

    async def __call__(self, value: Any) -> Any:
        tasks = [asyncio.ensure_future(s(value)) for s in self.steps]
        done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()
        return done.pop().result()


class PatternPlugin:
    def __init__(self, cls: type) -> None:
        self.cls = cls

    @hookimpl
    def empathy_register_patterns(self, register: Any) -> None:
        register(self.cls)


def test_a_third_party_pattern_is_registered_and_composes(make_empathy: Any) -> None:
    registry = patterns(make_empathy(PatternPlugin(Race), orchestrate_plugin))
    assert registry["race"] is Race

    async def slow(value: int) -> int:
        await asyncio.sleep(1)
        return -1

    assert run(registry["race"]([slow, add(1)]), 1) == 2


def test_a_duplicate_pattern_name_is_an_error(make_empathy: Any) -> None:
    class Clash(Race):
        name = "parallel"

    empathy = make_empathy(orchestrate_plugin, PatternPlugin(Clash), strict=True)
    with pytest.raises(DuplicateNameError, match="pattern 'parallel' is registered by both"):
        patterns(empathy)
