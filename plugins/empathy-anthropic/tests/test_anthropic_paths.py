"""Requests files are bounded regular UTF-8 files; results files replace regular files only.

Reading ``/dev/zero`` or a FIFO is checked in a child process with a memory limit and a
timeout, so a regression fails the test instead of exhausting memory or hanging it.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from empathy_anthropic import batch_files
from empathy_anthropic.batch_files import BatchInputError, load_requests
from empathy_core import PathError

CHILD = textwrap.dedent(
    """
    import resource, sys
    resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
    from empathy_anthropic.batch_files import BatchInputError, load_requests
    try:
        load_requests(sys.argv[1], "capable")
    except BatchInputError as exc:
        print(exc.exit_code, exc)
    """
)


def load_in_child(path: str) -> str:
    """``"<exit code> <message>"`` of ``load_requests(path)`` run in a bounded child process."""
    pytest.importorskip("resource")
    done = subprocess.run(
        [sys.executable, "-c", CHILD, path], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    return done.stdout.strip()


def test_dev_zero_is_refused_without_reading_it() -> None:
    if not os.path.exists("/dev/zero"):
        pytest.skip("no /dev/zero")
    assert load_in_child("/dev/zero") == (
        "2 requests file /dev/zero: is a character device, not a regular file; refusing to read it"
    )


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path: Path) -> None:
    fifo = tmp_path / "requests.json"
    os.mkfifo(fifo)
    assert load_in_child(str(fifo)).startswith(f"2 requests file {fifo}: is a FIFO (named pipe)")


def test_a_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(BatchInputError, match=re.escape(f"requests file {tmp_path}: is a directory")):
        load_requests(str(tmp_path), "capable")


def test_a_file_over_the_limit_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "requests.json"
    path.write_text(json.dumps([{"custom_id": "a", "prompt": "p" * 200}]))
    monkeypatch.setattr(batch_files, "MAX_REQUESTS_BYTES", 100)
    with pytest.raises(BatchInputError) as caught:
        load_requests(str(path), "capable")
    assert caught.value.exit_code == 2
    assert str(caught.value).startswith(f"requests file {path}: ")
    assert "larger than the 100 bytes limit" in str(caught.value)


def test_a_binary_file_is_not_utf8_text(tmp_path: Path) -> None:
    path = tmp_path / "requests.json"
    path.write_bytes(b'[{"custom_id": "a", "prompt": "\xff"}]')
    with pytest.raises(BatchInputError) as caught:
        load_requests(str(path), "capable")
    assert str(caught.value) == f"requests file {path}: not UTF-8 text (byte 0xff at offset 31)"


def test_deeply_nested_json_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "requests.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(BatchInputError) as caught:
        load_requests(str(path), "capable")
    assert str(caught.value) == f"requests file {path}: JSON nested too deeply"


def test_results_never_replace_a_symlink(tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me\n")
    link = tmp_path / "results.json"
    os.symlink(victim, link)
    with pytest.raises(PathError, match=r"is a symbolic link .*; refusing to replace it"):
        batch_files.write_json_atomically(str(link), [])
    assert link.is_symlink() and victim.read_text() == "keep me\n"
