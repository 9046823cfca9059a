"""Reusable test suites for plugin authors (import them from your own tests; needs pytest)."""
