"""The ``test-gen`` workflow plugin."""

__version__ = "0.1.0"
