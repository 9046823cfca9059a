"""Churn from ``git log``: how many commits touched each file.

``git log --format= --name-only --relative`` runs in the analysed directory with the
environment scrubbed of secrets; paths come back relative to it. A directory that is not
in a git work tree (or a machine without git) has no churn: :func:`commits_per_file`
returns ``None`` and says why.
"""

from __future__ import annotations

import asyncio
import shutil
from collections import Counter

import attrs

from empathy_core import scrubbed_environ

TIMEOUT = 60.0


@attrs.frozen
class Churn:
    """Commits per file (POSIX, relative to the analysed root) over the last ``commits``."""

    per_file: dict[str, int]
    commits: int


async def commits_per_file(root: str, *, max_commits: int = 500, days: int = 365) -> Churn | str:
    """The churn of ``root``'s files, or the reason there is none (a string)."""
    git = shutil.which("git")
    if git is None:
        return "git is not installed"
    argv = [
        git,
        "log",
        f"--max-count={max_commits}",
        f"--since={days} days ago",
        "--format=%x00",
        "--name-only",
        "--relative",
        "--no-renames",
        "--",
        ".",
    ]
    proc = await asyncio.create_subprocess_exec(
        *argv,
        cwd=root,
        env=scrubbed_environ(),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(), TIMEOUT)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        return f"git log took longer than {TIMEOUT:.0f} s"
    if proc.returncode != 0:
        message = err.decode("utf-8", "replace").strip().splitlines()
        return f"no git history: {message[0] if message else f'git exited {proc.returncode}'}"
    text = out.decode("utf-8", "replace")
    commits = text.count("\x00")
    counts: Counter[str] = Counter()
    for chunk in text.split("\x00"):
        counts.update({line.strip() for line in chunk.splitlines() if line.strip()})
    return Churn(dict(counts), commits)
