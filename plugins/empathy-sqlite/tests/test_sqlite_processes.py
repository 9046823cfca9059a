"""The SQLite event store shared by several processes on one machine: consumer groups share
events exactly once, and a killed consumer's events go to another after the idle time."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from empathy_core.testing.event_processes import EventProcessesConformance


class TestSQLiteEventsAcrossProcesses(EventProcessesConformance):
    @pytest.fixture
    def event_store_opener(self, tmp_path: Path) -> tuple[str, dict[str, Any]]:
        return "empathy_sqlite.events:SQLiteEventStore", {"url": f"sqlite:///{tmp_path}/coordination.db"}
