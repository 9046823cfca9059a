"""Entry-point module: registers the ``code-review`` workflow (imported lazily)."""

from __future__ import annotations

from typing import Any

from empathy_core import hookimpl


@hookimpl
def empathy_register_workflows(register: Any) -> None:
    from empathy_code_review.workflow import CodeReviewWorkflow

    register(CodeReviewWorkflow)
