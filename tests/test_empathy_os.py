"""The EmpathyOS contracts of the core: levels from trust, the response record, and a level
handler registered by a plain plugin and dispatched by EmpathyOS (empathy-os)."""

from __future__ import annotations

import math

import pytest

from empathy_core import (
    LEVEL_NAMES,
    EmpathyConfig,
    EmpathyResponse,
    PluginsConfig,
    check_fraction,
    check_level,
    hookimpl,
    level_for_trust,
)

BOUNDARIES = [(0.0, 1), (0.2, 2), (0.4, 3), (0.6, 4), (0.8, 5)]


@pytest.mark.parametrize(("trust", "level"), BOUNDARIES)
def test_each_band_starts_at_its_boundary(trust, level):
    assert level_for_trust(trust) == level
    if trust > 0:
        assert level_for_trust(math.nextafter(trust, 0) - 1e-6) == level - 1


def test_float_noise_at_a_boundary_does_not_drop_a_level():
    assert level_for_trust(sum([0.05] * 10), 5) == 3  # 0.5000000000000001
    assert level_for_trust(0.1 * 3 - 0.1, 5) == 2  # 0.20000000000000004
    assert level_for_trust(0.6 - 1e-12, 5) == 4  # within the tolerance


@pytest.mark.parametrize("target", range(1, 6))
def test_the_target_caps_the_level(target):
    assert level_for_trust(1.0, target) == target
    assert level_for_trust(0.0, target) == 1


@pytest.mark.parametrize("bad", [-0.01, 1.01, math.nan, "0.5", None])
def test_trust_outside_zero_to_one_is_refused(bad):
    with pytest.raises(ValueError, match="trust must be"):
        level_for_trust(bad)


@pytest.mark.parametrize("bad", [0, 6, 2.0, "3", True])
def test_levels_are_whole_numbers_one_to_five(bad):
    with pytest.raises(ValueError, match=r"level must be a whole number from 1 to 5, got"):
        check_level(bad)
    with pytest.raises(ValueError, match="target_level"):
        level_for_trust(0.5, bad)


def test_fractions():
    assert check_fraction(1, "x") == 1.0
    with pytest.raises(ValueError, match="x must be from 0 to 1, got 2"):
        check_fraction(2, "x")


def test_the_response_record_checks_level_and_confidence():
    response = EmpathyResponse("ok", level=4, confidence=0.9, predictions=["p"])
    assert (response.level_name, response.predictions, response.questions) == ("anticipatory", ["p"], [])
    with pytest.raises(ValueError, match="level must be a whole number"):
        EmpathyResponse("x", level=0)
    with pytest.raises(ValueError, match="confidence must be from 0 to 1"):
        EmpathyResponse("x", level=1, confidence=1.5)
    assert LEVEL_NAMES == {1: "reactive", 2: "guided", 3: "proactive", 4: "anticipatory", 5: "systems"}


class EchoLevels:
    """A third-party plugin: a synchronous handler for every level, named ``echo``."""

    __name__ = "echo-levels"

    @hookimpl
    def empathy_register_level_handlers(self, register):
        for level in LEVEL_NAMES:
            register(
                level, "echo", lambda os, text, context, _l=level: EmpathyResponse(f"{_l}:{text}", level=_l)
            )


def test_a_plain_plugin_serves_every_level_chosen_by_config(empathy):
    empathy_os = pytest.importorskip("empathy_os", reason="the empathy-os plugin dispatches level handlers")
    import empathy_os.plugin as os_plugin

    settings = {"empathy-os": {"handlers": {str(level): "echo" for level in LEVEL_NAMES}}}
    empathy.config = EmpathyConfig(provider="mock", plugins=PluginsConfig(settings=settings))
    empathy.plugins.append(EchoLevels())
    runtime = empathy.add(os_plugin, name="os", dist="empathy-os")
    assert {key for key in runtime.level_handlers() if key[1] == "echo"} == {(n, "echo") for n in LEVEL_NAMES}
    os = empathy_os.EmpathyOS("u", target_level=5, empathy=runtime)
    assert [os.run_level(n, "hi").response for n in LEVEL_NAMES] == ["1:hi", "2:hi", "3:hi", "4:hi", "5:hi"]
    assert {t.handler for t in os.state.interactions} == {"echo"}
