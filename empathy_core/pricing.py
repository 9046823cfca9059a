"""Prices per model and the one cost formula every record uses.

Prices come from ``data/pricing.json`` (dated, with a source note) and may be overridden
per model under ``pricing:`` in ``empathy.config.yml``. An unknown model is a
:class:`~empathy_core.errors.PricingError`, never a silent $0.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from functools import lru_cache
from importlib import resources

import attrs

from empathy_core.errors import PricingError
from empathy_core.records import Usage

_DATE_SUFFIX = re.compile(r"-(\d{8}|latest)\Z")
PER_TOKENS = 1_000_000


@attrs.frozen
class ModelPrice:
    """USD per million tokens for one model."""

    input: float
    output: float


@attrs.frozen
class Multipliers:
    """Multipliers of the input price for cache traffic, and of everything for batches."""

    cache_write_5m: float = 1.25
    cache_write_1h: float = 2.0
    cache_read: float = 0.1
    batch: float = 0.5


@attrs.frozen
class PriceTable:
    """All known prices, with the date they were taken and where from."""

    models: Mapping[str, ModelPrice]
    multipliers: Multipliers = Multipliers()
    taken: str = ""
    source: str = ""

    def price_for(self, model: str) -> ModelPrice:
        """Price of ``model``; date suffixes (``-20251001``) and ``-latest`` are ignored."""
        price = self.models.get(model) or self.models.get(_DATE_SUFFIX.sub("", model))
        if price is None:
            known = ", ".join(sorted(self.models))
            raise PricingError(
                f"no price for model {model!r}; add it under 'pricing:' in empathy.config.yml "
                f"(known models: {known})"
            )
        return price

    def cost(self, model: str, usage: Usage, *, batch: bool = False) -> float:
        """Exact USD cost of ``usage`` on ``model``.

        input x price_in + output x price_out + 5-minute cache writes x 1.25 price_in
        + 1-hour cache writes x 2 price_in + cache reads x 0.1 price_in, all x 0.5 for
        a batch.
        """
        price = self.price_for(model)
        m = self.multipliers
        total = (
            usage.input_tokens * price.input
            + usage.output_tokens * price.output
            + usage.cache_write_5m_tokens * price.input * m.cache_write_5m
            + usage.cache_write_1h_tokens * price.input * m.cache_write_1h
            + usage.cache_read_tokens * price.input * m.cache_read
        ) / PER_TOKENS
        return total * m.batch if batch else total

    def with_overrides(self, overrides: Mapping[str, ModelPrice]) -> PriceTable:
        """A copy whose models include (and win with) ``overrides``."""
        if not overrides:
            return self
        return attrs.evolve(self, models={**self.models, **overrides})


@lru_cache(maxsize=1)
def default_table() -> PriceTable:
    """The shipped price table."""
    raw = json.loads(resources.files("empathy_core").joinpath("data/pricing.json").read_text())
    return PriceTable(
        models={name: ModelPrice(**p) for name, p in raw["models"].items()},
        multipliers=Multipliers(**raw["multipliers"]),
        taken=raw["taken"],
        source=raw["source"],
    )
