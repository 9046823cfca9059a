"""Paths never escape their root, writes never replace a non-regular file, reads are bounded."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import click
import pytest

from empathy_core import parse_input
from empathy_core.errors import EmpathyError
from empathy_core.paths import (
    MiB,
    PathError,
    read_bytes_bounded,
    read_text_bounded,
    resolve_within,
    write_atomically,
)

needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """``root/`` with ``src/app.py`` and ``outside/secret.txt`` next to it."""
    root = tmp_path / "root"
    (root / "src").mkdir(parents=True)
    (root / "src" / "app.py").write_text("x = 1\n")
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "secret.txt").write_text("the secret\n")
    return root


# -- resolve_within ------------------------------------------------------------------


def test_paths_inside_the_root_resolve(tree: Path) -> None:
    assert resolve_within(tree, "src/app.py") == (tree / "src" / "app.py").resolve()
    assert resolve_within(tree, "src/../src/app.py") == (tree / "src" / "app.py").resolve()
    assert resolve_within(tree, tree / "src" / "missing.py") == (tree / "src" / "missing.py").resolve()
    os.symlink("app.py", tree / "src" / "alias.py")
    assert resolve_within(tree, "src/alias.py") == (tree / "src" / "app.py").resolve()


@pytest.mark.parametrize("name", ["../outside/secret.txt", "/etc/passwd"])
def test_paths_outside_the_root_are_refused(tree: Path, name: str) -> None:
    with pytest.raises(PathError) as caught:
        resolve_within(tree, name, what="file")
    assert caught.value.exit_code == 2
    assert f"file {name!r} is outside the root {str(tree)!r}" in str(caught.value)


def test_a_symlink_pointing_out_of_the_root_is_refused(tree: Path) -> None:
    os.symlink(tree.parent / "outside" / "secret.txt", tree / "src" / "p.py")
    with pytest.raises(PathError) as caught:
        resolve_within(tree, "src/p.py", what="file", within="review path")
    message = str(caught.value)
    assert f"file 'src/p.py' is outside the review path {str(tree)!r}" in message
    assert "through a symbolic link" in message and "secret.txt" in message


def test_a_symlink_loop_is_a_path_error(tree: Path) -> None:
    os.symlink("loop.py", tree / "loop.py")
    with pytest.raises(PathError, match="cannot be resolved"):
        resolve_within(tree, "loop.py")


# -- read_text_bounded ---------------------------------------------------------------


def test_reads_a_small_utf8_file(tree: Path) -> None:
    assert read_text_bounded(tree / "src" / "app.py", limit=100) == "x = 1\n"
    assert read_bytes_bounded(tree / "src" / "app.py", limit=6) == b"x = 1\n"


def test_a_file_over_the_limit_is_refused(tree: Path) -> None:
    big = tree / "big.json"
    big.write_bytes(b"x" * (2 * MiB + 1))
    with pytest.raises(PathError) as caught:
        read_text_bounded(big, limit=2 * MiB, what="input file")
    assert caught.value.exit_code == 2
    assert str(caught.value) == f"input file {big}: 2,097,153 bytes (2.0 MiB), larger than the 2 MiB limit"


def test_a_file_growing_past_the_limit_is_never_read_whole(
    tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The size from stat is only a first check: at most limit + 1 bytes are read."""
    path = tree / "grows.txt"
    path.write_bytes(b"y" * 100)
    size_zero = os.stat_result((*os.stat(path)[:6], 0, 0, 0, 0))
    with monkeypatch.context() as patch, pytest.raises(PathError, match="larger than the 10 bytes limit"):
        patch.setattr(os, "stat", lambda *args, **kwargs: size_zero)
        patch.setattr(os, "fstat", lambda fd: size_zero)
        read_bytes_bounded(path, limit=10)


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/null"])
def test_devices_are_never_read(device: str) -> None:
    if not os.path.exists(device):
        pytest.skip(f"no {device}")
    with pytest.raises(PathError) as caught:
        read_text_bounded(device, limit=MiB, what="requests file")
    assert str(caught.value) == (
        f"requests file {device}: is a character device, not a regular file; refusing to read it"
    )


@needs_fifo
def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(PathError, match="is a FIFO"):
        read_text_bounded(fifo, limit=MiB)


def test_a_directory_and_a_missing_file_are_refused(tmp_path: Path) -> None:
    with pytest.raises(PathError, match="is a directory, not a regular file"):
        read_text_bounded(tmp_path, limit=MiB)
    with pytest.raises(PathError, match=r"missing\.json: no such file$"):
        read_text_bounded(tmp_path / "missing.json", limit=MiB)


def test_bytes_that_are_not_utf8_are_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "latin1.txt"
    path.write_bytes("café".encode("latin-1"))
    with pytest.raises(PathError) as caught:
        read_text_bounded(path, limit=MiB, what="input file")
    assert str(caught.value) == f"input file {path}: not UTF-8 text (byte 0xe9 at offset 3)"


