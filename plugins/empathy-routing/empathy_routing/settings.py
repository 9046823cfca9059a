"""Settings of the routing plugin (``plugins.settings.empathy-routing`` in YAML).

The thresholds shared with the seeds (``min_samples``, ``quality_threshold``,
``failure_rate_threshold``) and the strategy's name live in the core's
``adaptive_routing:`` section; what only this plugin knows lives here.
"""

from __future__ import annotations

import math
import re
from typing import Any

import attrs

from empathy_core import ConfigError, EmpathyConfig, ModelTier, PricingError, cache_dir

_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")
MAX_USD = 1_000_000.0


def usd_problem(value: Any) -> str | None:
    """Why ``value`` is not a cap in USD (a finite number from 0 to 1,000,000), else ``None``."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return f"must be a number of USD, got {value!r}"
    if not 0 <= value <= MAX_USD:
        return f"must be between 0 and {MAX_USD:,.0f} USD, got {value!r}"
    return None


def _usd(instance: Any, attribute: attrs.Attribute, value: Any) -> None:
    problem = None if value is None else usd_problem(value)
    if problem:
        raise ValueError(problem, attribute)


def _usd_map(instance: Any, attribute: attrs.Attribute, value: dict[str, float]) -> None:
    for key, amount in value.items():
        problem = usd_problem(amount)
        if problem:
            raise ValueError(f"{key}: {problem}", attribute)


def _fraction(instance: Any, attribute: attrs.Attribute, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise ValueError(f"must be a number from 0 to 1, got {value!r}", attribute)


def _calls(instance: Any, attribute: attrs.Attribute, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 10_000:
        raise ValueError(f"must be a whole number of calls from 1 to 10000, got {value!r}", attribute)


def _store_url(instance: Any, attribute: attrs.Attribute, value: str) -> None:
    if value and not _URL.match(value):
        raise ValueError(f"must be a URL scheme://..., or empty for the default, got {value!r}", attribute)


@attrs.define
class BudgetSettings:
    """Spending caps in USD (``None``: no cap). A call whose worst case would pass a cap is
    not sent."""

    per_run: float | None = attrs.field(default=None, validator=_usd)
    """Cap on one workflow run."""
    per_workflow_daily: float | None = attrs.field(default=None, validator=_usd)
    """Cap on each workflow per UTC day (``workflows`` overrides it per workflow)."""
    daily: float | None = attrs.field(default=None, validator=_usd)
    """Cap on everything per UTC day."""
    workflows: dict[str, float] = attrs.field(factory=dict, validator=_usd_map)
    """Per-workflow daily caps, by workflow name."""

    @property
    def active(self) -> bool:
        return any(v is not None for v in (self.per_run, self.per_workflow_daily, self.daily)) or bool(
            self.workflows
        )

    def workflow_cap(self, workflow: str) -> float | None:
        return self.workflows.get(workflow, self.per_workflow_daily)


@attrs.define
class RoutingSettings:
    """Where routing history, feedback and budget reservations live, and how they are read."""

    store: str = attrs.field(default="", validator=_store_url)
    """Store URL: ``sqlite:///path`` (default ``sqlite:///<cache dir>/routing.db``) or
    ``postgresql://...`` for a team (needs ``empathy-postgres``)."""
    window: int = attrs.field(default=20, validator=_calls)
    """Calls of a stage (and feedback scores of a stage's tier) a recommendation looks at."""
    downgrade_threshold: float = attrs.field(default=0.9, validator=_fraction)
    """Success rate (and mean quality) over a full window above which a stage that was moved
    up tries the tier below again."""
    history_days: float = attrs.field(default=30.0, validator=attrs.validators.gt(0))
    """Days of telemetry the cost-capped strategy and ``get_best_model`` look at."""
    fallbacks: dict[str, list[str]] = attrs.Factory(dict)
    """Model -> models to try, in order, when a call to it fails after the provider's retries."""
    budgets: BudgetSettings = attrs.Factory(BudgetSettings)
    """Spending caps."""

    def store_url(self) -> str:
        return self.store or f"sqlite:///{cache_dir() / 'routing.db'}"


def check_models(settings: RoutingSettings, config: EmpathyConfig) -> None:
    """Every model named in ``fallbacks`` has a price; else :class:`ConfigError` naming it."""
    table = config.price_table()
    for model, chain in settings.fallbacks.items():
        for i, name in enumerate([model, *chain]):
            try:
                table.price_for(name)
            except PricingError as exc:
                where = "" if i == 0 else f"[{i - 1}]"
                key = f"plugins.settings.empathy-routing.fallbacks.{model}{where}"
                raise ConfigError(f"{key}: unknown model {name!r} ({exc})") from None


def tier_of_model(config: EmpathyConfig, model: str) -> ModelTier | None:
    """The tier whose configured model is ``model``, if any."""
    for tier in ModelTier:
        if config.model_for(tier) == model:
            return tier
    return None
