"""``empathy os`` and ``empathy patterns`` in a subprocess, on the mock provider and SQLite."""

from __future__ import annotations

import json

import pytest


@pytest.fixture
def cli(empathy_cli, tmp_path):
    (tmp_path / "empathy.config.yml").write_text("provider: mock\n")
    return empathy_cli


def test_interact_answers_at_the_earned_level_and_keeps_trust_between_commands(cli):
    out = json.loads(cli("os", "interact", "--user", "dev", "How do I fix this bug?", "--json").ok())
    assert (out["level"], out["handler"], out["trust"]) == (1, "default", 0.0)
    assert out["response"].startswith("mock reply")
    for _ in range(8):
        cli("os", "trust", "--user", "dev", "--record", "success").ok()
    assert (
        "dev: trust 40%, level 3 (proactive), 8 successes, 0 failures, 1 interactions"
        in cli("os", "trust", "--user", "dev").ok()
    )
    out = json.loads(cli("os", "interact", "--user", "dev", "And the next one?", "--json").ok())
    assert out["level"] == 3
    assert json.loads(cli("os", "trust", "--user", "dev", "--json").ok())["interactions"] == 2


def test_interact_at_a_chosen_level_prints_predictions(cli):
    context = json.dumps({"environment": "production", "time": "friday_afternoon"})
    out = cli(
        "os", "interact", "--user", "dev", "I'm deploying to production", "--level", "4", "--context", context
    )
    text = out.ok()
    assert "[level 4 anticipatory, handler default" in text
    assert "Predictions:\n  - A production deploy on a Friday afternoon" in text


def test_state_save_and_load_round_trip_and_refusals(cli, tmp_path):
    for _ in range(3):
        cli("os", "trust", "--user", "dev", "--record", "success").ok()
    saved = tmp_path / "dev-state.json"
    assert "saved dev (trust 15%)" in cli("os", "state", "save", "--user", "dev", str(saved)).ok()
    cli("os", "trust", "--user", "dev", "--record", "failure").ok()
    assert "loaded dev (trust 15%)" in cli("os", "state", "load", "--user", "dev", str(saved)).ok()
    corrupt = tmp_path / "corrupt.json"
    corrupt.write_text('{"format": "empathy-os-state", "version": 99}')
    line = cli("os", "state", "load", "--user", "dev", str(corrupt)).error_line(2)
    assert line == (
        f"Error: state file {corrupt}: version 99 is newer than this empathy-os reads (up to 1); "
        "upgrade empathy-os"
    )
    assert "trust 15%" in cli("os", "trust", "--user", "dev").ok()
    line = cli("os", "state", "load", "--user", "eve", str(saved)).error_line(2)
    assert "holds the state of user 'dev', not 'eve'" in line


@pytest.mark.parametrize("user", ["../evil", "a/b", "x" * 65, ""])
def test_bad_user_ids_are_usage_errors(cli, empathy_cache_dir, user):
    line = cli("os", "trust", "--user", user).error_line(2)
    assert "--user" in line and "invalid" in line
    assert not (empathy_cache_dir / "empathy-os").exists()


def test_bad_context_and_level_are_usage_errors(cli):
    assert "--context: not JSON" in cli("os", "interact", "--user", "u", "x", "--context", "{x").error_line(2)
    assert "must be a JSON object" in cli(
        "os", "interact", "--user", "u", "x", "--context", "[1]"
    ).error_line(2)
    assert "--level" in cli("os", "interact", "--user", "u", "x", "--level", "6").error_line(2)


def test_patterns_contribute_list_show_validate_delete_with_tiers(cli):
    pattern_id = (
        cli(
            "patterns",
            "contribute",
            "Index the columns slow queries filter on",
            "--type",
            "technique",
            "--context",
            '{"domain": "database"}',
            "--confidence",
            "0.7",
            "--agent",
            "ann",
        )
        .ok()
        .strip()
    )
    assert pattern_id in cli("patterns", "list").ok()
    listed = json.loads(cli("patterns", "list", "--query", "slow database", "--json").ok())
    assert [p["pattern_id"] for p in listed] == [pattern_id]
    shown = json.loads(cli("patterns", "show", pattern_id, "--json").ok())
    assert (shown["contributed_by"], shown["validated"]) == ("ann", False)

    line = cli("patterns", "validate", pattern_id).error_line(1)
    assert line.startswith("Error: permission denied: access tier contributor may not validate patterns")
    assert (
        "validated"
        in cli("patterns", "validate", pattern_id, "--tier", "validator", "--confidence", "0.9").ok()
    )
    assert json.loads(cli("patterns", "show", pattern_id, "--json").ok())["confidence"] == 0.9

    line = cli("patterns", "delete", pattern_id, "--tier", "validator").error_line(1)
    assert (
        "access tier validator may not delete patterns in library 'shared' (needs steward or higher)" in line
    )
    assert pattern_id in cli("patterns", "list").ok()
    assert f"deleted {pattern_id}" in cli("patterns", "delete", pattern_id, "--tier", "steward").ok()
    assert "no patterns in library 'shared'" in cli("patterns", "list").ok()
    assert f"no pattern '{pattern_id}'" in cli("patterns", "show", pattern_id).error_line(2)


def test_observers_cannot_contribute(cli):
    line = cli("patterns", "contribute", "Nope", "--tier", "observer").error_line(1)
    assert "access tier observer may not contribute patterns" in line
    assert "no patterns" in cli("patterns", "list").ok()
