"""Append-only JSONL telemetry for Empathy.

:class:`~empathy_jsonl.files.JsonlFiles` writes one file per UTC day, rotated by size;
the plugin's sink appends every usage record there, and ``jsonl://`` opens the same
layout as a (scan-based) telemetry store.
"""

__version__ = "0.1.0"
