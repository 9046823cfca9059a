"""The telemetry store contract, and the row mapping every SQL store shares.

A telemetry store keeps :class:`~empathy_core.records.UsageRecord` rows and answers the
queries :class:`~empathy_core.telemetry.UsageTracker` needs. Storage plugins register a
factory for the ``"telemetry"`` role through ``empathy_register_backends``; the one store
named by ``telemetry.store`` (a URL) is opened with ``pm.open_backend("telemetry", url)``.

Aggregation happens in the store (SQL ``GROUP BY``): :meth:`TelemetryStore.stats`
returns one :class:`UsageGroup` per distinct (workflow, stage, tier, provider, model,
batch, success), never the raw rows. Costs are kept as integer nano-dollars so that sums
are exact whatever the order of summation.

Third-party stores prove themselves with the reusable test suite
:class:`empathy_core.testing.store_conformance.TelemetryStoreConformance`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, runtime_checkable

import attrs

from empathy_core.records import Usage, UsageRecord

NANO = 1_000_000_000
"""Costs are stored as integer nano-dollars (1e-9 USD): exact sums, no float drift."""

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
HOUR_US = 3_600_000_000
"""Microseconds in an hour: the bucket of the per-hour rollup tables."""
DAY_US = 24 * HOUR_US
"""Microseconds in a day: the bucket of the per-day rollup tables."""

GROUP_KEYS = ("workflow", "stage", "tier", "provider", "model", "batch", "success")
"""The columns a :class:`UsageGroup` is keyed by (and the rollup tables' key after ``day``)."""

SUM_COLUMNS = (
    "input_tokens",
    "output_tokens",
    "cache_write_5m_tokens",
    "cache_write_1h_tokens",
    "cache_read_tokens",
    "cost_nano",
    "duration_ms",
)
"""The per-row quantities a :class:`UsageGroup` sums."""

RECORD_COLUMNS = (
    "record_id",
    "ts_us",
    "workflow",
    "stage",
    "tier",
    "provider",
    "model",
    "input_tokens",
    "output_tokens",
    "cache_write_5m_tokens",
    "cache_write_1h_tokens",
    "cache_read_tokens",
    "cost_nano",
    "duration_ms",
    "success",
    "error",
    "batch",
    "request_id",
    "run_id",
    "user_id",
    "prompt",
)
"""Columns of the ``usage`` table, in the order :func:`record_to_row` produces them."""

_PASSWORD = re.compile(r"(://[^:/@]*:)[^@/]*@")


@attrs.frozen
class UsageGroup:
    """Sums over every record sharing one (workflow, stage, tier, provider, model, batch, success).

    ``calls`` counts records, ``cache_hits`` those that read prompt-cache tokens;
    ``cost_nano`` is the summed cost in nano-dollars (see :attr:`cost`).
    """

    workflow: str
    stage: str
    tier: str
    provider: str
    model: str
    batch: bool
    success: bool
    calls: int = 0
    cache_hits: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cache_write_5m_tokens: int = 0
    cache_write_1h_tokens: int = 0
    cache_read_tokens: int = 0
    cost_nano: int = 0
    duration_ms: float = 0.0

    @property
    def cost(self) -> float:
        """Summed cost in USD."""
        return self.cost_nano / NANO

    @property
    def usage(self) -> Usage:
        """The summed tokens as one :class:`~empathy_core.records.Usage`."""
        return Usage(
            input_tokens=self.input_tokens,
            output_tokens=self.output_tokens,
            cache_write_5m_tokens=self.cache_write_5m_tokens,
            cache_write_1h_tokens=self.cache_write_1h_tokens,
            cache_read_tokens=self.cache_read_tokens,
        )


@runtime_checkable
class TelemetryStore(Protocol):
    """What a telemetry backend provides. Implementations must be safe to use from
    several threads of one process and from several processes at once.

    ``write``/``write_many`` are idempotent per ``record_id`` (a second write of the
    same record is ignored) and atomic: after a crash either a whole ``write_many``
    batch is stored or none of it. ``since`` is an aware datetime (``None``: all time);
    records with ``timestamp >= since`` count.
    """

    url: str
    """The URL the store was opened with (password redacted)."""
    schema_version: int
    """Version of the schema this store reads and writes."""

    def write(self, record: UsageRecord) -> None:
        """Store one record."""

    def write_many(self, records: Iterable[UsageRecord]) -> int:
        """Store many records in one transaction; return how many were new."""

    def stats(self, since: datetime | None = None) -> list[UsageGroup]:
        """Aggregates since ``since``, one :class:`UsageGroup` per distinct key."""

    def recent(self, limit: int = 100, since: datetime | None = None) -> list[UsageRecord]:
        """The ``limit`` newest records since ``since``, newest first."""

    def iter_records(self, since: datetime | None = None) -> Iterator[UsageRecord]:
        """Every record since ``since``, oldest first, streamed (for export)."""

    def count(self) -> int:
        """Number of stored records."""

    def prune(self, before: datetime) -> int:
        """Delete every record with ``timestamp < before``; return how many were removed.

        Afterwards every query (``stats`` for any ``since``, ``recent``, ``iter_records``,
        ``count``) answers exactly as if those records had never been written, aggregates
        included; newer records are untouched, and a second call with the same ``before``
        removes nothing. Writing a pruned record again stores it again.
        """

    def reset(self) -> None:
        """Delete every record and aggregate; the schema stays."""

    def close(self) -> None:
        """Release connections; the store is unusable afterwards."""


# -- helpers shared by SQL stores -------------------------------------------------------


def redact_url(url: str) -> str:
    """``url`` with any password replaced by ``***`` (for messages and ``store.url``)."""
    return _PASSWORD.sub(r"\1***@", url)


def to_us(moment: datetime) -> int:
    """Microseconds since the epoch of an aware datetime (naive means UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - EPOCH) // timedelta(microseconds=1)


def from_us(value: int) -> datetime:
    """Inverse of :func:`to_us`: an aware UTC datetime."""
    return EPOCH + timedelta(microseconds=value)


def to_nano(cost: float) -> int:
    """USD to integer nano-dollars."""
    return round(cost * NANO)


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


def record_to_row(record: UsageRecord) -> tuple[Any, ...]:
    """A record as values in :data:`RECORD_COLUMNS` order (booleans as 0/1)."""
    u = record.usage
    return (
        record.record_id,
        to_us(record.timestamp),
        record.workflow,
        record.stage,
        record.tier,
        record.provider,
        record.model,
        u.input_tokens,
        u.output_tokens,
        u.cache_write_5m_tokens,
        u.cache_write_1h_tokens,
        u.cache_read_tokens,
        to_nano(record.cost),
        float(record.duration_ms),
        int(record.success),
        record.error,
        int(record.batch),
        record.request_id,
        record.run_id,
        record.user_id,
        record.prompt,
    )


def row_to_record(row: Sequence[Any]) -> UsageRecord:
    """Inverse of :func:`record_to_row`."""
    (
        record_id, ts_us, workflow, stage, tier, provider, model,
        input_tokens, output_tokens, cw5, cw1h, cache_read, cost_nano, duration_ms,
        success, error, batch, request_id, run_id, user_id, prompt,
    ) = row  # fmt: skip
    return UsageRecord(
        workflow=workflow,
        stage=stage,
        tier=tier,
        provider=provider,
        model=model,
        usage=Usage(int(input_tokens), int(output_tokens), int(cw5), int(cw1h), int(cache_read)),
        cost=int(cost_nano) / NANO,
        duration_ms=float(duration_ms),
        success=bool(success),
        error=error,
        batch=bool(batch),
        request_id=request_id,
        run_id=run_id,
        user_id=user_id,
        prompt=prompt,
        timestamp=from_us(int(ts_us)),
        record_id=record_id,
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


def group_records(records: Iterable[UsageRecord]) -> list[UsageGroup]:
    """Aggregate records in Python into :class:`UsageGroup` s.

    For scan-based stores (JSONL) and for tests that check a store's SQL against the
    plain definition; SQL stores aggregate in the database.
    """
    sums: dict[tuple[Any, ...], list[Any]] = {}
    for r in records:
        key = (r.workflow, r.stage, r.tier, r.provider, r.model, r.batch, r.success)
        acc = sums.setdefault(key, [0, 0, 0, 0, 0, 0, 0, 0, 0.0])
        u = r.usage
        for i, value in enumerate(
            (
                1,
                int(r.cache_hit),
                u.input_tokens,
                u.output_tokens,
                u.cache_write_5m_tokens,
                u.cache_write_1h_tokens,
                u.cache_read_tokens,
                to_nano(r.cost),
                r.duration_ms,
            )
        ):
            acc[i] += value
    return [row_to_group((*key, *acc)) for key, acc in sums.items()]
