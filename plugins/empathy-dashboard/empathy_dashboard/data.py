"""Everything the dashboard shows, as JSON-ready dicts, read through the public API only.

Telemetry comes from :class:`~empathy_core.UsageTracker` and the configured
:class:`~empathy_core.TelemetryStore` (``stats(since)`` aggregates, ``recent``); agents,
events and approvals from the facades of ``empathy-coordination``; routing advice from
``empathy-routing`` when it is installed. So the page shows whichever stores are
configured (SQLite, PostgreSQL, Redis) alike. No prompt, API key or raw user id is ever
part of an answer: usage records are reduced to figures, and free-form payloads pass
:func:`~empathy_dashboard.scrub.scrub`.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

import attrs

from empathy_core import (
    NANO,
    EmpathyError,
    ModelTier,
    PricingError,
    UsageTracker,
    check_name,
    to_dict,
    utcnow,
)
from empathy_dashboard.cache import TelemetryCache
from empathy_dashboard.scrub import scrub

if TYPE_CHECKING:
    from empathy_core import Empathy, Event, Heartbeat, TelemetryStore, UsageGroup, UsageRecord

GroupBy = Literal["workflow", "tier", "model"]
GROUP_BY: tuple[GroupBy, ...] = ("workflow", "tier", "model")
RUN_WINDOW = 2000
"""Runs are assembled from this many newest calls (the store contract has no per-run query)."""
RUN_EVENTS = 500
"""A run's events are looked for among this many newest events."""
MAX_REASON = 1000
MAX_ROUTED_STAGES = 100


class NotFound(EmpathyError):
    """The named run or approval request does not exist (HTTP 404)."""


class Conflict(EmpathyError):
    """The approval request already has an answer (HTTP 409)."""


def iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def usd(nano: int) -> float:
    return nano / NANO


def buckets(days: float, now: datetime) -> tuple[str, list[datetime]]:
    """``("hour" | "day", starts)``: the bucket starts covering the last ``days``, oldest
    first, aligned to whole UTC hours (up to two days) or days."""
    if days <= 2:
        top = now.replace(minute=0, second=0, microsecond=0)
        count, step, unit = max(1, round(days * 24)), timedelta(hours=1), "hour"
    else:
        top = now.replace(hour=0, minute=0, second=0, microsecond=0)
        count, step, unit = max(1, round(days)), timedelta(days=1), "day"
    return unit, [top - step * i for i in range(count - 1, -1, -1)]


@attrs.frozen
class Snapshot:
    """A telemetry store answering one prefetched aggregate: one request's consistent view
    for :class:`~empathy_core.UsageTracker` (which reads only ``stats``)."""

    groups: list[UsageGroup]
    url: str

    def stats(self, since: datetime | None = None) -> list[UsageGroup]:
        return self.groups


