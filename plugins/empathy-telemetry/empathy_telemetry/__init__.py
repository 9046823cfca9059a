"""Telemetry commands for Empathy: ``empathy telemetry ...`` and ``empathy cache stats``."""

__version__ = "0.1.0"
