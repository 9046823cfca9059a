"""Short-term memory through the memory role (ShortTermMemory) and long-term patterns."""

from __future__ import annotations

import pytest

from empathy_coordination import ShortTermMemory
from empathy_core import EmpathyError


def test_stash_and_retrieve_go_to_the_configured_memory_store(backend):
    from empathy_os import EmpathyOS

    os = EmpathyOS("developer_123", empathy=backend)
    os.stash("current_task", {"status": "debugging"})
    assert os.retrieve("current_task") == {"status": "debugging"}
    assert os.memory_keys() == ["current_task"]
    store = backend.open_backend("memory")
    assert store.get_value("developer_123.empathy-os", "current_task") == {"status": "debugging"}
    assert os.forget("current_task") is True
    assert os.retrieve("current_task", "gone") == "gone"


def test_a_given_short_term_memory_is_used(runtime, make_os):
    memory = ShortTermMemory("developer_123", "my-agent", empathy=runtime)
    os = make_os("developer_123", short_term_memory=memory)
    os.stash("note", [1, 2, 3])
    assert memory.retrieve("note") == [1, 2, 3]
    assert ShortTermMemory("developer_123", "empathy-os", empathy=runtime).keys() == []


def test_bad_keys_and_values_are_refused(make_os):
    os = make_os()
    with pytest.raises(ValueError, match="invalid key"):
        os.stash("../x", 1)
    with pytest.raises(ValueError, match="value is not JSON"):
        os.stash("x", object())
    assert os.memory_keys() == []


def test_persist_and_recall_patterns_as_the_seeds_show(make_os):
    empathy = make_os("developer_123", target_level=4)
    result = empathy.persist_pattern(content="Query optimization technique", pattern_type="technique")
    pattern = empathy.recall_pattern(result["pattern_id"])
    assert (pattern.content, pattern.pattern_type, pattern.contributed_by) == (
        "Query optimization technique",
        "technique",
        "developer_123",
    )
    assert empathy.recall_pattern("0" * 32) is None
    assert [p.pattern_id for p in empathy.recall_patterns("optimization of a query")] == [
        result["pattern_id"]
    ]


def test_long_term_patterns_are_per_user(make_os):
    make_os("alice").persist_pattern("Alice's habit")
    assert make_os("bob").recall_patterns("habit") == []


def test_persistence_disabled_refuses_long_term_patterns(make_os):
    os = make_os(persistence_enabled=False)
    with pytest.raises(EmpathyError, match="persistence is disabled"):
        os.persist_pattern("anything")
    assert os.recall_patterns("anything") == []


def test_shared_library_through_empathy_os_uses_its_tier(make_os, make_library):
    shared = make_library("steward", "keeper")
    reader = make_os("reader", shared_library=shared, access_tier="observer")
    with pytest.raises(PermissionError, match="access tier observer may not contribute"):
        reader.contribute_pattern("Read-only agents cannot add this")
    assert shared.list_patterns() == []
    writer = make_os("writer", shared_library=shared)
    pattern = writer.contribute_pattern(
        "Feature flags for risky deploys", "practice", {"env": "production"}, 0.8
    )
    assert pattern.contributed_by == "writer"
    assert reader.query_patterns({"env": "production"}) == [pattern]
    with pytest.raises(EmpathyError, match="no shared library"):
        make_os("loner").contribute_pattern("x")
