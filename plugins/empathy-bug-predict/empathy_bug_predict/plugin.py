"""Entry-point module: registers the ``bug-predict`` workflow (imported lazily)."""

from __future__ import annotations

from typing import Any

from empathy_core import hookimpl


@hookimpl
def empathy_register_workflows(register: Any) -> None:
    from empathy_bug_predict.workflow import BugPredictWorkflow

    register(BugPredictWorkflow)