@attrs.define
class DashboardData:
    """The dashboard's reads and its one write (answering an approval request)."""

    empathy: Empathy
    run_window: int = RUN_WINDOW
    _tracker: UsageTracker | None = attrs.field(default=None, init=False)
    _cache: TelemetryCache | None = attrs.field(default=None, init=False)

    @property
    def tracker(self) -> UsageTracker:
        if self._tracker is None:
            self._tracker = UsageTracker(self.empathy)
        return self._tracker

    @property
    def store(self) -> TelemetryStore:
        return self.tracker.store

    @property
    def cache(self) -> TelemetryCache:
        store = self.store
        if self._cache is None or self._cache.store is not store:
            self._cache = TelemetryCache(store)
        return self._cache

    # -- costs -----------------------------------------------------------------------

    def summary(self, days: float | None) -> dict[str, Any]:
        """``UsageTracker.get_stats`` and ``get_cache_stats`` over ``days``, plus each tier's
        cost against the same calls on the PREMIUM tier's model: all from one aggregate."""
        since = None if days is None else utcnow() - timedelta(days=days)
        groups = self.store.stats(since)
        tracker = UsageTracker(self.empathy, store=Snapshot(groups, self.store.url))  # type: ignore[arg-type]
        return {
            "days": days,
            "stats": tracker.get_stats(days),
            "cache": tracker.get_cache_stats(days),
            "tier_savings": self.tier_savings(groups),
        }

    def tier_savings(self, groups: list[UsageGroup]) -> list[dict[str, Any]]:
        """Per tier: cost, the all-PREMIUM baseline and the difference, counted as
        ``get_stats`` counts its ``baseline_cost`` (successful, priced, non-free calls)."""
        config = self.empathy.config
        table = config.price_table()
        premium = config.model_for(ModelTier.PREMIUM)
        rows: dict[str, dict[str, Any]] = {}
        for group in groups:
            row = rows.setdefault(
                group.tier, {"tier": group.tier, "calls": 0, "cost": 0.0, "baseline_cost": 0.0}
            )
            row["calls"] += group.calls
            if not group.success:
                continue
            try:
                price = table.price_for(group.model)
            except PricingError:
                continue
            if price.input == price.output == 0:
                continue
            row["cost"] += group.cost
            row["baseline_cost"] += table.cost(premium, group.usage, batch=group.batch)
        for row in rows.values():
            row["savings"] = row["baseline_cost"] - row["cost"]
            baseline = row["baseline_cost"]
            row["savings_percent"] = 100 * row["savings"] / baseline if baseline else 0.0
        order = {tier.value: i for i, tier in enumerate(ModelTier)}
        return sorted(rows.values(), key=lambda r: (order.get(r["tier"], 99), r["tier"]))

    def timeseries(self, days: float, by: GroupBy) -> dict[str, Any]:
        """Cost and calls per bucket (hour or UTC day) and per ``by`` key over ``days``.

        Bucket ``i`` is ``stats(start_i)`` minus ``stats(start_i+1)``: aggregates only;
        finished buckets are kept (:class:`~empathy_dashboard.cache.TelemetryCache`).
        """
        if by not in GROUP_BY:
            raise ValueError(f"by must be one of {', '.join(GROUP_BY)}, got {by!r}")
        unit, starts = buckets(days, utcnow())
        position = GROUP_BY.index(by)
        cost: dict[str, list[int]] = defaultdict(lambda: [0] * len(starts))
        calls: dict[str, list[int]] = defaultdict(lambda: [0] * len(starts))
        for i, sums in enumerate(self.cache.buckets(starts)):
            for key, (nano, count) in sums.items():
                cost[key[position]][i] += nano
                calls[key[position]][i] += count
        return {
            "days": days,
            "by": by,
            "bucket": unit,
            "times": [int(start.timestamp()) for start in starts],
            "series": [
                {
                    "name": key,
                    "cost": [usd(n) for n in cost[key]],
                    "calls": calls[key],
                    "total_cost": usd(sum(cost[key])),
                }
                for key in sorted(cost, key=lambda k: (-sum(cost[k]), k))
            ],
        }

    # -- runs ------------------------------------------------------------------------

    def _runs(self, days: float | None) -> dict[str, dict[str, Any]]:
        since = None if days is None else utcnow() - timedelta(days=days)
        runs: dict[str, dict[str, Any]] = {}
        for record in self.cache.newest(self.run_window):
            if record.run_id and (since is None or record.timestamp >= since):
                add_call(runs, record)
        agents = {
            str(beat.metadata["run_id"]): beat
            for beat in self.heartbeats()
            if isinstance(beat.metadata.get("run_id"), str) and beat.metadata["run_id"] in runs
        }
        for run_id, run in runs.items():
            run["stages"] = sorted(run.pop("_stages").values(), key=lambda s: s["first"])
            beat = agents.get(run_id)
            run["status"] = run_status(beat, run)
            run["agent_id"] = beat.agent_id if beat else None
        return runs

    def runs(self, days: float | None, sort: Literal["cost", "recent"], limit: int) -> dict[str, Any]:
        """The most expensive (``sort="cost"``) or newest runs among the newest
        ``run_window`` calls of the last ``days``."""
        runs = list(self._runs(days).values())
        key = (lambda r: (-r["cost"], r["run_id"])) if sort == "cost" else (lambda r: r["last"])
        runs.sort(key=key, reverse=sort == "recent")
        return {"days": days, "sort": sort, "window": self.run_window, "runs": runs[:limit]}

    def run(self, run_id: str) -> dict[str, Any]:
        """One run's stages, its heartbeat's final state and its events."""
        from empathy_coordination import EventStreamer

        check_name(run_id, "run_id")
        run = self._runs(None).get(run_id)
        recent = EventStreamer(empathy=self.empathy).get_recent_events(count=RUN_EVENTS)
        events = [event_row(e) for e in recent if e.data.get("run_id") == run_id]
        checkpoints = self.checkpoints(run_id)
        if run is None and not events and not checkpoints.get("run"):
            raise NotFound(
                f"no run {run_id!r} among the newest {self.run_window} calls or {RUN_EVENTS} events"
            )
        return {"run_id": run_id, "run": run, "events": events, "checkpoints": checkpoints}

    def checkpoints(self, run_id: str) -> dict[str, Any]:
        """The run as ``empathy-checkpoints`` stored it: status, attempts, worker and the
        finished stages with their figures (never the input or the outputs, which may hold
        prompt text). ``{"available": False}`` without that plugin."""
        if "empathy-checkpoints" not in {info.dist for info in self.empathy.infos.values()}:
            return {"available": False, "reason": "empathy-checkpoints is not installed"}
        from empathy_checkpoints.durable import open_store

        store = open_store(self.empathy)
        record = store.get_run(run_id)
        stages = [
            {
                "stage": c.stage,
                "sequence": c.sequence,
                "tier": c.tier,
                "model": c.model,
                "calls": c.calls,
                "tokens_in": c.tokens_in,
                "tokens_out": c.tokens_out,
                "cost": c.cost,
                "duration_ms": c.duration_ms,
                "finished_at": iso(c.finished_at),
            }
            for c in (store.stages(run_id) if record is not None else [])
        ]
        run = None
        if record is not None:
            run = {
                "workflow": record.workflow,
                "status": record.status,
                "attempts": record.attempts,
                "owner": record.owner,
                "created_at": iso(record.created_at),
                "updated_at": iso(record.updated_at),
                "error": record.error,
            }
        return {"available": True, "run": run, "stages": stages}

    # -- coordination ----------------------------------------------------------------

    def heartbeats(self) -> list[Heartbeat]:
        from empathy_coordination import HeartbeatCoordinator

        return HeartbeatCoordinator(empathy=self.empathy).get_all_agents()

    def agents(self) -> dict[str, Any]:
        """Every agent's latest heartbeat, the live ones first, stale ones flagged."""
        now = utcnow()
        rows = [
            {**scrub(to_dict(beat)), "stale": beat.is_stale(now), "finished": beat.finished}
            for beat in self.heartbeats()
        ]
        rows.sort(key=lambda r: str(r["last_beat"]), reverse=True)
        rows.sort(key=lambda r: r["finished"])  # stable: live agents first, newest beat first
        return {
            "agents": rows,
            "active": sum(not r["finished"] and not r["stale"] for r in rows),
            "stale": sum(r["stale"] for r in rows),
        }

    def events(self, count: int = 50, event_type: str | None = None) -> dict[str, Any]:
        """The newest ``count`` events (of ``event_type``), newest first."""
        from empathy_coordination import EventStreamer

        if event_type is not None:
            check_name(event_type, "type")
        events = EventStreamer(empathy=self.empathy).get_recent_events(event_type, count)
        return {"events": [event_row(e) for e in events]}

    def approvals(self) -> dict[str, Any]:
        """Approval requests waiting for an answer, oldest first."""
        from empathy_coordination import ApprovalGate

        pending = ApprovalGate(empathy=self.empathy).get_pending_approvals()
        return {
            "approvals": [
                {
                    "request_id": r.request_id,
                    "approval_type": r.approval_type,
                    "agent_id": r.agent_id,
                    "context": scrub(r.context),
                    "timeout": r.timeout,
                    "requested_at": iso(r.requested_at),
                    "deadline": iso(r.deadline),
                }
                for r in pending
            ]
        }

    def respond(self, request_id: str, approved: bool, responder: str, reason: str) -> dict[str, Any]:
        """Answer a pending request as ``responder``; :class:`NotFound` for an unknown id,
        :class:`Conflict` when it was already answered (the first answer wins)."""
        from empathy_coordination import ApprovalGate, UnknownApprovalError

        check_name(request_id, "request_id")
        check_name(responder, "responder")
        if not isinstance(reason, str) or len(reason) > MAX_REASON:
            raise ValueError(f"reason must be text of at most {MAX_REASON} characters")
        if not approved and not reason.strip():
            raise ValueError("a rejection needs a reason")
        gate = ApprovalGate(empathy=self.empathy)
        try:
            answered = gate.respond_to_approval(request_id, approved, responder=responder, reason=reason)
        except UnknownApprovalError:
            raise NotFound(f"no approval request {request_id!r}") from None
        if not answered:
            status = gate.get_request(request_id).status
            raise Conflict(f"approval request {request_id} was already {status}")
        return {"request_id": request_id, "approved": approved, "responder": responder, "reason": reason}

    # -- routing ---------------------------------------------------------------------

    def routing(self, days: float) -> dict[str, Any]:
        """Per (workflow, stage) seen in the last ``days`` of telemetry: the router's
        best model and its upgrade / downgrade advice; ``available: false`` with the
        reason when ``empathy-routing`` is not installed or not loaded."""
        try:
            from empathy_routing import AdaptiveModelRouter
        except ImportError:
            return {"available": False, "reason": "the empathy-routing plugin is not installed", "stages": []}
        try:
            router = AdaptiveModelRouter(self.tracker)
        except (EmpathyError, LookupError) as exc:
            return {"available": False, "reason": f"empathy-routing is not loaded: {exc}", "stages": []}
        pairs = sorted({(g.workflow, g.stage) for g in self.store.stats(utcnow() - timedelta(days=days))})
        rows = []
        for workflow, stage in pairs[:MAX_ROUTED_STAGES]:
            try:
                decision = router.decide(workflow, stage, cache_key="dashboard")
                up, up_why = router.recommend_tier_upgrade(workflow, stage)
                down, down_why = router.recommend_tier_downgrade(workflow, stage)
            except ValueError:  # a name the router refuses: nothing to advise on
                continue
            rows.append(
                {
                    "workflow": workflow,
                    "stage": stage,
                    "best_model": decision.model,
                    "best_tier": decision.tier.value,
                    "confidence": decision.confidence,
                    "model_reason": decision.reason,
                    "action": "upgrade" if up else "downgrade" if down else "keep",
                    "reason": up_why if up or not down else down_why,
                }
            )
        return {"available": True, "days": days, "stages": rows, "truncated": len(pairs) > MAX_ROUTED_STAGES}


