"""Trust arithmetic, clamping and the level it earns, capped by target_level."""

from __future__ import annotations

import pytest

from empathy_core import LEVEL_NAMES, EmpathyConfig, PluginsConfig, level_for_trust
from empathy_os import EmpathyOS


def test_trust_starts_at_zero_and_level_one(make_os):
    os = make_os(target_level=5)
    assert os.get_trust_level() == 0.0
    assert os.get_current_level() == 1


def test_success_builds_and_failure_erodes_by_the_rates(make_os):
    os = make_os(trust_building_rate=0.05, trust_erosion_rate=0.10)
    os.record_success()
    os.record_success(success=True)
    assert os.get_trust_level() == pytest.approx(0.10)
    os.record_failure()
    assert os.get_trust_level() == pytest.approx(0.0)
    os.record_success(success=False)  # the seeds' spelling of a failure
    assert os.get_trust_level() == 0.0
    assert (os.state.successes, os.state.failures) == (2, 2)


def test_trust_is_clamped_to_zero_and_one(make_os):
    os = make_os(trust_building_rate=0.3, trust_erosion_rate=0.7)
    for _ in range(5):
        os.record_success()
    assert os.get_trust_level() == 1.0
    assert os.state.trust_history[-1].delta == 0.0  # the last success could add nothing
    os.record_failure()
    os.record_failure()
    assert os.get_trust_level() == 0.0
    assert os.state.trust_history[-1].delta == pytest.approx(-0.3)


def test_ten_successes_reach_level_three_at_half_trust_with_target_four(make_os):
    os = make_os(target_level=4)
    for _ in range(10):
        os.record_success(success=True)
    assert f"{os.get_trust_level():.0%}" == "50%"
    assert os.get_current_level() == 3


@pytest.mark.parametrize(
    ("successes", "level"),
    [(0, 1), (3, 1), (4, 2), (7, 2), (8, 3), (11, 3), (12, 4), (15, 4), (16, 5), (20, 5), (30, 5)],
)
def test_every_level_boundary_by_successes(make_os, successes, level):
    os = make_os(target_level=5)
    for _ in range(successes):
        os.record_success()
    assert os.get_current_level() == level, os.get_trust_level()


@pytest.mark.parametrize(
    ("trust", "level"),
    [
        (0.0, 1),
        (0.199, 1),
        (0.2, 2),
        (0.399, 2),
        (0.4, 3),
        (0.599, 3),
        (0.6, 4),
        (0.799, 4),
        (0.8, 5),
        (1.0, 5),
    ],
)
def test_every_level_boundary_by_trust(trust, level):
    assert level_for_trust(trust, 5) == level


@pytest.mark.parametrize("target", [1, 2, 3, 4, 5])
def test_level_never_exceeds_the_target(make_os, target):
    os = make_os(target_level=target)
    for _ in range(20):
        os.record_success()
    assert os.get_trust_level() == 1.0
    assert os.get_current_level() == target


def test_interactions_run_at_the_level_trust_earned(make_os):
    os = make_os(target_level=4)
    levels = []
    for _ in range(14):
        levels.append(os.interact("user_123", "How do I profile this service?").level)
        os.record_success()
    assert levels[0] == 1 and levels[4] == 2 and levels[8] == 3 and levels[12] == 4
    assert [t.outcome for t in os.state.interactions] == ["success"] * 14
    assert {LEVEL_NAMES[t.level] for t in os.state.interactions} == {
        "reactive",
        "guided",
        "proactive",
        "anticipatory",
    }


def test_history_is_bounded_by_the_settings(runtime_with):
    settings = {"empathy-os": {"history_limit": 3}}
    runtime = runtime_with(EmpathyConfig(provider="mock", plugins=PluginsConfig(settings=settings)))
    os = EmpathyOS("u", empathy=runtime)
    for i in range(5):
        os.interact("u", f"question number {i}")
        os.record_success()
    assert [t.user_input for t in os.state.interactions] == [f"question number {i}" for i in (2, 3, 4)]
    assert len(os.state.trust_history) == 3
    assert os.state.successes == 5
