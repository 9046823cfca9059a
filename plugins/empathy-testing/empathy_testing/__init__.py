"""Test kit for Empathy plugins: fake Anthropic server, mock provider, pytest fixtures."""

__version__ = "0.1.0"