def event_row(event: Event) -> dict[str, Any]:
    return {
        "event_id": event.event_id,
        "event_type": event.event_type,
        "timestamp": iso(event.timestamp),
        "data": scrub(event.data),
    }


def add_call(runs: dict[str, dict[str, Any]], record: UsageRecord) -> None:
    """Add one usage record to its run and stage (figures only: no prompt, no user id)."""
    assert record.run_id is not None  # nosec B101 - the caller filters
    run = runs.get(record.run_id)
    moment = record.timestamp.isoformat()
    if run is None:
        run = runs[record.run_id] = {
            "run_id": record.run_id,
            "workflow": record.workflow,
            "first": moment,
            "last": moment,
            "calls": 0,
            "failed_calls": 0,
            "cost": 0.0,
            "tokens": 0,
            "_stages": {},
        }
    key = f"{record.stage}\0{record.tier}\0{record.model}"
    stage = run["_stages"].setdefault(
        key,
        {
            "stage": record.stage,
            "tier": record.tier,
            "model": record.model,
            "first": moment,
            "calls": 0,
            "failed_calls": 0,
            "cost": 0.0,
            "input_tokens": 0,
            "output_tokens": 0,
            "cache_read_tokens": 0,
            "duration_ms": 0.0,
        },
    )
    usage = record.usage
    for row in (run, stage):
        row["calls"] += 1
        row["failed_calls"] += 0 if record.success else 1
        row["cost"] += record.cost
        row["first"] = min(row["first"], moment)
    run["last"] = max(run["last"], moment)
    run["tokens"] += usage.input_tokens + usage.output_tokens
    stage["input_tokens"] += usage.input_tokens
    stage["output_tokens"] += usage.output_tokens
    stage["cache_read_tokens"] += usage.cache_read_tokens
    stage["duration_ms"] += record.duration_ms


def run_status(beat: Heartbeat | None, run: dict[str, Any]) -> str:
    """The run's heartbeat status when it was tracked, else what its calls say."""
    if beat is not None:
        return "stale" if beat.is_stale() else beat.status
    return "failed calls" if run["failed_calls"] else "recorded"
