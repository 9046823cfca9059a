"""Settings of the JSONL sink (``plugins.settings.empathy-jsonl`` in YAML)."""

from __future__ import annotations

from pathlib import Path

import attrs

from empathy_core import cache_dir

DEFAULT_MAX_BYTES = 64 * 1024 * 1024


@attrs.define
class JsonlSettings:
    """Where the sink appends and when it rotates."""

    enabled: bool = True
    """Append every usage record to JSONL files."""
    directory: str = ""
    """Directory of the files (default: ``<cache_dir>/telemetry-jsonl``); ``~`` is expanded."""
    max_bytes: int = attrs.field(default=DEFAULT_MAX_BYTES, validator=attrs.validators.ge(1024))
    """Size at which a day's file is rotated to ``usage-<day>.<n>.jsonl``."""

    def path(self) -> Path:
        """The directory, resolved."""
        return Path(self.directory).expanduser() if self.directory else cache_dir() / "telemetry-jsonl"
