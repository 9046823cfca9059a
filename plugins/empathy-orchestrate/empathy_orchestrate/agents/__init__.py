"""The seven built-in agent templates (plus Types), registered through this plugin's own hook."""

from __future__ import annotations

from empathy_orchestrate.agents.architecture import ArchitectureAgent
from empathy_orchestrate.agents.base import AgentTemplate, Verdict, run_agent
from empathy_orchestrate.agents.coverage import CoverageAgent
from empathy_orchestrate.agents.docs import DocsAgent
from empathy_orchestrate.agents.performance import PerformanceAgent
from empathy_orchestrate.agents.quality import QualityAgent
from empathy_orchestrate.agents.refactoring import RefactoringAgent
from empathy_orchestrate.agents.security import SecurityAgent
from empathy_orchestrate.agents.types import TypesAgent

BUILTIN_AGENTS: tuple[AgentTemplate, ...] = (
    SecurityAgent(),
    CoverageAgent(),
    QualityAgent(),
    TypesAgent(),
    DocsAgent(),
    PerformanceAgent(),
    ArchitectureAgent(),
    RefactoringAgent(),
)

__all__ = ["BUILTIN_AGENTS", "AgentTemplate", "Verdict", "run_agent"]
