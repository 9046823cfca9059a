"""Errors of the orchestrate plugin: one per failure a user (or an agent) can act on."""

from __future__ import annotations

from empathy_core import EmpathyError


class RepositoryError(EmpathyError):
    """The path to analyse does not exist, is not a directory or holds no Python (exit 2)."""

    exit_code = 2


class ToolUnavailable(Exception):
    """An analyser is not installed or does not apply; the message says what to do."""


class ToolFailed(Exception):
    """An analyser ran but crashed or produced output we cannot read."""
