"""The shared PatternLibrary on the memory role (SQLite and Redis): the access-tier matrix,
queries, validation and deletion."""

from __future__ import annotations

import asyncio

import pytest

from empathy_os import AccessTier, PatternLibrary, UnknownPatternError

TIERS = ["observer", "contributor", "validator", "steward"]
ALLOWED = {
    "read": {"observer", "contributor", "validator", "steward"},
    "contribute": {"contributor", "validator", "steward"},
    "validate": {"validator", "steward"},
    "delete": {"steward"},
}


def _library(runtime, tier="steward", agent_id="agent-a", name="shared"):
    return PatternLibrary(name, empathy=runtime, access_tier=tier, agent_id=agent_id)


def _snapshot(runtime, library):
    store = runtime.open_backend("memory")
    return {key: store.get_value(library.namespace, key) for key in store.list_keys(library.namespace)}


ACTIONS = {
    "read": lambda lib, pid: [
        lib.get_pattern(pid),
        lib.list_patterns(),
        lib.query_patterns("index queries", 0),
    ],
    "contribute": lambda lib, pid: lib.contribute_pattern("Cache lookups that repeat", "technique"),
    "validate": lambda lib, pid: lib.validate_pattern(pid, confidence=0.9),
    "delete": lambda lib, pid: lib.delete_pattern(pid),
}


@pytest.mark.parametrize("action", sorted(ALLOWED))
@pytest.mark.parametrize("tier", TIERS)
def test_access_tier_matrix(backend, tier, action):
    seed = _library(backend).contribute_pattern("Index the columns slow queries filter on", "technique")
    library = _library(backend, tier, agent_id="agent-b")
    before = _snapshot(backend, library)
    if tier in ALLOWED[action]:
        ACTIONS[action](library, seed.pattern_id)
        if action != "read":
            assert _snapshot(backend, library) != before
        return
    with pytest.raises(PermissionError) as caught:
        ACTIONS[action](library, seed.pattern_id)
    message = str(caught.value)
    assert f"access tier {tier} may not {action} patterns" in message
    assert "library 'shared'" in message
    assert _snapshot(backend, library) == before, "a denied action must write nothing"


def test_contribute_validate_delete_lifecycle(backend):
    author = _library(backend, "contributor", "author")
    pattern = author.contribute_pattern(
        "Add an index on the columns slow queries filter on",
        pattern_type="technique",
        context={"domain": "database", "task": "query optimisation"},
        confidence=0.6,
    )
    assert pattern.contributed_by == "author" and not pattern.validated
    assert author.get_pattern(pattern.pattern_id) == pattern
    checked = _library(backend, "validator", "reviewer").validate_pattern(pattern.pattern_id, confidence=0.85)
    assert (checked.validated, checked.validated_by, checked.confidence) == (True, "reviewer", 0.85)
    assert author.get_pattern(pattern.pattern_id) == checked
    steward = _library(backend, "steward", "keeper")
    assert steward.delete_pattern(pattern.pattern_id) is True
    assert steward.delete_pattern(pattern.pattern_id) is False
    assert author.get_pattern(pattern.pattern_id) is None
    with pytest.raises(UnknownPatternError, match=f"no pattern '{pattern.pattern_id}' in library 'shared'"):
        steward.validate_pattern(pattern.pattern_id)


def test_query_patterns_ranks_by_relevance_and_confidence(backend):
    library = _library(backend)
    db = library.contribute_pattern(
        "Index columns used by slow database queries", "technique", confidence=0.9
    )
    weak = library.contribute_pattern("Rewrite slow database queries as joins", "technique", confidence=0.3)
    deploy = library.contribute_pattern(
        "Deploy behind a feature flag", "practice", {"env": "production"}, 0.8
    )
    found = library.query_patterns({"task": "slow database queries"}, min_confidence=0.5)
    assert [p.pattern_id for p in found] == [db.pattern_id]
    assert [p.pattern_id for p in library.query_patterns("database queries", 0.0)] == [
        db.pattern_id,
        weak.pattern_id,
    ]
    assert [p.pattern_id for p in library.query_patterns({"env": "production"}, 0.5)] == [deploy.pattern_id]
    assert library.query_patterns("gardening tips", 0.0) == []
    with pytest.raises(ValueError, match="min_confidence must be"):
        library.query_patterns("database", 1.5)


def test_libraries_are_separate_namespaces(runtime):
    _library(runtime, name="team-a").contribute_pattern("Pin dependencies", "practice")
    assert _library(runtime, name="team-b").list_patterns() == []
    assert len(_library(runtime, name="team-a").list_patterns()) == 1


def test_bad_input_is_refused_and_nothing_is_written(runtime):
    library = _library(runtime)
    for call, message in (
        (lambda: library.contribute_pattern(""), "content must be non-empty"),
        (lambda: library.contribute_pattern("x" * 10_001), "at most 10,000"),
        (lambda: library.contribute_pattern("ok", "bad type"), "invalid pattern_type"),
        (lambda: library.contribute_pattern("ok", confidence=2), "confidence must be from 0 to 1"),
        (lambda: library.contribute_pattern("ok", context={"x": object()}), "context is not JSON"),
        (lambda: library.get_pattern("../x"), "invalid pattern_id"),
    ):
        with pytest.raises(ValueError, match=message):
            call()
    assert library.list_patterns() == []
    with pytest.raises(ValueError, match="invalid library name"):
        PatternLibrary("a/b", empathy=runtime)
    with pytest.raises(ValueError, match="unknown access tier 'root'"):
        PatternLibrary(empathy=runtime, access_tier="root")


def test_an_existing_pattern_id_is_not_overwritten(runtime):
    library = _library(runtime, "contributor")
    first = library.contribute_pattern("First version", pattern_id="deploy-checklist")
    with pytest.raises(ValueError, match="'deploy-checklist' already exists"):
        library.contribute_pattern("Second version", pattern_id="deploy-checklist")
    assert library.get_pattern("deploy-checklist") == first


def test_async_with_as_the_seeds_show(runtime):
    async def main():
        async with PatternLibrary("shared", empathy=runtime, access_tier=AccessTier.CONTRIBUTOR) as library:
            pattern = library.contribute_pattern("Retry idempotent calls with backoff", "technique")
            return library.get_pattern(pattern.pattern_id)

    assert asyncio.run(main()).content == "Retry idempotent calls with backoff"


def test_tiers_parse_names_numbers_and_order():
    assert AccessTier.parse("Validator") is AccessTier.VALIDATOR
    assert AccessTier.parse(4) is AccessTier.STEWARD
    assert AccessTier.OBSERVER < AccessTier.CONTRIBUTOR < AccessTier.VALIDATOR < AccessTier.STEWARD
    with pytest.raises(ValueError, match="unknown access tier 5"):
        AccessTier.parse(5)
