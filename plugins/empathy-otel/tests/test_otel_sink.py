"""The OpenTelemetry sink with the SDK's in-memory span exporter and metric reader."""

from __future__ import annotations

import calendar
import json
import logging
import os
import subprocess
import sys
import textwrap
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

import empathy_otel.plugin as otel_plugin
from empathy_core import Empathy, EmpathyConfig, PluginsConfig, Usage
from empathy_core.testing.store_conformance import NOW, make_record

sdk_trace = pytest.importorskip("opentelemetry.sdk.trace", reason="opentelemetry-sdk is not installed")
from opentelemetry.sdk.metrics import MeterProvider  # noqa: E402
from opentelemetry.sdk.metrics.export import InMemoryMetricReader  # noqa: E402
from opentelemetry.sdk.trace.export import SimpleSpanProcessor  # noqa: E402
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter  # noqa: E402
from opentelemetry.trace import SpanKind, StatusCode  # noqa: E402

from empathy_otel.settings import OtelSettings  # noqa: E402
from empathy_otel.sink import OtelSink, epoch_ns  # noqa: E402


@pytest.fixture
def providers():
    """SDK tracer and meter providers with an in-memory span exporter and metric reader."""
    exporter = InMemorySpanExporter()
    tracer_provider = sdk_trace.TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))
    reader = InMemoryMetricReader()
    meter_provider = MeterProvider(metric_readers=[reader])
    yield tracer_provider, meter_provider, exporter, reader
    tracer_provider.shutdown()
    meter_provider.shutdown()


@pytest.fixture
def otel(providers):
    tracer_provider, meter_provider, exporter, reader = providers
    sink = OtelSink(tracer_provider=tracer_provider, meter_provider=meter_provider)
    return sink, exporter, reader


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
    assert span.end_time == calendar.timegm(NOW.utctimetuple()) * 10**9 + NOW.microsecond * 1000
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


def test_plugin_emits_through_the_global_providers(tmp_path: Path) -> None:
    script = textwrap.dedent(
        """
        import json
        from opentelemetry import trace
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import SimpleSpanProcessor
        from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
        import empathy_otel.plugin as otel_plugin
        from empathy_core import Empathy, EmpathyConfig, PluginsConfig
        from empathy_core.testing.store_conformance import make_record

        exporter = InMemorySpanExporter()
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(exporter))
        trace.set_tracer_provider(provider)
        settings = {"empathy-otel": {"operation_name": "text_completion"}}
        config = EmpathyConfig(plugins=PluginsConfig(settings=settings))
        empathy = Empathy(config, builtins=False)
        empathy.add_plugin(otel_plugin, "otel", dist="empathy-otel")
        empathy.configure().record_usage(make_record(2))
        empathy.flush()
        print(json.dumps([s.name for s in exporter.get_finished_spans()]))
        """
    )
    env = {**os.environ, "EMPATHY_CACHE_DIR": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == ["text_completion claude-opus-4-6"]


@pytest.fixture
def global_providers(providers, monkeypatch: pytest.MonkeyPatch, empathy_cache_dir: Path):
    """The SDK providers stand in for the global ones the plugin's sinks use; returns
    ``(exporter, reader)``. (The real global provider can be set once per process: see
    the subprocess test.)"""
    from opentelemetry import metrics, trace

    tracer_provider, meter_provider, exporter, reader = providers
    monkeypatch.setattr(trace, "get_tracer_provider", lambda: tracer_provider)
    monkeypatch.setattr(metrics, "get_meter_provider", lambda: meter_provider)
    return exporter, reader


def otel_config(**settings: object) -> EmpathyConfig:
    return EmpathyConfig(plugins=PluginsConfig(settings={"empathy-otel": settings}))


def make_runtime(config: EmpathyConfig) -> Empathy:
    """A runtime with the plugin registered as the entry-point loader would."""
    empathy = Empathy(config)
    empathy.add_plugin(otel_plugin, "otel", dist="empathy-otel")
    return empathy.configure()


def test_records_through_the_runtime_become_spans_named_by_the_settings(
    global_providers, empathy: Any
) -> None:
    exporter, reader = global_providers
    empathy.config = otel_config(operation_name="text_completion")
    runtime = empathy.add(otel_plugin, name="otel", dist="empathy-otel")
    runtime.record_usage(make_record(2, user_id="carol", prompt="secret"))
    assert runtime.flush(timeout=30)
    [span] = exporter.get_finished_spans()
    assert span.name == "text_completion claude-opus-4-6"
    assert span.attributes["gen_ai.operation.name"] == "text_completion"
    assert not any("user" in key or "prompt" in key for key in span.attributes)
    assert "gen_ai.client.operation.duration" in metrics_by_name(reader)


def test_each_runtime_has_its_own_sink_and_unconfigure_drops_it(global_providers) -> None:
    one, two = make_runtime(otel_config()), make_runtime(otel_config(operation_name="embeddings"))
    first = otel_plugin.sink(one)
    assert otel_plugin.sink(one) is first and otel_plugin.sink(two) is not first
    assert first.settings.operation_name == "chat"
    assert otel_plugin.sink(two).settings.operation_name == "embeddings"
    one.close()
    assert otel_plugin.sink(one) is not first  # built again, from the settings, if used again
    two.close()


def test_a_failing_record_is_logged_once_and_the_sink_keeps_working(
    global_providers, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    exporter, _ = global_providers
    runtime = make_runtime(otel_config())
    emit = OtelSink.record

    def exporter_down(self: OtelSink, record: Any) -> None:
        raise OSError("exporter down")

    monkeypatch.setattr(OtelSink, "record", exporter_down)
    with caplog.at_level(logging.WARNING, logger="empathy.telemetry.otel"):
        for i in range(1, 4):
            runtime.record_usage(make_record(i))
        assert runtime.flush(timeout=30)
    messages = [r.getMessage() for r in caplog.records if r.name == "empathy.telemetry.otel"]
    assert messages == ["usage record not written: OSError: exporter down"]
    assert runtime.infos["otel"].status == "loaded"  # not disabled
    monkeypatch.setattr(OtelSink, "record", emit)
    runtime.record_usage(make_record(5))
    assert runtime.flush(timeout=30)
    assert [s.name for s in exporter.get_finished_spans()] == ["chat claude-opus-4-6"]
    runtime.close()


def test_epoch_ns_is_exact_and_naive_means_utc() -> None:
    expected = calendar.timegm(NOW.utctimetuple()) * 10**9 + NOW.microsecond * 1000
    assert epoch_ns(NOW) == expected
    assert epoch_ns(NOW.replace(tzinfo=None)) == expected


def test_entry_point_module_does_not_import_opentelemetry() -> None:
    script = "import sys, empathy_otel.plugin; print(any(m.startswith('opentelemetry') for m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "False", done.stderr
