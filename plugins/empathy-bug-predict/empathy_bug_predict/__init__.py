"""The ``bug-predict`` workflow plugin."""

__version__ = "0.1.0"
