"""Test helpers shared by this plugin's tests, the reliability suite and the benchmark:
servers to test against (with the reason when one is unreachable) and sample workflows."""

from __future__ import annotations

import asyncio
import os
import subprocess
import time
from pathlib import Path
from typing import Any, ClassVar

import attrs

from empathy_core import BaseWorkflow, ModelTier, hookimpl

POSTGRES_URL = os.environ.get("EMPATHY_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("EMPATHY_REDIS_URL", "redis://127.0.0.1:6379/0")


def postgres_problem(url: str = POSTGRES_URL) -> str | None:
    """Why PostgreSQL at ``url`` cannot be used, or ``None``."""
    try:
        import psycopg
    except ImportError as exc:
        return f"psycopg is not installed ({exc})"
    try:
        psycopg.connect(url, connect_timeout=3).close()
    except psycopg.Error as exc:
        return f"PostgreSQL at {url} is unreachable: {' '.join(str(exc).split())}"
    return None


def redis_problem(url: str = REDIS_URL) -> str | None:
    """Why Redis at ``url`` cannot be used, or ``None`` (``empathy_redis.testing``'s check)."""
    try:
        from empathy_redis.testing import redis_problem as probe
    except ImportError as exc:
        return f"empathy-redis is not installed ({exc})"
    return probe(url)


def drop_schema(url: str, schema: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


@attrs.frozen
class Findings:
    """An attrs stage output, rebuilt from its checkpoint on resume."""

    topic: str
    items: list[str] = attrs.Factory(list)


class ResumableWorkflow(BaseWorkflow):
    """Three stages, one LLM call each; ``analyse`` returns :class:`Findings`.

    Env ``EMPATHY_TEST_BLOCK_STAGE`` names a stage that, after its LLM call, writes the file
    ``EMPATHY_TEST_MARKER`` and waits until the file ``EMPATHY_TEST_RELEASE`` exists (forever
    without it: to be killed mid-stage); ``EMPATHY_TEST_FAIL_STAGE`` names one that raises
    after its call.
    """

    name = "resumable"
    description = "Three checkpointed stages for tests."
    stages = ["scan", "analyse", "summarise"]
    tier_map = {"scan": ModelTier.CHEAP, "analyse": ModelTier.CAPABLE, "summarise": ModelTier.PREMIUM}
    ran: ClassVar[list[str]] = []

    async def run_stage(self, stage_name: str, tier: ModelTier, input_data: dict[str, Any]) -> Any:
        type(self).ran.append(stage_name)
        prompt = f"{stage_name}: {input_data.get('topic')}"
        reply = await self._call_llm(tier, f"You run {stage_name}.", prompt)
        if os.environ.get("EMPATHY_TEST_BLOCK_STAGE") == stage_name:
            Path(os.environ["EMPATHY_TEST_MARKER"]).write_text(stage_name)
            release = os.environ.get("EMPATHY_TEST_RELEASE")
            while release is None or not Path(release).exists():
                await asyncio.sleep(0.05)
        if os.environ.get("EMPATHY_TEST_FAIL_STAGE") == stage_name:
            raise RuntimeError(f"{stage_name} broke")
        tokens = (reply.usage.input_tokens, reply.usage.output_tokens)
        if stage_name == "analyse":
            return Findings(str(input_data.get("topic")), [input_data["scan_text"][:20]]), *tokens
        return {f"{stage_name}_text": reply.text}, *tokens


class UnserialisableWorkflow(BaseWorkflow):
    """``first`` returns an object cattrs cannot make JSON; ``second`` must never run."""

    name = "unserialisable"
    stages = ["first", "second"]
    ran: ClassVar[list[str]] = []

    async def run_stage(self, stage_name: str, tier: ModelTier, input_data: dict[str, Any]) -> Any:
        type(self).ran.append(stage_name)
        return {"handle": object()}, 0, 0


class Workflows:
    """A plugin object registering the given workflow classes."""

    def __init__(self, *classes: type) -> None:
        self.classes = classes

    @hookimpl
    def empathy_register_workflows(self, register: Any) -> None:
        for cls in self.classes:
            register(cls)


@hookimpl
def empathy_register_workflows(register: Any) -> None:
    """Registers :class:`ResumableWorkflow` and :class:`UnserialisableWorkflow` when this
    module is installed as a plugin (see :func:`install_sample_plugin`)."""
    register(ResumableWorkflow)
    register(UnserialisableWorkflow)


def install_sample_plugin(site: Path) -> dict[str, str]:
    """Make ``site`` hold a distribution ``empathy-checkpoints-samples`` whose ``empathy`` entry
    point is this module, as a third-party plugin is installed; returns the environment
    (``PYTHONPATH``) that makes an ``empathy`` subprocess load it."""
    info = site / "empathy_checkpoints_samples-0.1.0.dist-info"
    info.mkdir(parents=True, exist_ok=True)
    metadata = "Metadata-Version: 2.1\nName: empathy-checkpoints-samples\nVersion: 0.1.0\n"
    (info / "METADATA").write_text(metadata)
    (info / "entry_points.txt").write_text("[empathy]\ncheckpoint-samples = empathy_checkpoints.testing\n")
    paths = [str(site), *filter(None, [os.environ.get("PYTHONPATH")])]
    return {"PYTHONPATH": os.pathsep.join(paths)}


def wait_for_file(path: Path, proc: subprocess.Popen[str], timeout: float = 60) -> None:
    """Wait until ``path`` exists (a hang guard, not a timing assertion)."""
    deadline = time.monotonic() + timeout
    while not path.exists():
        if proc.poll() is not None:
            raise AssertionError(f"the process ended ({proc.returncode}) first: {proc.communicate()}")
        if time.monotonic() > deadline:
            raise AssertionError(f"{path} not written within {timeout:g} s")
        time.sleep(0.05)


def by_stage(received: list[Any], status: int | None = None) -> dict[str, int]:
    """Requests the fake server answered (with ``status``), counted by ``<stage>: <topic>``."""
    counts: dict[str, int] = {}
    for request in received:
        if status is not None and request.status != status:
            continue
        content = request.body["messages"][0]["content"]
        text = content if isinstance(content, str) else content[0]["text"]
        counts[text] = counts.get(text, 0) + 1
    return counts


class BulkyWorkflow(BaseWorkflow):
    """Three stages with 64 kB outputs and no LLM call: fills a store quickly."""

    name = "bulky"
    stages = ["one", "two", "three"]

    async def run_stage(self, stage_name: str, tier: ModelTier, input_data: dict[str, Any]) -> Any:
        return {f"{stage_name}_blob": f"{input_data['n']}-{stage_name}-" + "x" * 64_000}, 0, 0
