"""The ``security-audit`` workflow plugin."""

__version__ = "0.1.0"
