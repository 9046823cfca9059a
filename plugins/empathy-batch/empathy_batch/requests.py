"""``BatchRequest`` and the batch file: a JSON list of requests, every problem named by line.

A batch file is ``[{"task_id", "task_type", "input_data", "model_tier"?}, ...]``. Errors
are :class:`~empathy_anthropic.batch_files.BatchInputError` (exit code 2) naming the
file, the line where the item starts and the field; nothing is submitted.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

import attrs

from empathy_anthropic.batch import CUSTOM_ID
from empathy_anthropic.batch_files import MAX_REQUESTS_BYTES, TIERS, BatchInputError
from empathy_batch.tasks import BATCH_ELIGIBLE_TASKS
from empathy_core import PathError, check_payload, read_text_bounded

FIELDS = ("task_id", "task_type", "input_data", "model_tier")


def _task_id(_: Any, __: Any, value: Any) -> None:
    if not isinstance(value, str) or not CUSTOM_ID.fullmatch(value):
        raise ValueError(f"task_id must be 1-64 letters, digits, '_' or '-', got {value!r}")


def _task_type(_: Any, __: Any, value: Any) -> None:
    if value not in BATCH_ELIGIBLE_TASKS:
        raise ValueError(
            f"unknown task_type {value!r}; batch-eligible: {', '.join(sorted(BATCH_ELIGIBLE_TASKS))}"
        )


def _model_tier(_: Any, __: Any, value: Any) -> None:
    if value not in TIERS:
        raise ValueError(f"model_tier must be one of {', '.join(TIERS)}, got {value!r}")


@attrs.frozen
class BatchRequest:
    """One task of a batch; refused with ``ValueError`` naming the field when invalid."""

    task_id: str = attrs.field(validator=_task_id)
    task_type: str = attrs.field(validator=_task_type)
    input_data: dict[str, Any] = attrs.field(converter=lambda v: check_payload(v, "input_data"))
    model_tier: str = attrs.field(default="capable", validator=_model_tier)


def _items(text: str, path: str) -> Iterator[tuple[int, Any]]:
    """(line, item) for each element of the top-level JSON list in ``text``."""
    decoder = json.JSONDecoder()

    def fail(at: int, message: str) -> BatchInputError:
        line = text.count("\n", 0, at) + 1
        return BatchInputError(f"batch file {path}: line {line}: {message}")

    def skip(at: int) -> int:
        while at < len(text) and text[at] in " \t\r\n":
            at += 1
        return at

    at = skip(0)
    if not text.startswith("[", at):
        raise fail(at, "expected a JSON list of requests")
    at = skip(at + 1)
    if text.startswith("]", at):
        raise fail(at, "the list is empty; a batch needs at least one request")
    while True:
        try:
            item, end = decoder.raw_decode(text, at)
        except json.JSONDecodeError as exc:
            raise fail(exc.pos, f"invalid JSON: {exc.msg}") from None
        except RecursionError:
            raise fail(at, "JSON nested too deeply") from None
        yield text.count("\n", 0, at) + 1, item
        at = skip(end)
        if text.startswith("]", at):
            if skip(at + 1) != len(text):
                raise fail(skip(at + 1), "unexpected data after the list")
            return
        if not text.startswith(",", at):
            raise fail(at, "expected ',' or ']' after a request")
        at = skip(at + 1)


def _request(item: Any, where: str) -> BatchRequest:
    if not isinstance(item, Mapping):
        raise BatchInputError(f"{where}: expected an object, got {type(item).__name__}")
    unknown = sorted(set(item) - set(FIELDS))
    if unknown:
        raise BatchInputError(f"{where}: unknown field {unknown[0]!r} (known: {', '.join(FIELDS)})")
    for field in FIELDS[:3]:
        if field not in item:
            raise BatchInputError(f"{where}: missing field {field!r}")
    try:
        return BatchRequest(**item)
    except ValueError as exc:  # every validator's message names its field
        raise BatchInputError(f"{where}: {exc}") from None


def load_batch_file(path: str) -> list[BatchRequest]:
    """The requests of batch file ``path``; :class:`BatchInputError` naming line and field."""
    try:
        text = read_text_bounded(path, limit=MAX_REQUESTS_BYTES, what="batch file")
    except PathError as exc:
        raise BatchInputError(exc.message) from None
    requests: list[BatchRequest] = []
    seen: set[str] = set()
    for line, item in _items(text, path):
        where = f"batch file {path}: line {line}"
        request = _request(item, where)
        if request.task_id in seen:
            raise BatchInputError(f"{where}: task_id {request.task_id!r} is used twice; each must be unique")
        seen.add(request.task_id)
        requests.append(request)
    return requests
