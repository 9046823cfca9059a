"""The JSONL sink: appends every usage record, privacy rules applied, never raising."""

from __future__ import annotations

import logging
import threading
from typing import Any

from empathy_core.records import UsageRecord
from empathy_core.telemetry import protect
from empathy_jsonl.files import JsonlFiles
from empathy_jsonl.settings import JsonlSettings

log = logging.getLogger("empathy.telemetry.jsonl")


class JsonlSink:
    """Appends records to ``settings.path()``; errors are logged once each, never raised."""

    def __init__(self, settings: JsonlSettings, config: Any) -> None:
        self.settings = settings
        self.config = config
        self.files = JsonlFiles(settings.path(), settings.max_bytes)
        self._lock = threading.Lock()
        self._logged: set[str] = set()

    def record(self, record: UsageRecord) -> None:
        """Append ``record`` (as :func:`~empathy_core.telemetry.protect` allows it)."""
        if not self.settings.enabled or not self.config.telemetry.enabled:
            return
        try:
            with self._lock:
                self.files.append([protect(record, self.config)])
        except Exception as exc:
            message = str(exc)
            if message not in self._logged:
                self._logged.add(message)
                log.warning("jsonl telemetry: record not written: %s", message)
