"""Dispatch: the handler configured per level, through the engine (priced, in telemetry)."""

from __future__ import annotations

import asyncio

import pytest

from empathy_core import (
    EmpathyConfig,
    EmpathyError,
    EmpathyResponse,
    PluginsConfig,
    UnknownNameError,
    hookimpl,
)
from empathy_os import EmpathyOS


class CautiousPlugin:
    """A third party's level-4 handler, registered beside ours."""

    __name__ = "cautious"

    @hookimpl
    def empathy_register_level_handlers(self, register):
        async def cautious(os, user_input, context):
            reply = await os.complete(f"Only risks, please: {user_input}", tier="cheap")
            return EmpathyResponse(response=reply.text, level=4, confidence=1.0, predictions=["It will rain"])

        def broken(os, user_input, context):
            return {"response": "not a record"}

        register(4, "cautious", cautious)
        register(3, "broken", broken)


def _runtime(runtime_with, usage_records, handlers):
    settings = {"empathy-os": {"handlers": handlers}}
    runtime = runtime_with(EmpathyConfig(provider="mock", plugins=PluginsConfig(settings=settings)))
    runtime.add_plugin(CautiousPlugin(), "cautious")
    return runtime


def test_a_level_handler_is_replaced_by_a_plugin_through_config(runtime_with, usage_records):
    runtime = _runtime(runtime_with, usage_records, {4: "cautious"})
    os = EmpathyOS("u", target_level=5, empathy=runtime)
    assert os.level_4_anticipatory("Deploying on Friday").predictions == ["It will rain"]
    assert os.level_4_anticipatory("Deploying on Friday").handler == "cautious"
    assert os.level_5_systems("Deploying on Friday").handler == "default"  # other levels keep ours
    runtime.flush()
    assert [(r.workflow, r.stage, r.tier) for r in usage_records][:1] == [
        ("empathy-os", "anticipatory", "cheap")
    ]


def test_yaml_keys_of_the_handler_map_may_be_strings(runtime_with, usage_records):
    runtime = _runtime(runtime_with, usage_records, {"4": "cautious"})
    assert EmpathyOS("u", empathy=runtime).run_level(4, "x").handler == "cautious"


def test_an_unknown_handler_name_lists_the_installed_ones(runtime_with, usage_records):
    runtime = _runtime(runtime_with, usage_records, {2: "missing"})
    os = EmpathyOS("u", empathy=runtime)
    with pytest.raises(
        UnknownNameError, match=r"no level 2 \(guided\) handler named 'missing' \('default'\)"
    ):
        os.level_2_guided("help")
    assert os.state.interactions == []


def test_a_handler_returning_something_else_fails_the_interaction_naming_it(runtime_with, usage_records):
    runtime = _runtime(runtime_with, usage_records, {3: "broken"})
    os = EmpathyOS("u", empathy=runtime)
    with pytest.raises(EmpathyError, match="level 3 handler 'broken' returned dict, not an EmpathyResponse"):
        os.level_3_proactive("x")
    assert os.state.interactions == []


def test_every_llm_call_is_a_priced_usage_record_of_its_level(usage_records, make_os, runtime):
    os = make_os("telemetry-user", target_level=5)
    for level in range(1, 6):
        os.run_level(level, "How should I roll out the new billing service?")
    runtime.flush()
    assert [(r.workflow, r.stage) for r in usage_records] == [
        ("empathy-os", "reactive"),
        ("empathy-os", "guided"),
        ("empathy-os", "proactive"),
        ("empathy-os", "anticipatory"),
        ("empathy-os", "systems"),
    ]
    assert [r.tier for r in usage_records] == ["cheap", "cheap", "capable", "capable", "capable"]
    assert all(r.success and r.cost == 0.0 and r.model.startswith("mock-") for r in usage_records)
    assert len({r.user_id for r in usage_records}) == 1
    assert usage_records[0].user_id != "telemetry-user"  # hashed by default


def test_the_async_twin_works_inside_an_event_loop(make_os):
    os = make_os()

    async def main():
        with pytest.raises(RuntimeError, match="await ainteract"):
            os.interact("user_123", "sync inside a loop")
        return await os.ainteract("user_123", "What is a race condition?")

    response = asyncio.run(main())
    assert response.level == 1 and response.response.startswith("mock reply")
    assert [t.user_input for t in os.state.interactions] == ["What is a race condition?"]


def test_a_provider_failure_is_one_error_and_no_history(runtime_with):
    settings = {"empathy-testing": {"fail_on": ["EXPLODE"]}}
    runtime = runtime_with(EmpathyConfig(provider="mock", plugins=PluginsConfig(settings=settings)))
    os = EmpathyOS("u", empathy=runtime)
    with pytest.raises(
        EmpathyError, match=r"EmpathyOS level 1 \(reactive\): .*scripted failure on 'EXPLODE'"
    ):
        os.interact("u", "EXPLODE now")
    assert os.state.interactions == []


def test_complete_outside_a_handler_is_refused(make_os):
    with pytest.raises(RuntimeError, match="for level handlers"):
        asyncio.run(make_os().complete("hello"))


def test_async_with_gives_the_empathy_os(make_os):
    async def main():
        async with make_os("ctx-user") as os:
            return (await os.arun_level(2, "How do I tune PostgreSQL autovacuum?")).level

    assert asyncio.run(main()) == 2
