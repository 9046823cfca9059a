"""Usage records as OpenTelemetry GenAI spans and metrics.

One CLIENT span per LLM call, named ``"{operation} {model}"``, timed from the record
(``end = timestamp``, ``start = end - duration``), with the GenAI attributes:

- ``gen_ai.operation.name``, ``gen_ai.provider.name``, ``gen_ai.request.model``,
  ``gen_ai.response.model``;
- ``gen_ai.usage.input_tokens`` (all input: plain, cache writes and cache reads, as the
  conventions ask), ``gen_ai.usage.output_tokens``,
  ``gen_ai.usage.cache_read.input_tokens``, ``gen_ai.usage.cache_creation.input_tokens``;
- ``error.type`` and an ERROR status for failed calls;
- Empathy's own: ``empathy.workflow``, ``empathy.stage``, ``empathy.tier``,
  ``empathy.run_id``, ``empathy.batch``, ``empathy.cost_usd``.

Metrics: ``gen_ai.client.token.usage`` (histogram, ``{token}``, by ``gen_ai.token.type``)
and ``gen_ai.client.operation.duration`` (histogram, seconds), with the conventions'
bucket boundaries. User ids and prompts are never exported.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from empathy_core import UsageRecord
from empathy_otel import __version__
from empathy_otel.settings import OtelSettings

SCOPE = "empathy-otel"
TOKEN_BUCKETS = [4**i for i in range(14)]  # 1, 4, 16 ... 67108864
DURATION_BUCKETS = [0.01 * 2**i for i in range(14)]  # 0.01 ... 81.92 s


def error_type(record: UsageRecord) -> str:
    """``error.type``: the exception name recorded before ``:`` in ``record.error``."""
    name = (record.error or "").split(":", 1)[0].strip()
    return name if name and " " not in name else "_OTHER"


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def epoch_ns(moment: datetime) -> int:
    """Nanoseconds since the epoch of ``moment`` (naive means UTC), exact to the microsecond."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - _EPOCH) // timedelta(microseconds=1) * 1000


def _ns(record: UsageRecord) -> tuple[int, int]:
    """(start, end) in nanoseconds since the epoch."""
    end = epoch_ns(record.timestamp)
    return end - int(record.duration_ms * 1_000_000), end


class OtelSink:
    """Emits one span and its metrics per usage record.

    ``tracer_provider``/``meter_provider`` default to the global ones (set by the
    application); tests pass SDK providers with in-memory exporters.
    """

    def __init__(
        self,
        settings: OtelSettings | None = None,
        *,
        tracer_provider: Any = None,
        meter_provider: Any = None,
    ) -> None:
        from opentelemetry import metrics, trace

        self.settings = settings or OtelSettings()
        self._tracer = (tracer_provider or trace.get_tracer_provider()).get_tracer(SCOPE, __version__)
        meter = (meter_provider or metrics.get_meter_provider()).get_meter(SCOPE, __version__)
        self._tokens = meter.create_histogram(
            "gen_ai.client.token.usage",
            unit="{token}",
            description="Number of input and output tokens used.",
            explicit_bucket_boundaries_advisory=TOKEN_BUCKETS,
        )
        self._duration = meter.create_histogram(
            "gen_ai.client.operation.duration",
            unit="s",
            description="GenAI operation duration.",
            explicit_bucket_boundaries_advisory=DURATION_BUCKETS,
        )

    def metric_attributes(self, record: UsageRecord) -> dict[str, Any]:
        """The attributes shared by spans and metrics."""
        attributes: dict[str, Any] = {
            "gen_ai.operation.name": self.settings.operation_name,
            "gen_ai.provider.name": record.provider,
            "gen_ai.request.model": record.model,
            "gen_ai.response.model": record.model,
        }
        if not record.success:
            attributes["error.type"] = error_type(record)
        return attributes

    def span_attributes(self, record: UsageRecord) -> dict[str, Any]:
        u = record.usage
        attributes = self.metric_attributes(record)
        attributes.update(
            {
                "gen_ai.usage.input_tokens": u.total_input_tokens,
                "gen_ai.usage.output_tokens": u.output_tokens,
                "gen_ai.usage.cache_read.input_tokens": u.cache_read_tokens,
                "gen_ai.usage.cache_creation.input_tokens": u.cache_creation_tokens,
                "empathy.workflow": record.workflow,
                "empathy.stage": record.stage,
                "empathy.tier": record.tier,
                "empathy.batch": record.batch,
                "empathy.cost_usd": record.cost,
            }
        )
        optional: Mapping[str, str | None] = {
            "empathy.run_id": record.run_id,
            "empathy.request_id": record.request_id,
        }
        attributes.update({k: v for k, v in optional.items() if v})
        return attributes

    def record(self, record: UsageRecord) -> None:
        """Emit the span and metrics of one LLM call."""
        if not self.settings.enabled:
            return
        from opentelemetry.trace import SpanKind, Status, StatusCode

        start, end = _ns(record)
        span = self._tracer.start_span(
            f"{self.settings.operation_name} {record.model}",
            kind=SpanKind.CLIENT,
            attributes=self.span_attributes(record),
            start_time=start,
        )
        if not record.success:
            span.set_status(Status(StatusCode.ERROR, record.error or "LLM call failed"))
        span.end(end_time=end)

        attributes = self.metric_attributes(record)
        self._duration.record(record.duration_ms / 1000, attributes)
        if record.success:
            u = record.usage
            self._tokens.record(u.total_input_tokens, {**attributes, "gen_ai.token.type": "input"})
            self._tokens.record(u.output_tokens, {**attributes, "gen_ai.token.type": "output"})
