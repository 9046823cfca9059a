"""``plugins.settings.empathy-orchestrate`` in ``empathy.config.yml``."""

from __future__ import annotations

import os

import attrs


def _positive(instance: object, attribute: attrs.Attribute[float], value: float) -> None:
    if value <= 0:
        raise ValueError(f"{attribute.name} must be > 0, got {value}")


@attrs.define
class OrchestrateSettings:
    """Settings of the orchestrate plugin.

    - ``timeout``: seconds each agent may take before it is reported as ``timeout``
    - ``timeouts``: per-agent overrides, e.g. ``{coverage: 1200}``
    - ``max_concurrency``: tool processes running at once (0: the CPU count, at least 2)
    - ``max_agents``: agents running at once (they mostly wait for tool processes)
    - ``exclude``: extra glob patterns of directories to skip
    - ``layers``: module prefixes from the lowest layer to the highest; a lower layer
      importing a higher one is an Architecture finding
    - ``slow_test_seconds``: a test slower than this is a Performance finding
    - ``top_findings``: how many findings the report lists
    """

    timeout: float = attrs.field(default=600.0, validator=_positive)
    timeouts: dict[str, float] = attrs.Factory(dict)
    max_concurrency: int = 0
    max_agents: int = 8
    exclude: list[str] = attrs.Factory(list)
    layers: list[str] = attrs.Factory(list)
    slow_test_seconds: float = attrs.field(default=1.0, validator=_positive)
    top_findings: int = 10

    def timeout_for(self, agent: str) -> float:
        """The timeout of ``agent`` in seconds."""
        return float(self.timeouts.get(agent, self.timeout))

    def concurrency(self) -> int:
        """``max_concurrency``, or the CPU count (at least 2) when 0."""
        return self.max_concurrency if self.max_concurrency > 0 else max(2, os.cpu_count() or 2)
