"""Empathy Framework core: the public API (v1).

Everything a user or plugin author needs is importable from here; ``empathy_core.testing``
is the test kit. Every other module is private and may change without notice. Names
resolve lazily (PEP 562), so ``import empathy_core`` stays as cheap as ``empathy --help``
needs it to be.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from importlib import import_module
from typing import Any

__version__ = "0.1.0"

_EXPORTS: dict[str, str] = {
    # hooks
    "hookimpl": "hookspecs",
    "hookspec": "hookspecs",
    "PROJECT_NAME": "hookspecs",
    # the runtime
    "Empathy": "runtime",
    "Stash": "stash",
    "StashKey": "stash",
    "PluginInfo": "plugins",
    "PluginLoadWarning": "plugins",
    # workflows and middleware
    "BaseWorkflow": "workflow",
    "StageSkipped": "workflow",
    "StageContext": "workflow",
    "current_stage": "workflow",
    "LLMCallContext": "middleware",
    # records
    "ModelTier": "records",
    "LLMRequest": "records",
    "LLMResponse": "records",
    "Usage": "records",
    "UsageRecord": "records",
    "StageResult": "records",
    "WorkflowResult": "records",
    "RouteContext": "records",
    "RouteDecision": "records",
    "utcnow": "records",
    "new_run_id": "records",
    # registration entries
    "BackendRole": "registry",
    "WorkflowEntry": "registry",
    "ProviderEntry": "registry",
    "BackendEntry": "registry",
    "StrategyEntry": "registry",
    "LevelHandlerEntry": "registry",
    "SettingsEntry": "registry",
    # coordination and short-term memory
    "Heartbeat": "coordination",
    "Signal": "coordination",
    "Event": "coordination",
    "ApprovalRequest": "coordination",
    "ApprovalResponse": "coordination",
    "HeartbeatStore": "coordination",
    "SignalStore": "coordination",
    "EventStore": "coordination",
    "ApprovalStore": "coordination",
    "MemoryStore": "coordination",
    "check_name": "coordination",
    "check_payload": "coordination",
    "check_value": "coordination",
    "check_seconds": "coordination",
    "check_fraction": "coordination",
    "new_id": "coordination",
    "MAX_PAYLOAD_BYTES": "coordination",
    "CoordinationConfig": "config",
    "ApprovalRule": "config",
    # durable runs (the checkpoints role; served by the empathy-checkpoints plugin)
    "RunRecord": "checkpoints",
    "StageCheckpoint": "checkpoints",
    "CheckpointStore": "checkpoints",
    "check_run_id": "checkpoints",
    "RUN_STATUSES": "checkpoints",
    # EmpathyOS contracts (EmpathyOS itself is the empathy-os plugin)
    "EmpathyResponse": "empathy_os",
    "LevelHandler": "empathy_os",
    "LEVEL_NAMES": "empathy_os",
    "level_for_trust": "empathy_os",
    "check_level": "empathy_os",
    # errors
    "EmpathyError": "errors",
    "ConfigError": "errors",
    "PluginError": "errors",
    "DuplicateNameError": "errors",
    "UnknownNameError": "errors",
    "PricingError": "errors",
    "ProviderError": "errors",
    "StorageError": "errors",
    # configuration
    "EmpathyConfig": "config",
    "TierDefaults": "config",
    "TelemetryConfig": "config",
    "PluginsConfig": "config",
    "BatchConfig": "config",
    "load_config": "config",
    "parse_config": "config",
    "config_as_dict": "config",
    # telemetry and stores
    "UsageTracker": "telemetry",
    "ENTRY_FIELDS": "telemetry",
    "TelemetryStore": "stores",
    "UsageGroup": "stores",
    "NANO": "stores",
    "group_records": "stores",
    "redact_url": "stores",
    "to_nano": "stores",
    "protect": "privacy",
    "hash_user_id": "privacy",
    # pricing
    "PriceTable": "pricing",
    "ModelPrice": "pricing",
    "default_table": "pricing",
    # files, secrets, (de)serialisation
    "cache_dir": "paths",
    "safe_identifier": "paths",
    "write_atomically": "paths",
    "resolve_within": "paths",
    "read_text_bounded": "paths",
    "read_bytes_bounded": "paths",
    "format_size": "paths",
    "file_kind": "paths",
    "MiB": "paths",
    "PathError": "paths",
    "SkippedFileWarning": "paths",
    "redact": "redaction",
    "scrubbed_environ": "redaction",
    "shorten": "redaction",
    "to_dict": "serialize",
    "from_dict": "serialize",
    # CLI helpers for plugin commands
    "pass_empathy": "cli",
    "get_or_create_group": "cli",
    "parse_input": "commands.workflow_cmd",
    "input_errors": "cli",
    "FiniteFloat": "clitypes",
    "BoundedInt": "clitypes",
}

__all__ = ["__version__", "lazy_exports", *sorted(_EXPORTS)]


def lazy_exports(
    package: str, exports: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``(__getattr__, __dir__)`` for ``package``, resolving ``exports`` on first access.

    Lazy package attributes (PEP 562), so importing a package costs only its ``__init__``.

    A package lists ``name -> submodule`` and binds the two module hooks::

        _EXPORTS = {"AdaptiveModelRouter": "router", "FeedbackLoop": "feedback"}
        __getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

    ``package.AdaptiveModelRouter`` then imports ``package.router`` on first access and keeps
    the value in the package's namespace; an unknown name is an ``AttributeError`` naming it.
    ``dir(package)`` is the package's ``__all__`` (default: the exported names).
    """

    def __getattr__(name: str) -> Any:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(import_module(f"{package}.{module}"), name)
        setattr(sys.modules[package], name, value)
        return value

    def __dir__() -> list[str]:
        return list(getattr(sys.modules[package], "__all__", sorted(exports)))

    return __getattr__, __dir__


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
