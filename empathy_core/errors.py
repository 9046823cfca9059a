"""Error types a user can act on. The CLI prints their message, never a traceback."""

from __future__ import annotations


class EmpathyError(Exception):
    """Base of every user-facing error; ``exit_code`` is what the CLI exits with."""

    exit_code: int = 1

    def __init__(self, message: str, *, exit_code: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if exit_code is not None:
            self.exit_code = exit_code

    def __str__(self) -> str:
        return self.message


class ConfigError(EmpathyError):
    """``empathy.config.yml`` or plugin settings are invalid (exit code 2)."""

    exit_code = 2


class PluginError(EmpathyError):
    """A plugin failed to load or register and strict mode is on."""


class DuplicateNameError(PluginError):
    """Two plugins registered the same name for the same kind of thing."""


class UnknownNameError(EmpathyError):
    """A workflow, provider, backend or strategy name that no plugin registered."""


class PricingError(EmpathyError):
    """A model has no price: we never guess and never report $0."""


class ProviderError(EmpathyError):
    """An LLM call failed after the provider's retries; names status and request id."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        request_id: str | None = None,
        exit_code: int | None = None,
    ) -> None:
        super().__init__(message, exit_code=exit_code)
        self.status = status
        self.request_id = request_id


class StorageError(EmpathyError):
    """A storage backend is unreachable, corrupt, foreign or misconfigured."""
