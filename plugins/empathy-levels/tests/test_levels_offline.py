"""Each level's visible behaviour on the mock provider (offline: replies carry no meaning,
so what shows is what the handlers work out themselves)."""

from __future__ import annotations

import pytest

FRIDAY = {"environment": "production", "time": "friday_afternoon"}


@pytest.fixture(autouse=True)
def _mock(runtime):
    return runtime


def test_level_1_only_answers(make_os):
    response = make_os().level_1_reactive("How do I optimize database queries?", {"domain": "software"})
    assert response.response.startswith("mock reply")
    assert (response.level, response.level_name, response.handler) == (1, "reactive", "default")
    assert response.questions == response.suggestions == response.predictions == []


def test_level_2_asks_clarifying_questions_when_ambiguous(make_os):
    response = make_os().level_2_guided("I need help with it", context={}, history=[])
    assert response.metadata["ambiguous"] is True
    assert [r.split(":")[0] for r in response.metadata["ambiguity"]] == ["reference", "subject", "setting"]
    assert response.questions[0].startswith("What exactly does your request refer to")
    assert len(response.questions) == 3 and all(q.endswith("?") for q in response.questions)


def test_level_2_does_not_ask_when_the_request_is_specific(make_os):
    response = make_os().level_2_guided(
        "How do I configure connection pooling in SQLAlchemy 2.0 for PostgreSQL?", {"task": "setup"}
    )
    assert response.metadata["ambiguous"] is False and response.questions == []


def test_level_2_resolves_a_vague_reference_from_the_history(make_os):
    history = [
        {"user_input": "The login endpoint returns 500 after the upgrade", "response": "Check the logs"}
    ]
    response = make_os().level_2_guided("Can you fix it?", {"task": "debugging"}, history=history)
    assert response.metadata == {"ambiguous": False, "ambiguity": [], "history_turns": 1}
    assert response.questions == []


def test_level_3_suggests_from_recalled_patterns_and_session_memory(make_os, shared):
    pattern = shared().contribute_pattern(
        "Add an index on the columns slow queries filter on", "technique", {"domain": "database"}, 0.8
    )
    os = make_os()
    os.stash("current_task", {"status": "debugging slow queries"})
    os.stash("unrelated", "lunch at noon")
    response = os.level_3_proactive("My database queries are slow", {"task": "debugging"})
    assert response.suggestions[0] == (
        f"From pattern {pattern.pattern_id} (technique, unvalidated): "
        "Add an index on the columns slow queries filter on"
    )
    assert response.suggestions[1].startswith("You noted current_task = ")
    assert response.metadata == {"patterns": [pattern.pattern_id], "memory_keys": ["current_task"]}
    assert response.confidence == 0.8


def test_level_4_predicts_the_friday_afternoon_production_deploy(make_os):
    os = make_os(confidence_threshold=0.75)
    response = os.level_4_anticipatory("I'm deploying to production", FRIDAY)
    assert response.predictions[0].startswith("A production deploy on a Friday afternoon")
    assert response.confidence == 0.9
    assert [d["source"] for d in response.metadata["prediction_details"]] == [
        "rule:friday-deploy",
        "rule:production-change",
    ]


def test_level_4_withholds_predictions_below_the_confidence_threshold(make_os):
    os = make_os(confidence_threshold=0.85)
    response = os.level_4_anticipatory("I'm deploying to production", FRIDAY)
    assert len(response.predictions) == 1 and "Friday" in response.predictions[0]
    assert [w["source"] for w in response.metadata["withheld"]] == ["rule:production-change"]
    cautious = make_os(confidence_threshold=0.95).level_4_anticipatory("I'm deploying to production", FRIDAY)
    assert cautious.predictions == [] and len(cautious.metadata["withheld"]) == 2


def test_level_4_predicts_from_the_trajectory(make_os):
    os = make_os(confidence_threshold=0.75)
    os.level_1_reactive("The schema migration of the orders table failed")
    os.level_1_reactive("Why does the migration lock the table?")
    os.record_failure()
    response = os.level_4_anticipatory("Can the migration run online?")
    sources = [d["source"] for d in response.metadata["prediction_details"]]
    assert sources == ["trajectory:recurring", "rule:schema-migration"]
    assert "'migration' has come up in 3 of your recent requests" in response.predictions[0]


def test_level_5_contributes_to_the_shared_library_and_proposes_workflow_changes(make_os, shared):
    os = make_os()
    response = os.level_5_systems("I'm deploying to production", FRIDAY)
    assert (
        "Add a deploy-freeze check to the release workflow for Friday afternoons"
        in (response.metadata["workflow_changes"])
    )
    assert response.predictions and response.level == 5
    pattern_id = response.metadata["contributed"]
    learned = shared().require(pattern_id)
    assert (learned.pattern_type, learned.contributed_by, learned.context["topic"]) == (
        "learned",
        "dev",
        "deploying",
    )
    again = os.level_5_systems("I'm deploying to production", FRIDAY)
    assert again.metadata["contributed"] == pattern_id and again.metadata["already_known"] is True
    assert len(shared().list_patterns()) == 1


def test_level_5_proposes_a_review_step_when_failures_reinforce(make_os):
    os = make_os()
    for _ in range(3):
        os.record_failure()
    changes = os.level_5_systems("Another flaky test in CI").metadata["workflow_changes"]
    assert changes[0].startswith("Add a review step before answers are acted on: 3 failures in a row")


def test_level_5_does_not_contribute_as_an_observer(make_os, shared):
    response = make_os(access_tier="observer").level_5_systems("I'm deploying to production", FRIDAY)
    assert response.metadata["contributed"] is None
    assert response.metadata["not_contributed"] == "access tier observer may not contribute"
    assert shared().list_patterns() == []


def test_level_2_uses_the_state_history_of_earlier_interactions(make_os):
    os = make_os()
    assert make_os("other").level_2_guided("Can you fix it?").metadata["ambiguous"] is True
    os.level_1_reactive("The login endpoint returns 500 after the upgrade")
    response = os.level_2_guided("Can you fix it?")
    assert response.metadata["history_turns"] == 1 and response.questions == []
