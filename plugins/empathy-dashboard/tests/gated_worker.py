"""A workflow run in its own process whose ``analyse`` stage waits for a human
(``python gated_worker.py``, with ``EMPATHY_CACHE_DIR`` naming the shared SQLite stores).

Prints one JSON line: the run's status, each stage's status, and its error.
"""

from __future__ import annotations

import asyncio
import json
from typing import ClassVar

import empathy_coordination.plugin as coordination_plugin
import empathy_sqlite.plugin as sqlite_plugin
import empathy_testing
import empathy_testing.plugin as testing_plugin
from empathy_core import Empathy, EmpathyConfig
from empathy_testing.sample_workflows import ThreeTierWorkflow


class GatedRelease(ThreeTierWorkflow):
    name = "gated-release"
    approvals: ClassVar[dict[str, float]] = {"analyse": 120.0}


def main() -> None:
    runtime = Empathy(EmpathyConfig(provider="mock"), plugins=[sqlite_plugin, coordination_plugin])
    runtime.add_plugin(testing_plugin, "testing", dist="empathy-testing", version=empathy_testing.__version__)
    Empathy.set_current(runtime)
    runtime.configure()
    workflow = GatedRelease(empathy=runtime, provider_name="mock", enable_heartbeat_tracking=True)
    result = asyncio.run(workflow.execute({"topic": "release"}))
    runtime.close()
    stages = {s.name: s.status for s in result.stages}
    print(json.dumps({"status": result.status, "stages": stages, "error": result.error}), flush=True)


if __name__ == "__main__":
    main()
