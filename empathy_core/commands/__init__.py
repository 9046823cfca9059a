"""The core's command groups, imported only when invoked."""
