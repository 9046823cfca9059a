"""Durable workflow runs: checkpoints per stage, resume, a response cache and run workers."""

from __future__ import annotations

__version__ = "0.1.0"
