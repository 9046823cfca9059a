"""monitor_feedback_loops finds reinforcing and balancing loops and says which."""

from __future__ import annotations

import pytest

from empathy_os import monitor_feedback_loops


def test_rising_trust_with_successes_is_a_reinforcing_virtuous_loop(make_os):
    os = make_os()
    for _ in range(5):
        os.record_success()
    report = os.monitor_feedback_loops()
    assert [(lp.kind, lp.name) for lp in report.loops] == [("reinforcing", "virtuous")]
    assert report.dominant == "reinforcing"
    assert report.loops[0].trust_change == pytest.approx(0.25)


def test_repeated_failures_eroding_trust_is_a_reinforcing_vicious_loop(make_os):
    os = make_os()
    for _ in range(6):
        os.record_success()
    for _ in range(3):
        os.record_failure()
    report = os.monitor_feedback_loops()
    names = [(lp.kind, lp.name) for lp in report.loops]
    assert ("reinforcing", "virtuous") in names and ("reinforcing", "vicious") in names
    assert ("balancing", "correction") in names  # the first failure pulled trust back
    vicious = next(lp for lp in report.loops if lp.name == "vicious")
    assert (vicious.start, vicious.end) == (6, 8)
    assert vicious.trust_change == pytest.approx(-0.3)
    assert "3 failures in a row erode trust" in vicious.description


def test_recovery_after_failures_is_balancing():
    history = [{"outcome": "failure"}, {"outcome": "failure"}, {"outcome": "success"}, {"success": True}]
    report = monitor_feedback_loops(history)
    assert [(lp.kind, lp.name) for lp in report.loops] == [
        ("reinforcing", "vicious"),
        ("balancing", "correction"),
    ]
    assert "rebuilding trust" in report.balancing[0].description


def test_trust_pinned_at_its_ceiling_is_balancing_saturation(make_os):
    os = make_os(trust_building_rate=0.5)
    for _ in range(4):
        os.record_success()
    report = os.monitor_feedback_loops()
    saturation = [lp for lp in report.balancing if lp.name == "saturation"]
    assert len(saturation) == 1 and "ceiling" in saturation[0].description


def test_alternating_outcomes_and_empty_history_show_no_loop():
    assert monitor_feedback_loops([]).loops == []
    report = monitor_feedback_loops([{"success": s} for s in (True, False, True, False)])
    assert report.loops == [] and report.dominant is None and report.outcomes == 4


def test_entries_without_an_outcome_are_refused_naming_the_index():
    with pytest.raises(ValueError, match=r"session_history\[1\] has no outcome"):
        monitor_feedback_loops([{"outcome": "success"}, {"trust": 0.5}])
