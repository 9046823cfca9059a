"""Usage telemetry: :class:`UsageTracker` records calls made outside workflows and answers
usage questions from the configured store (``telemetry.store``, default
``sqlite:///<cache_dir>/empathy.db``).

Aggregation runs in the store (SQL), never as a Python loop over all rows. Records older
than ``telemetry.retention_days`` (0 or less: kept forever) are deleted by
:meth:`UsageTracker.prune`, and by the store writer once per runtime before its first
write (:mod:`empathy_core.recorder`).
"""

from __future__ import annotations

import csv
import json
import logging
import os
import threading
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import attrs

from empathy_core.errors import ConfigError, EmpathyError, PricingError
from empathy_core.paths import write_atomically
from empathy_core.recorder import retention_cutoff
from empathy_core.records import ModelTier, Usage, UsageRecord, utcnow
from empathy_core.stores import TelemetryStore, UsageGroup

if TYPE_CHECKING:
    from empathy_core.config import EmpathyConfig
    from empathy_core.pricing import PriceTable
    from empathy_core.runtime import Empathy

log = logging.getLogger("empathy.telemetry")

ENTRY_FIELDS = tuple(
    name
    for field in attrs.fields(UsageRecord)
    for name in (
        ("input_tokens", "output_tokens", "cache_write_tokens", "cache_read_tokens", "cache_hit")
        if field.name == "usage"
        else (field.name,)
    )
)
"""Keys of :meth:`UsageTracker.get_recent_entries` entries and columns of the exports."""

_TOKEN_KEYS = {
    "input": "input_tokens",
    "output": "output_tokens",
    "cache_read": "cache_read_tokens",
    "cache_write": "cache_write_5m_tokens",
    "cache_creation": "cache_write_5m_tokens",
    "cache_write_5m": "cache_write_5m_tokens",
    "cache_write_1h": "cache_write_1h_tokens",
}


# -- the tracker -----------------------------------------------------------------------


@attrs.define
class _Sums:
    """Running totals over usage groups (integers: exact whatever the order)."""

    group: UsageGroup = attrs.Factory(lambda: UsageGroup("", "", "", "", "", False, True))
    failures: int = 0

    def add(self, group: UsageGroup) -> None:
        self.group = self.group.plus(group)
        self.failures += 0 if group.success else group.calls

    @property
    def calls(self) -> int:
        return self.group.calls

    @property
    def cost(self) -> float:
        return self.group.cost

    def tokens(self) -> dict[str, int]:
        u = self.group.usage
        parts = (u.input_tokens, u.output_tokens, u.cache_creation_tokens, u.cache_read_tokens)
        names = ("input", "output", "cache_write", "cache_read")
        return dict(zip(names, parts, strict=True), total=sum(parts))

    def summary(self) -> dict[str, Any]:
        return {
            "calls": self.calls,
            "failed_calls": self.failures,
            "cost": self.cost,
            "avg_cost_per_call": _ratio(self.cost, self.calls),
            "cache_hits": self.group.cache_hits,
            "cache_hit_rate": 100 * _ratio(self.group.cache_hits, self.calls),
            "tokens": self.tokens(),
        }


def _ratio(part: float, whole: float) -> float:
    return part / whole if whole else 0.0


def cache_savings(group: UsageGroup, table: PriceTable) -> float:
    """USD the prompt cache saved on ``group``: its cost with every cache token billed as
    plain input, minus its actual cost.

    = price_in x (reads x (1 - read multiplier) - 5-minute writes x (5m multiplier - 1)
    - 1-hour writes x (1h multiplier - 1)) / 1e6, halved for batches. Negative when
    cache writes were never read back. Raises :class:`PricingError` for unpriced models.
    """
    price_in = table.price_for(group.model).input
    m = table.multipliers
    tokens = (
        group.cache_read_tokens * (1 - m.cache_read)
        - group.cache_write_5m_tokens * (m.cache_write_5m - 1)
        - group.cache_write_1h_tokens * (m.cache_write_1h - 1)
    )
    saved = tokens * price_in / 1_000_000
    return saved * m.batch if group.batch else saved


