"""The telemetry store contract: the Protocol, its aggregate record, and the plain definition.

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
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Protocol, runtime_checkable

import attrs

from empathy_core.records import Usage, UsageRecord

NANO = 1_000_000_000
"""Costs are stored as integer nano-dollars (1e-9 USD): exact sums, no float drift."""

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

    def plus(self, other: UsageGroup) -> UsageGroup:
        """This group's key with both groups' sums."""
        return attrs.evolve(self, **{name: getattr(self, name) + getattr(other, name) for name in SUMMED})

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


SUMMED = tuple(f.name for f in attrs.fields(UsageGroup) if f.default is not attrs.NOTHING)
"""The fields of a :class:`UsageGroup` that are sums (the others are its key)."""


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


# -- helpers every store may use ---------------------------------------------------------


def redact_url(url: str) -> str:
    """``url`` with any password replaced by ``***`` (for messages and ``store.url``)."""
    return _PASSWORD.sub(r"\1***@", url)


def to_nano(cost: float) -> int:
    """USD to integer nano-dollars."""
    return round(cost * NANO)


def group_records(records: Iterable[UsageRecord]) -> list[UsageGroup]:
    """Aggregate records in Python into :class:`UsageGroup` s: the plain definition of
    :meth:`TelemetryStore.stats`, for scan-based stores and for conformance tests."""
    groups: dict[tuple[object, ...], UsageGroup] = {}
    for r in records:
        key = (r.workflow, r.stage, r.tier, r.provider, r.model, r.batch, r.success)
        one = UsageGroup(
            *key,
            calls=1,
            cache_hits=int(r.cache_hit),
            **attrs.asdict(r.usage),
            cost_nano=to_nano(r.cost),
            duration_ms=r.duration_ms,
        )
        groups[key] = groups[key].plus(one) if key in groups else one
    return list(groups.values())
