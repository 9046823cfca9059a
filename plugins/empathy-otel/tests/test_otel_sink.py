"""The OpenTelemetry sink with the SDK's in-memory span exporter and metric reader."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from datetime import timedelta

import pytest

from empathy_core.records import Usage
from empathy_core.stores import to_us
from empathy_core.testing.store_conformance import NOW, make_record

sdk_trace = pytest.importorskip("opentelemetry.sdk.trace", reason="opentelemetry-sdk is not installed")
from opentelemetry.sdk.metrics import MeterProvider  # noqa: E402
from opentelemetry.sdk.metrics.export import InMemoryMetricReader  # noqa: E402
from opentelemetry.sdk.trace.export import SimpleSpanProcessor  # noqa: E402
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter  # noqa: E402
from opentelemetry.trace import SpanKind, StatusCode  # noqa: E402

from empathy_otel.settings import OtelSettings  # noqa: E402
from empathy_otel.sink import OtelSink  # noqa: E402


@pytest.fixture
def otel():
    exporter = InMemorySpanExporter()
    tracer_provider = sdk_trace.TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))
    reader = InMemoryMetricReader()
    meter_provider = MeterProvider(metric_readers=[reader])
    sink = OtelSink(tracer_provider=tracer_provider, meter_provider=meter_provider)
    yield sink, exporter, reader
    tracer_provider.shutdown()
    meter_provider.shutdown()


def metrics_by_name(reader: InMemoryMetricReader) -> dict[str, list]:
    data = reader.get_metrics_data()
    found: dict[str, list] = {}
    for resource in data.resource_metrics:
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                found[metric.name] = (metric.unit, list(metric.data.data_points))
    return found


def test_successful_call_is_a_genai_client_span(otel) -> None:
    sink, exporter, _ = otel
    usage = Usage(input_tokens=100, output_tokens=40, cache_write_5m_tokens=300, cache_read_tokens=2000)
    record = make_record(1, usage=usage, cost=0.0123, duration_ms=1500.0, timestamp=NOW, user_id="u1",
                         prompt="secret")  # fmt: skip
    sink.record(record)
    [span] = exporter.get_finished_spans()
    assert span.name == "chat claude-sonnet-4-6"
    assert span.kind == SpanKind.CLIENT
    assert span.end_time - span.start_time == 1_500_000_000
    assert span.end_time == to_us(NOW) * 1000
    attrs = dict(span.attributes)
    assert attrs["gen_ai.operation.name"] == "chat"
    assert attrs["gen_ai.provider.name"] == "anthropic"
    assert attrs["gen_ai.request.model"] == attrs["gen_ai.response.model"] == "claude-sonnet-4-6"
    assert attrs["gen_ai.usage.input_tokens"] == 2400  # plain + cache writes + cache reads
    assert attrs["gen_ai.usage.output_tokens"] == 40
    assert attrs["gen_ai.usage.cache_read.input_tokens"] == 2000
    assert attrs["gen_ai.usage.cache_creation.input_tokens"] == 300
    assert attrs["empathy.workflow"] == record.workflow and attrs["empathy.cost_usd"] == 0.0123
    assert span.status.status_code == StatusCode.UNSET
    assert not any("user" in key or "prompt" in key for key in attrs)


def test_failed_call_has_error_type_and_status(otel) -> None:
    sink, exporter, reader = otel
    sink.record(make_record(7))  # index 7 is a failure: "ProviderError: overloaded"
    [span] = exporter.get_finished_spans()
    assert span.status.status_code == StatusCode.ERROR
    assert span.attributes["error.type"] == "ProviderError"
    metrics = metrics_by_name(reader)
    assert "gen_ai.client.token.usage" not in metrics  # no tokens were used
    [point] = metrics["gen_ai.client.operation.duration"][1]
    assert point.attributes["error.type"] == "ProviderError"


def test_metrics_follow_the_conventions(otel) -> None:
    sink, _, reader = otel
    for i, minutes in ((1, 0), (5, 1)):
        sink.record(make_record(i, timestamp=NOW - timedelta(minutes=minutes)))
    metrics = metrics_by_name(reader)
    unit, points = metrics["gen_ai.client.token.usage"]
    assert unit == "{token}"
    by_type: dict[str, list] = {}
    for point in points:
        by_type.setdefault(point.attributes["gen_ai.token.type"], []).append(point)
    assert set(by_type) == {"input", "output"}
    records = [make_record(1), make_record(5)]
    assert sum(p.sum for p in by_type["input"]) == sum(r.usage.total_input_tokens for r in records)
    assert sum(p.sum for p in by_type["output"]) == sum(r.usage.output_tokens for r in records)
    assert list(points[0].explicit_bounds)[:3] == [1, 4, 16]
    unit, points = metrics["gen_ai.client.operation.duration"]
    assert unit == "s"
    assert sum(p.sum for p in points) == pytest.approx(sum(r.duration_ms for r in records) / 1000)
    assert all(p.attributes["gen_ai.provider.name"] == "anthropic" for p in points)


def test_disabled_emits_nothing(otel) -> None:
    _, exporter, _ = otel
    sink = OtelSink(OtelSettings(enabled=False))
    sink.record(make_record(1))
    assert exporter.get_finished_spans() == ()


def test_plugin_emits_through_the_global_providers() -> None:
    script = textwrap.dedent(
        """
        import json
        from opentelemetry import trace
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import SimpleSpanProcessor
        from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
        import empathy_otel.plugin as otel_plugin
        from empathy_core.config import EmpathyConfig, PluginsConfig
        from empathy_core.plugins import make_plugin_manager
        from empathy_core.testing.store_conformance import make_record

        exporter = InMemorySpanExporter()
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(exporter))
        trace.set_tracer_provider(provider)
        settings = {"empathy_otel.plugin": {"operation_name": "text_completion"}}
        config = EmpathyConfig(plugins=PluginsConfig(settings=settings))
        pm = make_plugin_manager([otel_plugin], config=config, builtins=False)
        pm.hook.empathy_record_usage(record=make_record(2))
        print(json.dumps([s.name for s in exporter.get_finished_spans()]))
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == ["text_completion claude-opus-4-6"]


def test_entry_point_module_does_not_import_opentelemetry() -> None:
    script = "import sys, empathy_otel.plugin; print(any(m.startswith('opentelemetry') for m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "False", done.stderr
