"""Nothing outside the review path reaches the provider; odd files are refused or skipped, said plainly."""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path
from typing import Any

import pytest

from empathy_code_review.sources import MAX_FILE_BYTES, ReviewInputError, collect_sources
from empathy_code_review.workflow import CodeReviewWorkflow
from empathy_core import SkippedFileWarning

SECRET = "root:x:0:0:the-secret-outside-the-review-path"


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """``repo/src/app.py`` and, next to the repository, ``outside/passwd``."""
    root = tmp_path / "repo"
    (root / "src").mkdir(parents=True)
    (root / "src" / "app.py").write_text("def main():\n    return 1\n")
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "passwd").write_text(SECRET + "\n")
    return root


def collect(root: Path, files: Any = ()) -> tuple[list[Any], list[str]]:
    """``collect_sources`` and the messages of the warnings it gave."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sources = collect_sources(str(root), files)
    return sources, [str(w.message) for w in caught if issubclass(w.category, SkippedFileWarning)]


def test_a_symlink_pointing_out_is_skipped_with_a_warning(tree: Path) -> None:
    os.symlink(tree.parent / "outside" / "passwd", tree / "src" / "p.py")
    sources, warned = collect(tree)
    assert [s.path for s in sources] == ["src/app.py"]
    assert all(SECRET not in s.text for s in sources)
    assert warned == [
        f"code-review: skipped file 'src/p.py' is outside the review path {str(tree)!r}: "
        f"it resolves through a symbolic link to {tree.parent / 'outside' / 'passwd'}"
    ]


def test_a_symlink_to_etc_passwd_is_skipped(tree: Path) -> None:
    if not os.path.exists("/etc/passwd"):
        pytest.skip("no /etc/passwd")
    os.symlink("/etc/passwd", tree / "src" / "p.py")
    sources, warned = collect(tree)
    assert [s.path for s in sources] == ["src/app.py"]
    assert len(warned) == 1 and "resolves through a symbolic link to /etc/passwd" in warned[0]


def test_a_named_symlink_pointing_out_is_refused(tree: Path) -> None:
    os.symlink(tree.parent / "outside" / "passwd", tree / "src" / "p.py")
    with pytest.raises(ReviewInputError) as caught:
        collect_sources(str(tree), ["src/p.py"])
    assert caught.value.exit_code == 2
    assert f"file 'src/p.py' is outside the review path {str(tree)!r}" in str(caught.value)


def test_a_symlinked_directory_pointing_out_is_not_entered(tree: Path) -> None:
    (tree.parent / "outside" / "leak.py").write_text(f"SECRET = {SECRET!r}\n")
    os.symlink(tree.parent / "outside", tree / "vendor")
    sources, warned = collect(tree)
    assert [s.path for s in sources] == ["src/app.py"] and warned == []


def test_symlinks_within_the_review_path_are_fine(tree: Path) -> None:
    os.symlink("app.py", tree / "src" / "alias.py")
    sources, warned = collect(tree)
    assert [s.path for s in sources] == ["src/alias.py", "src/app.py"] and warned == []
    assert [s.path for s in collect_sources(str(tree), ["src/alias.py"])] == ["src/alias.py"]


def test_an_over_large_file_is_skipped_without_being_read_whole(tree: Path) -> None:
    (tree / "src" / "huge.py").write_text("x = 1\n" * (MAX_FILE_BYTES // 6 + 1))
    sources, warned = collect(tree)
    assert [s.path for s in sources] == ["src/app.py"]
    assert len(warned) == 1 and "huge.py" in warned[0] and "larger than the 200,000 bytes limit" in warned[0]
    with pytest.raises(ReviewInputError, match="larger than the 200,000 bytes limit"):
        collect_sources(str(tree), ["src/huge.py"])


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_a_fifo_is_skipped_without_blocking(tree: Path) -> None:
    os.mkfifo(tree / "src" / "pipe.py")
    sources, warned = collect(tree)
    assert [s.path for s in sources] == ["src/app.py"]
    assert len(warned) == 1 and "is a FIFO (named pipe), not a regular file" in warned[0]
    with pytest.raises(ReviewInputError, match="is a FIFO"):
        collect_sources(str(tree), ["src/pipe.py"])


def test_a_file_that_is_not_utf8_is_skipped(tree: Path) -> None:
    (tree / "src" / "latin.py").write_bytes(b"# caf\xe9\n")
    sources, warned = collect(tree)
    assert [s.path for s in sources] == ["src/app.py"]
    assert len(warned) == 1 and "not UTF-8 text (byte 0xe9 at offset 5)" in warned[0]


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ("app.py", "files must be a list of paths, got a string"),
        ({"app.py": 1}, "files must be a list of paths, got dict"),
        ([1], "files must be a list of paths, got an entry that is int 1"),
    ],
)
def test_files_must_be_a_list_of_paths(tree: Path, files: Any, expected: str) -> None:
    with pytest.raises(ReviewInputError) as caught:
        collect_sources(str(tree), files)
    assert expected in str(caught.value)


def test_the_workflow_sends_nothing_from_outside(
    on_anthropic: Any, fake_anthropic: Any, run_workflow: Any, tree: Path
) -> None:
    os.symlink(tree.parent / "outside" / "passwd", tree / "src" / "p.py")
    with pytest.warns(SkippedFileWarning, match="src/p.py"):
        result = run_workflow(CodeReviewWorkflow, {"path": str(tree)}, provider="anthropic")
    assert result.output["files"] == ["src/app.py"]
    sent = fake_anthropic.received("/v1/messages")
    assert len(sent) == 2 and all("def main():" in json.dumps(r.body) for r in sent)
    assert all(SECRET not in json.dumps(r.body) for r in sent)
    assert SECRET not in repr(result)
