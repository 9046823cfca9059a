"""Files of ``empathy batch``: the requests file, the results file and the recorded-usage markers.

A batch's usage is recorded once per cache directory: the first ``results`` or ``wait``
that fetches an ended batch claims ``<cache_dir>/batches/<batch_id>.recorded`` (created
exclusively, so two concurrent fetches cannot both claim it) and records; later fetches
write the results file and record nothing.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from empathy_anthropic.batch import BATCH_ID, CUSTOM_ID, BatchResult
from empathy_core import (
    EmpathyError,
    LLMRequest,
    MiB,
    ModelTier,
    PathError,
    cache_dir,
    read_text_bounded,
    redact,
    to_dict,
    write_atomically,
)

REQUIRED = {"custom_id": str, "prompt": str}
OPTIONAL = {"system": str, "tier": str, "max_tokens": int}
TIERS = tuple(tier.value for tier in ModelTier)
KIND_NAMES = {str: "a string", int: "an integer"}
# The Message Batches API refuses a batch request larger than 256 MB: a bigger file cannot be sent.
MAX_REQUESTS_BYTES = 256 * MiB


class BatchInputError(EmpathyError):
    """A requests file or batch id the user gave is unusable (exit code 2); nothing was sent."""

    exit_code = 2


def check_batch_id(batch_id: str) -> str:
    """``batch_id`` if it has the shape of a batch id, else :class:`BatchInputError`."""
    if not BATCH_ID.match(batch_id):
        raise BatchInputError(f"invalid batch id {batch_id!r}: expected letters, digits, '_' or '-'")
    return batch_id


def _item_request(item: Any, where: str, default_tier: str) -> tuple[str, LLMRequest]:
    if not isinstance(item, dict):
        raise BatchInputError(f"{where}: expected an object, got {type(item).__name__}")
    unknown = sorted(set(item) - set(REQUIRED) - set(OPTIONAL))
    if unknown:
        raise BatchInputError(
            f"{where}: unknown key {unknown[0]!r} (known: {', '.join([*REQUIRED, *OPTIONAL])})"
        )
    for key, kind in {**REQUIRED, **OPTIONAL}.items():
        if key not in item:
            if key in REQUIRED:
                raise BatchInputError(f"{where}: missing {key!r}")
            continue
        value = item[key]
        if not isinstance(value, kind) or isinstance(value, bool):
            shown = redact(json.dumps(value)[:80])
            raise BatchInputError(f"{where}: {key!r} must be {KIND_NAMES[kind]}, got {shown}")
    custom_id, prompt = item["custom_id"], item["prompt"]
    if not CUSTOM_ID.match(custom_id):
        raise BatchInputError(
            f"{where}: 'custom_id' {custom_id!r} is invalid: use 1-64 letters, digits, '_' or '-'"
        )
    if not prompt.strip():
        raise BatchInputError(f"{where}: 'prompt' is empty")
    tier = item.get("tier", default_tier)
    if tier not in TIERS:
        raise BatchInputError(f"{where}: 'tier' must be one of {', '.join(TIERS)}, got {tier!r}")
    max_tokens = item.get("max_tokens", 1024)
    if max_tokens < 1:
        raise BatchInputError(f"{where}: 'max_tokens' must be at least 1, got {max_tokens}")
    request = LLMRequest.from_text(prompt, system=item.get("system", ""), tier=tier, max_tokens=max_tokens)
    return custom_id, request


def load_requests(path: str, default_tier: str) -> dict[str, LLMRequest]:
    """The requests of ``path`` (a JSON list of ``{custom_id, prompt, system?, tier?, max_tokens?}``).

    ``path`` must be a regular UTF-8 file of at most :data:`MAX_REQUESTS_BYTES` (``/dev/zero``
    or a FIFO is refused, never read). Every problem is one :class:`BatchInputError` naming
    the file and the item index.
    """
    try:
        text = read_text_bounded(path, limit=MAX_REQUESTS_BYTES, what="requests file")
    except PathError as exc:
        raise BatchInputError(exc.message) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BatchInputError(
            f"requests file {path}: invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from None
    except RecursionError:
        raise BatchInputError(f"requests file {path}: JSON nested too deeply") from None
    if not isinstance(data, list) or not data:
        raise BatchInputError(f"requests file {path}: expected a non-empty JSON list of request objects")
    requests: dict[str, LLMRequest] = {}
    for index, item in enumerate(data):
        where = f"requests file {path}: item {index}"
        custom_id, request = _item_request(item, where, default_tier)
        if custom_id in requests:
            raise BatchInputError(f"{where}: 'custom_id' {custom_id!r} is used twice; each must be unique")
        requests[custom_id] = request
    return requests


def result_rows(results: list[BatchResult]) -> list[dict[str, Any]]:
    """One JSON object per result: custom_id, success, result_type, model, text, error, cost, usage."""
    return [
        {
            "custom_id": r.custom_id,
            "success": r.success,
            "result_type": r.result_type,
            "model": r.response.model if r.response else None,
            "text": r.response.text if r.response else None,
            "error": r.error,
            "cost": r.cost,
            "usage": to_dict(r.response.usage) if r.response else None,
        }
        for r in results
    ]


def write_json_atomically(path: str, data: Any) -> None:
    """Write ``data`` as JSON to ``path`` through a temporary file and ``os.replace``."""
    text = json.dumps(data, indent=2) + "\n"
    write_atomically(Path(path), lambda handle: handle.write(text))


def claim_recording(batch_id: str, count: int) -> bool:
    """``True`` the first time (per cache directory) the usage of ``batch_id`` is to be recorded."""
    marker = cache_dir() / "batches" / f"{check_batch_id(batch_id)}.recorded"
    marker.parent.mkdir(parents=True, exist_ok=True)
    try:
        with marker.open("x", encoding="utf-8") as handle:
            handle.write(f"{count}\n")
    except FileExistsError:
        return False
    return True
