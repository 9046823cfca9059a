"""save_state / load_state: versioned JSON written atomically; bad files refused, state untouched."""

from __future__ import annotations

import json
import os as os_module

import pytest

from empathy_core import EmpathyError, to_dict
from empathy_os import STATE_VERSION, StateFileError


@pytest.fixture
def out(tmp_path):
    """An empty directory of the test's own (tmp_path also holds the cache directory)."""
    path = tmp_path / "out"
    path.mkdir()
    return path


@pytest.fixture
def worked(make_os):
    """An EmpathyOS with trust 0.2, three interactions and a failure."""
    os = make_os("user_123", target_level=5)
    for text in ("first question", "second question", "third question"):
        os.interact("user_123", text, {"task": "debugging"})
        os.record_success()
    os.record_failure()
    os.record_success()
    os.record_success()
    return os


def test_round_trip_restores_the_whole_state(worked, make_os, tmp_path):
    path = tmp_path / ".empathy" / "user_123.json"
    assert worked.save_state("user_123", path) == path
    document = json.loads(path.read_text())
    assert (document["format"], document["version"], document["user_id"]) == (
        "empathy-os-state",
        1,
        "user_123",
    )
    fresh = make_os("user_123", target_level=5)
    fresh.load_state(user_id="user_123", filepath=path)
    assert to_dict(fresh.state) == to_dict(worked.state)
    assert fresh.get_trust_level() == pytest.approx(0.15)
    assert fresh.get_current_level() == 1
    assert [t.outcome for t in fresh.state.interactions] == ["success", "success", "success"]
    assert [e.outcome for e in fresh.state.trust_history][-3:] == ["failure", "success", "success"]


def test_saving_is_atomic_and_leaves_no_temporary_file(worked, out):
    path = out / "state.json"
    path.write_text("old contents")
    worked.save_state("user_123", path)
    assert sorted(p.name for p in out.iterdir()) == ["state.json"]
    assert json.loads(path.read_text())["user_id"] == "user_123"


def _document(**changes):
    base = {
        "format": "empathy-os-state",
        "version": STATE_VERSION,
        "user_id": "user_123",
        "saved_at": "2026-01-01T00:00:00+00:00",
        "state": {"user_id": "user_123", "trust": 0.9},
    }
    base.update(changes)
    return json.dumps(base)


BAD_FILES = {
    "not-json": ("{ trust: high", "not JSON"),
    "empty": ("", "not JSON"),
    "a-list": ("[1, 2]", "not an EmpathyOS state file"),
    "foreign": (json.dumps({"format": "something-else", "version": 1}), "not an EmpathyOS state file"),
    "no-format": (json.dumps({"trust": 0.9}), "not an EmpathyOS state file"),
    "newer": (_document(version=STATE_VERSION + 1), "version 2 is newer than this empathy-os reads"),
    "bad-version": (_document(version="1"), "invalid version '1'"),
    "other-user": (_document(user_id="mallory"), "holds the state of user 'mallory', not 'user_123'"),
    "trust-out-of-range": (_document(state={"user_id": "user_123", "trust": 7}), "malformed state"),
    "bad-level": (
        _document(state={"user_id": "user_123", "interactions": [{"user_input": "x", "level": 9}]}),
        "malformed state",
    ),
    "inner-user": (_document(state={"user_id": "mallory"}), "belongs to 'mallory'"),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_files_are_refused_and_the_state_is_untouched(worked, tmp_path, case):
    text, message = BAD_FILES[case]
    path = tmp_path / f"{case}.json"
    path.write_text(text)
    before = to_dict(worked.state)
    with pytest.raises(StateFileError, match=message) as caught:
        worked.load_state("user_123", path)
    assert str(path) in str(caught.value)
    assert caught.value.exit_code == 2
    assert to_dict(worked.state) == before


def test_missing_files_directories_and_binary_files_are_refused(worked, tmp_path):
    before = to_dict(worked.state)
    (tmp_path / "binary.json").write_bytes(b"\xff\xfe\x00")
    for path, message in (
        (tmp_path / "missing.json", "no such file"),
        (tmp_path, "not a regular file"),
        (tmp_path / "binary.json", "not UTF-8"),
    ):
        with pytest.raises(StateFileError, match=message):
            worked.load_state("user_123", path)
    assert to_dict(worked.state) == before


def test_saving_over_a_symlink_is_refused(worked, tmp_path):
    target = tmp_path / "elsewhere.json"
    target.write_text("keep me")
    link = tmp_path / "link.json"
    os_module.symlink(target, link)
    with pytest.raises(EmpathyError, match="symbolic link"):
        worked.save_state("user_123", link)
    assert target.read_text() == "keep me"


def test_state_of_another_user_cannot_be_saved_or_loaded(worked, out):
    with pytest.raises(ValueError, match="holds the state of 'user_123'"):
        worked.save_state("bob", out / "bob.json")
    with pytest.raises(ValueError, match="invalid user_id"):
        worked.load_state("../bob", out / "bob.json")
    assert not any(out.iterdir())


def test_state_files_need_persistence(make_os, out):
    os = make_os(persistence_enabled=False)
    with pytest.raises(EmpathyError, match="persistence is disabled"):
        os.save_state("user_123", out / "s.json")
    assert not any(out.iterdir())


def test_reset_and_copy_of_the_collaboration_state(worked):
    copy = worked.get_collaboration_state()
    worked.reset_collaboration_state()
    assert worked.get_trust_level() == 0.0 and worked.state.interactions == []
    assert copy.trust == pytest.approx(0.15) and len(copy.interactions) == 3
