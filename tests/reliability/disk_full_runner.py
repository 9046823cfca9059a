"""Runs ``bulky`` workflows with every file this process writes limited to LIMIT bytes (a
size-limited disk); prints one JSON line per run. Used by test_disk_full.py."""

from __future__ import annotations

import asyncio
import json
import resource
import signal
import sys

import empathy_checkpoints.plugin as checkpoints_plugin
import empathy_sqlite.plugin as sqlite_plugin
import empathy_testing.plugin as testing_plugin
from empathy_checkpoints.testing import BulkyWorkflow, Workflows
from empathy_core import Empathy, EmpathyConfig


def main(limit: int, runs: int) -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    empathy = Empathy(EmpathyConfig(provider="mock"), plugins=[sqlite_plugin, Workflows(BulkyWorkflow)])
    empathy.add_plugin(testing_plugin, "testing", dist="empathy-testing")
    empathy.add_plugin(checkpoints_plugin, "checkpoints", dist="empathy-checkpoints")
    empathy.configure()
    for n in range(runs):
        result = asyncio.run(BulkyWorkflow(empathy=empathy, provider_name="mock").execute({"n": n}))
        line = {"run_id": result.run_id, "status": result.status, "error": result.error}
        print(json.dumps(line), flush=True)
    empathy.close()


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]))
