"""Entry-point module: registers the ``security-audit`` workflow (imported lazily)."""

from __future__ import annotations

from typing import Any

from empathy_core import hookimpl


@hookimpl
def empathy_register_workflows(register: Any) -> None:
    from empathy_security_audit.workflow import SecurityAuditWorkflow

    register(SecurityAuditWorkflow)
