"""Bad user ids, levels, thresholds and rates are refused before any file or key is built."""

from __future__ import annotations

import math

import pytest

from empathy_os import EmpathyOS

BAD_USER_IDS = ["", "../etc", "a/b", "a\\b", "x y", ".hidden", "-dash", "a:b", "a*", "u" * 65, None, 42]


@pytest.mark.parametrize("user_id", BAD_USER_IDS)
def test_bad_user_ids_are_refused_naming_the_value(runtime, empathy_cache_dir, user_id):
    with pytest.raises(ValueError, match="user_id") as caught:
        EmpathyOS(user_id, empathy=runtime)
    if isinstance(user_id, str) and user_id:
        assert repr(user_id)[:20] in str(caught.value)
    assert not any(empathy_cache_dir.iterdir()), "nothing may be created for a refused user id"


def test_a_64_character_user_id_is_accepted(runtime):
    assert EmpathyOS("u" * 64, empathy=runtime).user_id == "u" * 64


@pytest.mark.parametrize("level", [0, 6, -1, "3", 3.0, True, None])
def test_target_level_outside_one_to_five_is_refused(runtime, level):
    with pytest.raises(ValueError, match=r"target_level must be a whole number from 1 to 5, got"):
        EmpathyOS("u", target_level=level, empathy=runtime)


@pytest.mark.parametrize("threshold", [-0.01, 1.01, math.nan, math.inf, "0.5", None, True])
def test_confidence_threshold_outside_zero_to_one_is_refused(runtime, threshold):
    with pytest.raises(ValueError, match="confidence_threshold must be"):
        EmpathyOS("u", confidence_threshold=threshold, empathy=runtime)


@pytest.mark.parametrize("name", ["trust_building_rate", "trust_erosion_rate"])
@pytest.mark.parametrize("rate", [-0.1, 1.5, math.nan])
def test_rates_outside_zero_to_one_are_refused(runtime, name, rate):
    with pytest.raises(ValueError, match=name):
        EmpathyOS("u", empathy=runtime, **{name: rate})


def test_unknown_access_tier_lists_the_tiers(runtime):
    with pytest.raises(ValueError, match="observer, contributor, validator, steward"):
        EmpathyOS("u", access_tier="admin", empathy=runtime)


def test_interact_for_another_user_is_refused(make_os):
    os = make_os("alice")
    with pytest.raises(ValueError, match="serves 'alice'"):
        os.interact("bob", "hello")
    with pytest.raises(ValueError, match=r"invalid user_id '\.\./bob'"):
        os.interact("../bob", "hello")
    assert os.state.interactions == []


@pytest.mark.parametrize("level", [0, 6, "2"])
def test_run_level_refuses_bad_levels(make_os, level):
    with pytest.raises(ValueError, match="level must be a whole number from 1 to 5"):
        make_os().run_level(level, "hello")


def test_context_must_be_json(make_os):
    os = make_os()
    with pytest.raises(ValueError, match="context is not JSON"):
        os.interact("user_123", "hello", {"when": object()})
    with pytest.raises(ValueError, match="context must be a mapping"):
        os.interact("user_123", "hello", ["not", "a", "mapping"])
    with pytest.raises(ValueError, match="user_input must be a string"):
        os.interact("user_123", None)
    assert os.state.interactions == []