def entry(record: UsageRecord) -> dict[str, Any]:
    """A record as a flat, JSON-ready dict with the :data:`ENTRY_FIELDS` keys."""
    u = record.usage
    flat = {f.name: getattr(record, f.name) for f in attrs.fields(UsageRecord)}
    flat.update(
        timestamp=record.timestamp.isoformat(),
        input_tokens=u.input_tokens,
        output_tokens=u.output_tokens,
        cache_write_tokens=u.cache_creation_tokens,
        cache_read_tokens=u.cache_read_tokens,
        cache_hit=record.cache_hit,
    )
    return {name: flat[name] for name in ENTRY_FIELDS}


def _since(days: float | None) -> datetime | None:
    if days is None:
        return None
    if days <= 0:
        raise ValueError(f"days must be positive, got {days!r}")
    return utcnow() - timedelta(days=days)


def _usage_from(tokens: Mapping[str, int] | None) -> Usage:
    values: dict[str, int] = {}
    for key, count in (tokens or {}).items():
        if key not in _TOKEN_KEYS:
            raise ValueError(f"unknown token kind {key!r} (expected: {', '.join(_TOKEN_KEYS)})")
        if not isinstance(count, int) or count < 0:
            raise ValueError(f"tokens[{key!r}] must be a non-negative integer, got {count!r}")
        field = _TOKEN_KEYS[key]
        values[field] = values.get(field, 0) + count
    return Usage(**values)


