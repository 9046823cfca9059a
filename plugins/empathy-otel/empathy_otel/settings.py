"""Settings of the OpenTelemetry sink (``plugins.settings.empathy-otel`` in YAML)."""

from __future__ import annotations

import attrs


@attrs.define
class OtelSettings:
    """Whether to emit, and under which GenAI operation name."""

    enabled: bool = True
    """Emit a span and metrics for every LLM call."""
    operation_name: str = "chat"
    """``gen_ai.operation.name`` of the calls (Empathy's providers use chat-style messages)."""
