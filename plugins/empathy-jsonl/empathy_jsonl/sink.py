"""The JSONL sink: appends every usage record, privacy rules applied, never raising."""

from __future__ import annotations

import logging
import threading

from empathy_core import EmpathyConfig, UsageRecord, protect
from empathy_jsonl.files import JsonlFiles
from empathy_jsonl.settings import JsonlSettings

log = logging.getLogger("empathy.telemetry.jsonl")


class JsonlSink:
    """Appends records to ``settings.path()``; errors are logged once each, never raised.

    A failed append (disk full, directory not writable) loses that record only: the
    next one is tried again, so the sink recovers once the cause is gone.
    """

    def __init__(self, settings: JsonlSettings, config: EmpathyConfig) -> None:
        self.settings = settings
        self.config = config
        self.files = JsonlFiles(settings.path(), settings.max_bytes)
        self._lock = threading.Lock()
        self._logged: set[str] = set()

    def record(self, record: UsageRecord) -> None:
        """Append ``record`` (as :func:`~empathy_core.protect` allows it: the runtime has
        applied it already, and it is idempotent)."""
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