# -- write_atomically ----------------------------------------------------------------


def _write(path: Path) -> None:
    write_atomically(path, lambda handle: handle.write("new\n"))


def test_writes_and_replaces_regular_files(tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    _write(target)
    target.write_text("old\n")
    _write(target)
    assert target.read_text() == "new\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.json"]


def test_a_symlink_destination_is_refused_and_left_alone(tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me\n")
    link = tmp_path / "out.json"
    os.symlink(victim, link)
    with pytest.raises(PathError) as caught:
        _write(link)
    assert caught.value.exit_code == 2
    assert str(caught.value) == (
        f"cannot write {link}: it is a symbolic link (to {victim}); refusing to replace it"
    )
    assert link.is_symlink() and victim.read_text() == "keep me\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.json", "victim.txt"]


@needs_fifo
def test_a_fifo_destination_is_refused_and_left_alone(tmp_path: Path) -> None:
    fifo = tmp_path / "out.json"
    os.mkfifo(fifo)
    with pytest.raises(PathError, match=r"it is a FIFO .*; refusing to replace it"):
        _write(fifo)
    assert fifo.is_fifo()
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]


def test_a_directory_destination_is_refused_and_left_alone(tmp_path: Path) -> None:
    directory = tmp_path / "out.json"
    directory.mkdir()
    (directory / "inside").write_text("x")
    with pytest.raises(PathError, match="it is a directory; refusing to replace it"):
        _write(directory)
    assert [p.name for p in directory.iterdir()] == ["inside"]
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]


def test_dev_null_is_refused_before_anything_is_created_in_dev(monkeypatch: pytest.MonkeyPatch) -> None:
    if not os.path.exists("/dev/null"):
        pytest.skip("no /dev/null")
    opened: list[str] = []
    real_open = os.open

    def spy(path: str | os.PathLike[str], *args: int) -> int:
        opened.append(os.fspath(path))
        return real_open(path, *args)

    monkeypatch.setattr(os, "open", spy)
    with pytest.raises(PathError, match="it is a character device; refusing to replace it"):
        _write(Path("/dev/null"))
    assert opened == []


def test_a_write_failure_leaves_no_temporary_file(tmp_path: Path) -> None:
    def fail(handle: object) -> None:
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        write_atomically(tmp_path / "out.json", fail)
    assert list(tmp_path.iterdir()) == []


def test_a_missing_parent_is_one_empathy_error(tmp_path: Path) -> None:
    with pytest.raises(EmpathyError, match=r"cannot write .*out\.json: No such file or directory"):
        _write(tmp_path / "no" / "out.json")


# -- workflow run --input ------------------------------------------------------------


def test_input_file_is_read_and_parsed(tmp_path: Path) -> None:
    path = tmp_path / "input.json"
    path.write_text('{"text": "hi"}')
    assert parse_input(f"@{path}") == {"text": "hi"}


def test_binary_input_file_says_not_utf8() -> None:
    binary = Path(sys.executable).resolve()
    with pytest.raises(click.BadParameter) as caught:
        parse_input(f"@{binary}")
    assert f"input file {binary}: not UTF-8 text" in caught.value.format_message()


def test_input_file_over_10_mib_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "input.json"
    path.write_bytes(b" " * (10 * MiB + 1))
    with pytest.raises(click.BadParameter, match="larger than the 10 MiB limit"):
        parse_input(f"@{path}")


def test_input_from_dev_zero_is_refused() -> None:
    if not os.path.exists("/dev/zero"):
        pytest.skip("no /dev/zero")
    with pytest.raises(click.BadParameter, match="is a character device, not a regular file"):
        parse_input("@/dev/zero")


@pytest.mark.parametrize("inline", [True, False])
def test_deeply_nested_input_is_a_clear_error(tmp_path: Path, inline: bool) -> None:
    text = "[" * 100_000 + "]" * 100_000
    path = tmp_path / "deep.json"
    path.write_text(text)
    with pytest.raises(click.BadParameter) as caught:
        parse_input(text if inline else f"@{path}")
    assert "JSON nested too deeply" in caught.value.format_message()


def test_cli_input_from_a_binary_exits_2(tmp_path: Path) -> None:
    binary = Path(sys.executable).resolve()
    proc = subprocess.run(
        [sys.executable, "-m", "empathy_core", "workflow", "run", "demo", "--input", f"@{binary}"],
        capture_output=True,
        text=True,
        env={**os.environ, "EMPATHY_CACHE_DIR": str(tmp_path / "cache")},
    )
    assert proc.returncode == 2, proc.stderr
    assert f"input file {binary}: not UTF-8 text" in proc.stderr and "Traceback" not in proc.stderr
