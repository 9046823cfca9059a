"""Settings of the Redis stores (``plugins.settings.empathy-redis`` in YAML)."""

from __future__ import annotations

from typing import Any

import attrs

from empathy_core import check_name, check_seconds


def _name(instance: Any, attribute: attrs.Attribute, value: Any) -> None:
    check_name(value, attribute.name)


def _seconds(maximum: float) -> Any:
    def validate(instance: Any, attribute: attrs.Attribute, value: Any) -> None:
        check_seconds(value, attribute.name, maximum=maximum)

    return validate


@attrs.define
class RedisSettings:
    """Where the stores keep their keys and how long a Redis call may take."""

    key_prefix: str = attrs.field(default="empathy", validator=_name)
    """Every key starts with ``<key_prefix>:`` (letters, digits, ``_ . -``), so several
    teams or test runs can share one Redis database."""
    socket_timeout: float = attrs.field(default=5.0, validator=_seconds(300))
    """Seconds a reply may take before the call fails with ``StorageError``; blocking
    reads wait in slices of half of it, so a lost connection is noticed within it."""
    connect_timeout: float = attrs.field(default=2.0, validator=_seconds(60))
    """Seconds to establish a connection."""
    approval_retention: float = attrs.field(default=7 * 86400.0, validator=_seconds(366 * 86400))
    """Seconds an approval request and its decision are kept after its deadline."""
