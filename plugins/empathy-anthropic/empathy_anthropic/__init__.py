"""Anthropic provider for Empathy: Claude through the official ``anthropic`` SDK.

``AnthropicProvider`` (``provider: anthropic``) and ``AnthropicBatchProvider`` (Message
Batches at half price) are imported on first attribute access, so that loading the
plugin's entry point costs nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from empathy_core import lazy_exports

if TYPE_CHECKING:
    from empathy_anthropic.batch import AnthropicBatchProvider, BatchResult, BatchStatus
    from empathy_anthropic.provider import AnthropicProvider
    from empathy_anthropic.settings import AnthropicSettings

__version__ = "0.1.0"
__all__ = ["AnthropicBatchProvider", "AnthropicProvider", "AnthropicSettings", "BatchResult", "BatchStatus"]

_EXPORTS = {
    "AnthropicProvider": "provider",
    "AnthropicBatchProvider": "batch",
    "BatchResult": "batch",
    "BatchStatus": "batch",
    "AnthropicSettings": "settings",
}

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
