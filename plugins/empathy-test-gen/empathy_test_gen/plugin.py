"""Entry-point module: registers the ``test-gen`` workflow (imported lazily)."""

from __future__ import annotations

from typing import Any

from empathy_core import hookimpl


@hookimpl
def empathy_register_workflows(register: Any) -> None:
    from empathy_test_gen.workflow import TestGenerationWorkflow

    register(TestGenerationWorkflow)