class UsageTracker:
    """Record LLM calls and answer usage questions from the configured telemetry store.

    ``UsageTracker.get_instance()`` is bound to the process-wide runtime; build
    ``UsageTracker(empathy)`` for a specific one. Figures come only from stored records:
    an empty store reports zeros, never estimated savings. Reads see every record this
    process made before them (pending records are flushed first).
    """

    _instance: ClassVar[UsageTracker | None] = None
    _instance_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, empathy: Empathy | None = None, *, store: TelemetryStore | None = None):
        if empathy is None:
            from empathy_core.runtime import Empathy

            empathy = Empathy.current()
        self.empathy = empathy
        self._store = store

    @classmethod
    def get_instance(cls) -> UsageTracker:
        """The tracker of the process-wide runtime (rebuilt if that runtime changes)."""
        from empathy_core.runtime import Empathy

        empathy = Empathy.current()
        with cls._instance_lock:
            if cls._instance is None or cls._instance.empathy is not empathy:
                cls._instance = cls(empathy)
            return cls._instance

    @property
    def config(self) -> EmpathyConfig:
        return self.empathy.config

    @property
    def store(self) -> TelemetryStore:
        """The configured store (the one the runtime writes to), pending records flushed."""
        self.empathy.flush()
        if self._store is None:
            self._store = self.empathy.open_backend("telemetry")
        return self._store

    # -- writing ---------------------------------------------------------------------

    def track_llm_call(
        self,
        workflow: str,
        stage: str,
        tier: ModelTier | str,
        model: str,
        provider: str = "anthropic",
        cost: float | None = None,
        tokens: Mapping[str, int] | None = None,
        cache_hit: bool | None = None,
        cache_type: str | None = None,
        duration_ms: float = 0.0,
        success: bool = True,
        *,
        usage: Usage | None = None,
        error: str | None = None,
        batch: bool = False,
        request_id: str | None = None,
        run_id: str | None = None,
        user_id: str | None = None,
        prompt: str | None = None,
    ) -> UsageRecord:
        """Record one LLM call made outside a workflow; returns the record sent to sinks.

        ``tokens`` maps ``input``, ``output``, ``cache_read``, ``cache_write`` (5-minute;
        alias ``cache_creation``) and ``cache_write_1h`` to counts (or pass ``usage``).
        ``cost=None`` computes the exact cost from the tokens and the configured prices
        (a failed call costs 0); an explicit ``cost`` is stored as given. A cache hit is
        counted from ``cache_read`` tokens: ``cache_hit``/``cache_type`` are accepted for
        compatibility, and ``cache_hit=True`` without cache-read tokens is logged and not
        counted, because nothing was read from the cache.
        """
        usage = usage if usage is not None else _usage_from(tokens)
        if cache_hit and not usage.cache_read_tokens:
            log.warning(
                "telemetry: cache_hit=True for %s/%s without cache_read tokens; not counted as a hit",
                workflow,
                stage,
            )
        if cost is None:
            cost = self.config.price_table().cost(model, usage, batch=batch) if success else 0.0
        record = UsageRecord(
            workflow=workflow,
            stage=stage,
            tier=ModelTier.parse(tier).value,
            provider=provider,
            model=model,
            usage=usage,
            cost=float(cost),
            duration_ms=float(duration_ms),
            success=success,
            error=error,
            batch=batch,
            request_id=request_id,
            run_id=run_id,
            user_id=user_id,
            prompt=prompt,
        )
        return self.empathy.record_usage(record)

    # -- reading ---------------------------------------------------------------------

    def get_stats(self, days: float | None = 30) -> dict[str, Any]:
        """Aggregate usage over the last ``days`` (``None``: all time).

        ``cache_hit_rate`` and ``success_rate`` are percentages of all calls.
        ``baseline_cost`` is what the successful calls' recorded tokens would have cost on
        the PREMIUM tier's model (same batch and cache treatment); ``savings`` is
        ``baseline_cost - total_cost``. ``cache_savings`` is defined by
        :func:`cache_savings`. Calls on free models (the mock provider's) spent nothing
        and count toward neither figure; models without a price are listed in
        ``unpriced_models`` and count toward neither.
        """
        groups = self.store.stats(_since(days))
        table = self.config.price_table()
        premium = self.config.model_for(ModelTier.PREMIUM)
        total = _Sums()
        by: dict[str, dict[str, _Sums]] = {"tier": {}, "workflow": {}, "model": {}}
        baseline = 0.0
        saved_by_cache = 0.0
        unpriced: set[str] = set()
        for group in groups:
            total.add(group)
            for key, sums in by.items():
                name = getattr(group, key)
                if name not in sums:
                    sums[name] = _Sums()
                sums[name].add(group)
            if not group.success:
                continue
            try:
                price = table.price_for(group.model)
            except PricingError:
                unpriced.add(group.model)
                continue
            if price.input == price.output == 0:
                continue  # a free model (the offline mock): nothing was spent, nothing saved
            baseline += table.cost(premium, group.usage, batch=group.batch)
            saved_by_cache += cache_savings(group, table)
        cost = total.cost
        return {
            "days": days,
            "total_calls": total.calls,
            "successful_calls": total.calls - total.failures,
            "failed_calls": total.failures,
            "success_rate": 100 * _ratio(total.calls - total.failures, total.calls),
            "total_cost": cost,
            "avg_cost_per_call": _ratio(cost, total.calls),
            "avg_duration_ms": _ratio(total.group.duration_ms, total.calls),
            "tokens": total.tokens(),
            "cache_hits": total.group.cache_hits,
            "cache_hit_rate": 100 * _ratio(total.group.cache_hits, total.calls),
            "cache_savings": saved_by_cache,
            "baseline_model": premium,
            "baseline_cost": baseline,
            "savings": baseline - cost,
            "savings_percent": 100 * _ratio(baseline - cost, baseline),
            "by_tier": {k: s.summary() for k, s in sorted(by["tier"].items())},
            "by_workflow": {k: s.summary() for k, s in sorted(by["workflow"].items())},
            "by_model": {k: s.summary() for k, s in sorted(by["model"].items())},
            "unpriced_models": sorted(unpriced),
        }

    def get_cache_stats(self, days: float | None = 7) -> dict[str, Any]:
        """Prompt-cache performance over the last ``days``.

        ``hit_rate`` is a fraction (0..1) of all calls that read cache tokens;
        ``savings`` is the USD sum of :func:`cache_savings` over successful calls.
        """
        groups = self.store.stats(_since(days))
        table = self.config.price_table()
        per_workflow: dict[str, dict[str, Any]] = {}
        for group in groups:
            row = per_workflow.setdefault(
                group.workflow,
                {"calls": 0, "hits": 0, "cache_read_tokens": 0, "cache_write_tokens": 0, "savings": 0.0},
            )
            row["calls"] += group.calls
            row["hits"] += group.cache_hits
            row["cache_read_tokens"] += group.cache_read_tokens
            row["cache_write_tokens"] += group.usage.cache_creation_tokens
            if group.success:
                try:
                    row["savings"] += cache_savings(group, table)
                except PricingError:
                    row.setdefault("unpriced_models", set()).add(group.model)
        for row in per_workflow.values():
            row["hit_rate"] = _ratio(row["hits"], row["calls"])
        unpriced = set().union(*(row.pop("unpriced_models", set()) for row in per_workflow.values()))
        calls = sum(r["calls"] for r in per_workflow.values())
        hits = sum(r["hits"] for r in per_workflow.values())
        return {
            "days": days,
            "calls": calls,
            "hits": hits,
            "hit_rate": _ratio(hits, calls),
            "cache_read_tokens": sum(r["cache_read_tokens"] for r in per_workflow.values()),
            "cache_write_tokens": sum(r["cache_write_tokens"] for r in per_workflow.values()),
            "savings": sum(r["savings"] for r in per_workflow.values()),
            "by_workflow": dict(sorted(per_workflow.items())),
            "unpriced_models": sorted(unpriced),
        }

    def get_recent_entries(self, limit: int = 100, days: float | None = 7) -> list[dict[str, Any]]:
        """The ``limit`` newest calls of the last ``days``, newest first, as flat dicts."""
        return [entry(r) for r in self.store.recent(limit, _since(days))]

    def iter_entries(self, days: float | None = None) -> Iterator[dict[str, Any]]:
        """Every call of the last ``days`` (``None``: all), oldest first, streamed."""
        return (entry(r) for r in self.store.iter_records(_since(days)))

    def export_to_csv(self, filepath: str | os.PathLike[str], days: float | None = None) -> int:
        """Write the calls of the last ``days`` to ``filepath`` as CSV; returns the row count.

        The file appears complete or not at all (written beside it, then renamed).
        """
        return write_atomically(Path(filepath), lambda handle: _csv_rows(handle, self.iter_entries(days)))

    def export_to_json(self, filepath: str | os.PathLike[str], days: float | None = None) -> int:
        """Write the calls of the last ``days`` to ``filepath`` as a JSON array; returns the count."""
        return write_atomically(Path(filepath), lambda handle: _json_rows(handle, self.iter_entries(days)))

    def prune(self, days: float | None = None) -> int:
        """Delete the calls older than ``days`` (default ``telemetry.retention_days``);
        returns how many were removed.

        Refuses (:class:`EmpathyError`, nothing deleted) a ``days`` of 0 or less, and
        with :class:`ConfigError` a configured ``retention_days`` of 0 or less, which
        means records are kept forever.
        """
        if days is None:
            days = self.config.telemetry.retention_days
            if days <= 0:
                raise ConfigError(
                    f"telemetry.retention_days is {days}: records are kept forever, so there is "
                    "no default to prune to; give a positive number of days"
                )
        elif days <= 0:
            raise EmpathyError(
                f"cannot prune to {days} days: give a positive number of days (to delete every "
                "call, reset the store)"
            )
        return self.store.prune(retention_cutoff(days))

    def reset(self) -> None:
        """Delete every stored call."""
        self.store.reset()


def _csv_rows(handle: Any, entries: Iterable[dict[str, Any]]) -> int:
    writer = csv.DictWriter(handle, fieldnames=ENTRY_FIELDS)
    writer.writeheader()
    count = 0
    for count, row in enumerate(entries, start=1):  # noqa: B007
        writer.writerow(row)
    return count


def _json_rows(handle: Any, entries: Iterable[dict[str, Any]]) -> int:
    count = 0
    handle.write("[")
    for count, row in enumerate(entries, start=1):
        handle.write(("\n  " if count == 1 else ",\n  ") + json.dumps(row, sort_keys=False))
    handle.write("\n]\n" if count else "]\n")
    return count
