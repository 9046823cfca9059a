"""Privacy rules for usage records: user ids hashed with a per-installation salt, prompts dropped.

``user_id`` becomes ``sha256:<hex>`` of the salt plus the id (unless
``telemetry.hash_user_ids: false``); the prompt text is dropped unless
``telemetry.store_prompts: true``. :func:`protect` is applied by the one chokepoint,
:meth:`Empathy.record_usage <empathy_core.runtime.Empathy.record_usage>`.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import secrets
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from empathy_core.paths import cache_dir

if TYPE_CHECKING:
    from empathy_core.config import EmpathyConfig
    from empathy_core.records import UsageRecord

HASH_PREFIX = "sha256:"
SALT_FILE = "telemetry-salt"


def installation_salt(directory: Path | None = None) -> bytes:
    """The per-installation salt in ``<cache_dir>/telemetry-salt``, created on first use.

    Created atomically (written to a temporary file, then hard-linked into place) with
    mode 0600, so concurrent first users agree on one salt. Read once per process.
    """
    return _salt_at(str((directory or cache_dir()) / SALT_FILE))


@functools.lru_cache(maxsize=8)
def _salt_at(location: str) -> bytes:
    path = Path(location)
    if not path.exists():
        tmp = path.with_name(f".{SALT_FILE}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
        try:
            with contextlib.suppress(FileExistsError):  # another process won the race
                os.link(tmp, path)
        finally:
            tmp.unlink()
    return path.read_bytes().strip()


def hash_user_id(user_id: str, salt: bytes) -> str:
    """``sha256:<hex>`` of ``salt`` and ``user_id``; already-hashed ids are returned as is."""
    if user_id.startswith(HASH_PREFIX):
        return user_id
    return HASH_PREFIX + hashlib.sha256(salt + b"\0" + user_id.encode("utf-8")).hexdigest()


def protect(record: UsageRecord, config: EmpathyConfig) -> UsageRecord:
    """``record`` as it may be stored: user id hashed, prompt dropped, per ``config.telemetry``.

    Idempotent, so every sink can apply it whoever built the record.
    """
    telemetry = config.telemetry
    changes: dict[str, Any] = {}
    if record.prompt is not None and not telemetry.store_prompts:
        changes["prompt"] = None
    if record.user_id and telemetry.hash_user_ids and not record.user_id.startswith(HASH_PREFIX):
        changes["user_id"] = hash_user_id(record.user_id, installation_salt())
    return attrs.evolve(record, **changes) if changes else record
