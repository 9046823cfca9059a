"""The records that flow through hooks: requests, responses, usage, stage and workflow results.

Facts (usage, responses, usage records) are frozen. ``empathy_core.serialize`` is the one
way to turn them into JSON-ready dicts and back.
"""

from __future__ import annotations

import enum
import uuid
from datetime import UTC, datetime
from typing import Any

import attrs


class ModelTier(str, enum.Enum):
    """The three price/capability tiers a stage can run on."""

    CHEAP = "cheap"
    CAPABLE = "capable"
    PREMIUM = "premium"

    @classmethod
    def parse(cls, value: str | ModelTier) -> ModelTier:
        """Accept a tier or its name in any case (``"CHEAP"``, ``"cheap"``)."""
        if isinstance(value, ModelTier):
            return value
        try:
            return cls(str(value).lower())
        except ValueError:
            names = ", ".join(t.value for t in cls)
            raise ValueError(f"unknown tier {value!r} (expected one of: {names})") from None


def utcnow() -> datetime:
    """Timezone-aware current UTC time (the only clock records use)."""
    return datetime.now(UTC)


def new_run_id() -> str:
    """A fresh identifier for one workflow run."""
    return uuid.uuid4().hex[:16]


@attrs.frozen
class Usage:
    """Tokens of one LLM call exactly as the provider reported them.

    ``cache_write_5m_tokens``/``cache_write_1h_tokens`` are prompt-cache writes by TTL;
    ``cache_read_tokens`` are prompt-cache hits. ``input_tokens`` excludes both.
    """

    input_tokens: int = 0
    output_tokens: int = 0
    cache_write_5m_tokens: int = 0
    cache_write_1h_tokens: int = 0
    cache_read_tokens: int = 0

    @property
    def cache_creation_tokens(self) -> int:
        """All prompt-cache writes, whatever their TTL."""
        return self.cache_write_5m_tokens + self.cache_write_1h_tokens

    @property
    def total_input_tokens(self) -> int:
        """Every token the model read: plain input, cache writes and cache reads."""
        return self.input_tokens + self.cache_creation_tokens + self.cache_read_tokens

    @property
    def total_tokens(self) -> int:
        """All input tokens plus output tokens."""
        return self.total_input_tokens + self.output_tokens

    def __add__(self, other: Usage) -> Usage:
        return Usage(*(a + b for a, b in zip(attrs.astuple(self), attrs.astuple(other), strict=True)))


@attrs.define
class LLMRequest:
    """One call to a model.

    ``system`` and ``cached_context`` form the stable prefix; with ``cache_prefix`` the
    provider marks it cacheable (TTL ``cache_ttl``: ``"5m"`` or ``"1h"``). ``model``
    overrides the tier's configured model.
    """

    messages: list[dict[str, Any]]
    system: str = ""
    cached_context: str = ""
    cache_prefix: bool = True
    cache_ttl: str = attrs.field(default="5m", validator=attrs.validators.in_(("5m", "1h")))
    max_tokens: int = 1024
    temperature: float | None = None
    tier: ModelTier = attrs.field(default=ModelTier.CAPABLE, converter=lambda value: ModelTier.parse(value))
    model: str | None = None
    metadata: dict[str, str] = attrs.Factory(dict)

    @classmethod
    def from_text(cls, user_message: str, **kwargs: Any) -> LLMRequest:
        """A single-turn request whose user message is ``user_message``."""
        return cls(messages=[{"role": "user", "content": user_message}], **kwargs)


@attrs.frozen
class LLMResponse:
    """What a provider returns for one successful call."""

    text: str
    model: str
    usage: Usage
    provider: str
    stop_reason: str | None = None
    request_id: str | None = None
    message_id: str | None = None
    duration_ms: float = 0.0


@attrs.frozen
class UsageRecord:
    """One LLM call as telemetry sees it: who, what, how many tokens, what it cost.

    ``cost`` is computed from ``usage`` and the pricing file (``batch`` halves it). A
    failed call has ``success=False`` and zero cost. ``user_id`` is hashed unless the
    configuration says otherwise; ``prompt`` is set only with ``telemetry.store_prompts``.
    """

    workflow: str
    stage: str
    tier: str
    provider: str
    model: str
    usage: Usage
    cost: float
    duration_ms: float = 0.0
    success: bool = True
    error: str | None = None
    batch: bool = False
    request_id: str | None = None
    run_id: str | None = None
    user_id: str | None = None
    prompt: str | None = None
    timestamp: datetime = attrs.Factory(utcnow)
    record_id: str = attrs.Factory(lambda: uuid.uuid4().hex)

    @property
    def cache_hit(self) -> bool:
        """True when any prompt-cache tokens were read."""
        return self.usage.cache_read_tokens > 0


@attrs.frozen
class RouteContext:
    """What a routing strategy decides from: one stage about to run.

    ``tier`` is the workflow's own choice (its ``tier_map``); limits are ``None`` when
    the caller set none.
    """

    workflow: str
    stage: str
    tier: ModelTier
    run_id: str = ""
    input_data: dict[str, Any] = attrs.Factory(dict)
    provider: str = ""
    adaptive: bool = False
    max_cost: float | None = None
    max_latency_ms: float | None = None
    min_success_rate: float | None = None


@attrs.frozen
class RouteDecision:
    """Where a stage runs: ``tier``, ``model`` (``None``: the provider's model for the
    tier), why, and how sure the strategy is (0..1)."""

    tier: ModelTier = attrs.field(converter=lambda value: ModelTier.parse(value))
    model: str | None = None
    reason: str = ""
    confidence: float = 1.0
    strategy: str = ""


@attrs.define
class StageResult:
    """Outcome of one stage: ``status`` is ``success``, ``failed``, ``skipped`` (it raised
    :class:`~empathy_core.StageSkipped`; ``reason`` says why), or the ``run_status`` of the
    :class:`~empathy_core.EmpathyError` that stopped it (for example ``budget_exceeded``)."""

    name: str
    tier: ModelTier
    status: str
    output: Any = None
    tokens_in: int = 0
    tokens_out: int = 0
    cost: float = 0.0
    duration_ms: float = 0.0
    error: str | None = None
    model: str | None = None
    reason: str = ""


@attrs.define
class WorkflowResult:
    """Outcome of ``await workflow.execute(...)``.

    ``status`` is ``success`` when every stage succeeded or was skipped with nothing to do;
    ``partial`` when a degraded skip left work undone (``error`` says which); otherwise the
    status of the stage that stopped the run (``failed``, or an error's ``run_status`` such
    as ``budget_exceeded``) with ``failed_stage`` and ``error`` set, and the results of the
    stages that ran are kept.
    Supports ``result["status"]`` style access for the seeds' examples.
    """

    workflow: str
    run_id: str
    status: str
    stages: list[StageResult] = attrs.Factory(list)
    output: Any = None
    cost: float = 0.0
    tokens_in: int = 0
    tokens_out: int = 0
    duration_ms: float = 0.0
    error: str | None = None
    failed_stage: str | None = None

    @property
    def tokens(self) -> dict[str, int]:
        """``{"input": ..., "output": ..., "total": ...}``."""
        return {
            "input": self.tokens_in,
            "output": self.tokens_out,
            "total": self.tokens_in + self.tokens_out,
        }

    @property
    def succeeded(self) -> bool:
        return self.status == "success"

    def __getitem__(self, key: str) -> Any:
        if key == "tokens":
            return self.tokens
        if key in attrs.fields_dict(type(self)):
            return getattr(self, key)
        raise KeyError(key)
