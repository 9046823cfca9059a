"""Records as rows: the ``usage`` table's columns and the mapping both ways.

Column lists are generated from the attrs fields of
:class:`~empathy_core.UsageRecord` and :class:`~empathy_core.Usage`, so a new field
cannot be forgotten in one of them. Costs are integer nano-dollars, times are
microseconds since the epoch, booleans are 0/1.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs

from empathy_core import NANO, Usage, UsageGroup, UsageRecord, to_nano

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
HOUR_US = 3_600_000_000
"""Microseconds in an hour: the bucket of the per-hour rollup tables."""
DAY_US = 24 * HOUR_US
"""Microseconds in a day: the bucket of the per-day rollup tables."""

GROUP_KEYS = tuple(f.name for f in attrs.fields(UsageGroup) if f.default is attrs.NOTHING)
"""The columns a :class:`UsageGroup` is keyed by (and the rollup tables' key after ``day``)."""

SUM_COLUMNS = tuple(
    f.name
    for f in attrs.fields(UsageGroup)
    if f.default is not attrs.NOTHING and f.name not in ("calls", "cache_hits")
)
"""The per-row quantities a :class:`UsageGroup` sums (its counts, ``calls`` and ``cache_hits``, aside)."""

_USAGE_COLUMNS = tuple(f.name for f in attrs.fields(Usage))
_RENAMED = {"usage": _USAGE_COLUMNS, "cost": ("cost_nano",), "timestamp": (), "record_id": ()}
RECORD_COLUMNS = (
    "record_id",
    "ts_us",
    *(c for f in attrs.fields(UsageRecord) for c in _RENAMED.get(f.name, (f.name,))),
)
"""Columns of the ``usage`` table, in the order :func:`record_to_row` produces them."""


def to_us(moment: datetime) -> int:
    """Microseconds since the epoch of an aware datetime (naive means UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - EPOCH) // timedelta(microseconds=1)


def from_us(value: int) -> datetime:
    """Inverse of :func:`to_us`: an aware UTC datetime."""
    return EPOCH + timedelta(microseconds=value)


@attrs.frozen
class SinceBounds:
    """How a SQL store with hourly and daily rollups answers ``stats(since)`` exactly.

    Raw rows with ``since_us <= ts_us < first_hour * HOUR_US`` (less than an hour),
    hourly rollup rows with ``first_hour <= hour < first_day * 24`` (less than a day),
    and daily rollup rows with ``day >= first_day`` cover every record since ``since``
    exactly once.
    """

    since_us: int
    first_hour: int
    first_day: int

    @classmethod
    def of(cls, since: datetime) -> SinceBounds:
        since_us = to_us(since)
        return cls(since_us, -(-since_us // HOUR_US), -(-since_us // DAY_US))

    def params(self) -> dict[str, int]:
        """Query parameters ``since_us``, ``first_hour``, ``first_day``."""
        return attrs.asdict(self)


def group_key(record: UsageRecord) -> tuple[str, str, str, str, str, int, int]:
    """The :data:`GROUP_KEYS` values of ``record`` (booleans as 0/1)."""
    return (
        record.workflow,
        record.stage,
        record.tier,
        record.provider,
        record.model,
        int(record.batch),
        int(record.success),
    )


_BOOLEANS = {"success", "batch"}


def record_to_row(record: UsageRecord) -> tuple[Any, ...]:
    """A record as values in :data:`RECORD_COLUMNS` order (booleans as 0/1)."""
    values: dict[str, Any] = attrs.asdict(record.usage)
    values.update({f.name: getattr(record, f.name) for f in attrs.fields(UsageRecord)})
    values.update(ts_us=to_us(record.timestamp), cost_nano=to_nano(record.cost))
    values["duration_ms"] = float(record.duration_ms)
    return tuple(int(values[c]) if c in _BOOLEANS else values[c] for c in RECORD_COLUMNS)


def row_to_record(row: Sequence[Any]) -> UsageRecord:
    """Inverse of :func:`record_to_row`."""
    values = dict(zip(RECORD_COLUMNS, row, strict=True))
    usage = Usage(**{c: int(values.pop(c)) for c in _USAGE_COLUMNS})
    fields: dict[str, Any] = {c: values[c] for c in RECORD_COLUMNS if c in attrs.fields_dict(UsageRecord)}
    fields.update({c: bool(values[c]) for c in _BOOLEANS}, duration_ms=float(values["duration_ms"]))
    return UsageRecord(
        **fields,
        usage=usage,
        cost=int(values["cost_nano"]) / NANO,
        timestamp=from_us(int(values["ts_us"])),
    )


def row_to_group(row: Sequence[Any]) -> UsageGroup:
    """A result row ``GROUP_KEYS + ("calls", "cache_hits") + SUM_COLUMNS`` as a group."""
    keys = dict(zip(GROUP_KEYS, row[: len(GROUP_KEYS)], strict=True))
    calls, hits, *sums = row[len(GROUP_KEYS) :]
    values = dict(zip(SUM_COLUMNS, sums, strict=True))
    return UsageGroup(
        workflow=keys["workflow"],
        stage=keys["stage"],
        tier=keys["tier"],
        provider=keys["provider"],
        model=keys["model"],
        batch=bool(keys["batch"]),
        success=bool(keys["success"]),
        calls=int(calls),
        cache_hits=int(hits),
        **{k: int(v) for k, v in values.items() if k != "duration_ms"},
        duration_ms=float(values["duration_ms"]),
    )
