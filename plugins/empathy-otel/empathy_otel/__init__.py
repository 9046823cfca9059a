"""OpenTelemetry sink for Empathy: GenAI spans and metrics for every LLM call.

The plugin uses the global tracer and meter providers: configure the SDK and exporters
in your application (or with ``opentelemetry-instrument``); without them the API's
no-op providers make it free.
"""

__version__ = "0.1.0"
