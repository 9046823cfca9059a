"""Empathy Framework core: hookspecs, records, config, plugin manager and engine.

This module stays import-light: ``empathy --help`` imports it.
"""

__version__ = "0.1.0"
