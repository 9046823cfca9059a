"""The fallback chain: after the provider's retries, the next model of the chain answers;
every attempt is a usage record and the stage result names the model that answered."""

from __future__ import annotations

import asyncio

HAIKU, SONNET = "claude-haiku-4-5", "claude-sonnet-4-6"
FALLBACKS = f"""
    provider: anthropic
    plugins:
      settings:
        empathy-anthropic: {{max_retries: 1}}
        empathy-routing:
          fallbacks:
            {HAIKU}: [{SONNET}]
"""


def run(runtime, workflow):
    result = asyncio.run(workflow(empathy=runtime).execute({"topic": "fallbacks"}))
    runtime.flush()
    return result


def test_the_next_model_answers_when_the_first_fails_after_its_retries(
    configure, fake_anthropic, models_sent, one_call, usage_records
):
    runtime = configure(FALLBACKS)
    fake_anthropic.fail_next(529, times=2)  # the first attempt and its one retry
    result = run(runtime, one_call)
    assert result.succeeded, result.error
    assert result.stages[0].model == SONNET
    assert models_sent() == [HAIKU, HAIKU, SONNET]
    assert [(r.model, r.success) for r in usage_records] == [(HAIKU, False), (HAIKU, False), (SONNET, True)]
    assert result.cost == usage_records[-1].cost > 0


def test_a_request_no_model_would_accept_does_not_fall_back(configure, fake_anthropic, models_sent, one_call):
    runtime = configure(FALLBACKS)
    fake_anthropic.fail_next(401)
    result = run(runtime, one_call)
    assert result.status == "failed"
    assert models_sent() == [HAIKU]


def test_when_every_model_fails_the_error_names_each(configure, fake_anthropic, models_sent, one_call):
    runtime = configure(FALLBACKS)
    fake_anthropic.fail_always(500)
    result = run(runtime, one_call)
    assert result.status == "failed"
    assert "every model of the fallback chain failed" in result.error
    assert HAIKU in result.error and SONNET in result.error
    assert models_sent() == [HAIKU, HAIKU, SONNET, SONNET]


def test_an_unknown_fallback_model_fails_the_call_naming_the_key(
    configure, fake_anthropic, models_sent, one_call
):
    runtime = configure(FALLBACKS.replace(f"[{SONNET}]", "[claude-nonesuch]"))
    result = run(runtime, one_call)
    assert result.status == "failed"
    assert (
        f"plugins.settings.empathy-routing.fallbacks.{HAIKU}[0]: unknown model 'claude-nonesuch'"
        in result.error
    )
    assert models_sent() == []
