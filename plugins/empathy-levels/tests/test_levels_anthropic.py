"""Each level against the fake Anthropic server through the real SDK: what the model is
sent (level prompt, history, patterns, memory), what is read back from its reply, and that
every call is priced in telemetry."""

from __future__ import annotations

import json

import pytest

from empathy_core import EmpathyError, default_table

FRIDAY = {"environment": "production", "time": "friday_afternoon"}
REPLIES = {
    "Level 1 (reactive)": "Use EXPLAIN ANALYZE to find the slow step.",
    "Level 2 (guided)": "I can help.\nWhich service is failing?\n- Is it in production or staging?",
    "Level 3 (proactive)": "Add the index.\n- Add a regression test for the slow query\n- Watch p95 latency",
    "Level 4 (anticipatory)": (
        "Deploy with care.\n- [0.9] The cache will be cold after the deploy\n- [0.4] Logs may fill up"
    ),
    "Level 5 (systems)": "Ship it on Monday.\n- Add a canary stage to the release workflow",
}


@pytest.fixture
def server(fake_anthropic, anthropic):
    def respond(params):
        system = json.dumps(params.get("system"))
        return next((reply for marker, reply in REPLIES.items() if marker in system), "unscripted")

    fake_anthropic.engine.responder = respond
    return fake_anthropic


def _sent(server):
    """(system text, messages) of each Messages request the server answered."""
    found = []
    for request in server.received("/v1/messages"):
        system = request.body.get("system")
        text = system if isinstance(system, str) else " ".join(block["text"] for block in system or [])
        found.append((text, request.body["messages"]))
    return found


def _text(message):
    content = message["content"]
    return content if isinstance(content, str) else " ".join(block.get("text", "") for block in content)


def test_level_1_answers_with_the_model_reply_on_the_cheap_tier(usage_records, server, make_os, empathy):
    response = make_os().level_1_reactive("How do I optimize database queries?", {"domain": "software"})
    assert response.response == REPLIES["Level 1 (reactive)"]
    ((system, messages),) = _sent(server)
    assert "Level 1 (reactive)" in system and len(messages) == 1
    assert '"domain": "software"' in _text(messages[0])
    empathy.flush()
    (record,) = usage_records
    assert (record.workflow, record.stage, record.model) == ("empathy-os", "reactive", "claude-haiku-4-5")
    assert record.cost == pytest.approx(default_table().cost(record.model, record.usage)) and record.cost > 0


def test_level_2_reads_clarifying_questions_and_sends_the_history(server, make_os):
    os = make_os()
    ambiguous = os.level_2_guided("Can you fix it?", history=[])
    assert ambiguous.questions == ["Which service is failing?", "Is it in production or staging?"]
    history = [{"user_input": "The login endpoint returns 500", "response": "Check the auth logs"}]
    resolved = os.level_2_guided("Can you fix it?", {"task": "debugging"}, history=history)
    assert resolved.questions == [] and resolved.metadata["history_turns"] == 1
    (_, first), (_, second) = _sent(server)
    assert len(first) == 1 and "looks ambiguous" in _text(first[0])
    assert [m["role"] for m in second] == ["user", "assistant", "user"]
    assert _text(second[0]) == "The login endpoint returns 500" and _text(second[1]) == "Check the auth logs"


def test_level_3_sends_patterns_and_memory_and_reads_suggestions(server, make_os, shared):
    pattern = shared().contribute_pattern("Index the columns slow queries filter on", "technique", None, 0.7)
    os = make_os()
    os.stash("current_task", {"query": "slow orders report"})
    response = os.level_3_proactive("The orders report query is slow")
    ((_, messages),) = _sent(server)
    prompt = _text(messages[-1])
    assert "Known patterns:\n- Index the columns slow queries filter on" in prompt
    assert 'Session notes:\n- current_task: {"query": "slow orders report"}' in prompt
    assert response.suggestions == [
        f"From pattern {pattern.pattern_id} (technique, unvalidated): "
        "Index the columns slow queries filter on",
        'You noted current_task = {"query": "slow orders report"}: pick up from there',
        "Add a regression test for the slow query",
        "Watch p95 latency",
    ]


def test_level_4_keeps_model_predictions_above_the_threshold(server, make_os):
    response = make_os(confidence_threshold=0.75).level_4_anticipatory("I'm deploying to production", FRIDAY)
    assert response.predictions[0].startswith("A production deploy on a Friday afternoon")
    assert "The cache will be cold after the deploy" in response.predictions
    assert [w["text"] for w in response.metadata["withheld"]] == ["Logs may fill up"]
    assert response.suggestions == []  # level 4's bullets are predictions, not suggestions
    ((system, _),) = _sent(server)
    assert "Level 4 (anticipatory)" in system


def test_level_5_contributes_and_proposes_the_models_workflow_changes(
    usage_records, server, make_os, shared, empathy
):
    response = make_os().level_5_systems("I'm deploying to production", FRIDAY)
    changes = response.metadata["workflow_changes"]
    assert "Add a deploy-freeze check to the release workflow for Friday afternoons" in changes
    assert "Add a canary stage to the release workflow" in changes
    assert shared().require(response.metadata["contributed"]).contributed_by == "dev"
    empathy.flush()
    (record,) = usage_records
    assert (record.stage, record.model) == ("systems", "claude-sonnet-4-6") and record.cost > 0


def test_a_server_error_fails_the_interaction_and_keeps_no_history(server, make_os):
    server.fail_always(500)
    os = make_os()
    with pytest.raises(EmpathyError, match=r"EmpathyOS level 1 \(reactive\): stage .reactive. failed: .*500"):
        os.level_1_reactive("hello")
    assert os.state.interactions == []
