"""Anthropic provider for Empathy: Claude through the official ``anthropic`` SDK.

``AnthropicProvider`` (``provider: anthropic``) and ``AnthropicBatchProvider`` (Message
Batches at half price) are imported on first attribute access, so that loading the
plugin's entry point costs nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from empathy_anthropic.batch import AnthropicBatchProvider, BatchResult, BatchStatus
    from empathy_anthropic.provider import AnthropicProvider
    from empathy_anthropic.settings import AnthropicSettings

__version__ = "0.1.0"
__all__ = ["AnthropicBatchProvider", "AnthropicProvider", "AnthropicSettings", "BatchResult", "BatchStatus"]

_HOMES = {
    "AnthropicProvider": "empathy_anthropic.provider",
    "AnthropicBatchProvider": "empathy_anthropic.batch",
    "BatchResult": "empathy_anthropic.batch",
    "BatchStatus": "empathy_anthropic.batch",
    "AnthropicSettings": "empathy_anthropic.settings",
}


def __getattr__(name: str) -> Any:
    import importlib

    if name not in _HOMES:
        raise AttributeError(f"module 'empathy_anthropic' has no attribute {name!r}")
    return getattr(importlib.import_module(_HOMES[name]), name)
