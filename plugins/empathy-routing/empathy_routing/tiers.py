"""Tier order: CHEAP < CAPABLE < PREMIUM."""

from __future__ import annotations

from empathy_core import ModelTier

ORDER = (ModelTier.CHEAP, ModelTier.CAPABLE, ModelTier.PREMIUM)


def rank(tier: ModelTier) -> int:
    return ORDER.index(tier)


def upper(tier: ModelTier) -> ModelTier | None:
    """The next tier up, ``None`` from PREMIUM."""
    i = rank(tier)
    return ORDER[i + 1] if i + 1 < len(ORDER) else None


def lower(tier: ModelTier) -> ModelTier | None:
    """The next tier down, ``None`` from CHEAP."""
    i = rank(tier)
    return ORDER[i - 1] if i > 0 else None
