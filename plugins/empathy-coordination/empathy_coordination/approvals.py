"""``ApprovalGate``: ask a human and wait for the answer (blocking, or without blocking the
event loop); answer pending requests. The first answer wins; a timeout is a rejection."""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import TYPE_CHECKING, Any

from empathy_coordination.facade import Facade, check_agent, check_text
from empathy_core import (
    ApprovalRequest,
    ApprovalResponse,
    EmpathyError,
    UnknownNameError,
    check_name,
    check_payload,
    check_seconds,
)

if TYPE_CHECKING:
    from empathy_core import ApprovalStore, Empathy

REQUESTED_EVENT = "approval_requested"
RESOLVED_EVENT = "approval_resolved"
MAX_TIMEOUT = 7 * 86400.0
WAIT_SLICE = 1.0
"""Seconds one blocking ``wait_response`` call may take (the deadline is checked between)."""
POLL_INTERVAL = 0.2
"""Seconds between the async waiter's looks at the store."""


class UnknownApprovalError(UnknownNameError, KeyError):
    """No approval request has this id (exit code 2 on the command line)."""

    exit_code = 2


class ApprovalDenied(EmpathyError):
    """A gated stage was rejected or its approval timed out; the stage fails with this message."""

    def __init__(self, approval_type: str, response: ApprovalResponse) -> None:
        if response.timed_out:
            message = f"approval {approval_type} {response.reason or 'timed out'}"
        else:
            who = response.responder or "an unnamed responder"
            message = f"approval {approval_type} rejected by {who}: {response.reason or 'no reason given'}"
        super().__init__(message)
        self.approval_type = approval_type
        self.response = response


def timeout_response(request: ApprovalRequest) -> ApprovalResponse:
    return ApprovalResponse(
        request.request_id, approved=False, timed_out=True, reason=f"timed out after {request.timeout:g} s"
    )


def same_answer(a: ApprovalResponse, b: ApprovalResponse) -> bool:
    return (a.approved, a.timed_out, a.responder, a.reason) == (
        b.approved,
        b.timed_out,
        b.responder,
        b.reason,
    )


def resolved_event(request_id: str, response: ApprovalResponse) -> dict[str, Any]:
    return {
        "request_id": request_id,
        "status": response.status,
        "approved": response.approved,
        "responder": response.responder,
        "reason": response.reason,
    }


class ApprovalGate(Facade):
    """Approval requests made as ``agent_id`` (``None``: ``anonymous``, as a UI answering them).

    Each request is published as an ``approval_requested`` event (data: ``request_id,
    approval_type, agent_id, context, timeout``), each recorded answer as
    ``approval_resolved`` (``request_id, status, approved, responder, reason``).
    """

    def __init__(self, agent_id: str | None = None, *, empathy: Empathy | None = None) -> None:
        self.agent_id = check_agent(agent_id)
        super().__init__(empathy)

    @property
    def approvals(self) -> ApprovalStore:
        store: ApprovalStore = self.store("approvals")
        return store

    # -- asking ----------------------------------------------------------------------

    def _new_request(
        self, approval_type: str, context: dict[str, Any] | None, timeout: float
    ) -> ApprovalRequest:
        return ApprovalRequest(
            approval_type=check_name(approval_type, "approval_type"),
            agent_id=self.agent_id,
            context=check_payload(context, "context"),
            timeout=check_seconds(timeout, "timeout", maximum=MAX_TIMEOUT),
        )

    def _submit(self, request: ApprovalRequest) -> None:
        self.approvals.create_request(request)
        self.publish(
            REQUESTED_EVENT,
            {
                "request_id": request.request_id,
                "approval_type": request.approval_type,
                "agent_id": request.agent_id,
                "context": request.context,
                "timeout": request.timeout,
            },
        )

    def resolve(self, response: ApprovalResponse) -> ApprovalResponse:
        """Record ``response`` unless the request has an answer; return the answer it has
        (published as ``approval_resolved`` when it is this one)."""
        check_name(response.request_id, "request_id")
        try:
            recorded = self.approvals.resolve(response)
        except KeyError:
            raise UnknownApprovalError(f"unknown approval request {response.request_id!r}") from None
        if same_answer(recorded, response):
            self.publish(RESOLVED_EVENT, resolved_event(response.request_id, recorded))
        return recorded

    def request_approval(
        self, approval_type: str, context: dict[str, Any] | None = None, timeout: float = 300.0
    ) -> ApprovalResponse:
        """Ask for ``approval_type`` and block until it is answered or ``timeout`` seconds
        pass; then it is rejected as timed out (unless an answer came first)."""
        request = self._new_request(approval_type, context, timeout)
        self._submit(request)
        deadline = time.monotonic() + request.timeout
        while (left := deadline - time.monotonic()) > 0:
            response = self.approvals.wait_response(request.request_id, min(left, WAIT_SLICE))
            if response is not None:
                return response
        return self.resolve(timeout_response(request))

    async def request_approval_async(
        self, approval_type: str, context: dict[str, Any] | None = None, timeout: float = 300.0
    ) -> ApprovalResponse:
        """:meth:`request_approval` for a coroutine: waits by polling the store every
        :data:`POLL_INTERVAL` seconds with ``asyncio.sleep``, so no thread is held and the
        loop runs on. Cancelled, it rejects the request (``reason`` says so)."""
        request = self._new_request(approval_type, context, timeout)
        await asyncio.to_thread(self._submit, request)
        deadline = time.monotonic() + request.timeout
        try:
            while True:
                response = await asyncio.to_thread(self.approvals.wait_response, request.request_id, 0)
                if response is not None:
                    return response
                left = deadline - time.monotonic()
                if left <= 0:
                    return await asyncio.to_thread(self.resolve, timeout_response(request))
                await asyncio.sleep(min(left, POLL_INTERVAL))
        except asyncio.CancelledError:
            with contextlib.suppress(EmpathyError):
                self.resolve(
                    ApprovalResponse(request.request_id, approved=False, reason="the requester was cancelled")
                )
            raise

    # -- answering -------------------------------------------------------------------

    def get_pending_approvals(self) -> list[ApprovalRequest]:
        """Requests still waiting for an answer, oldest first."""
        return self.approvals.pending_requests()

    def get_request(self, request_id: str) -> ApprovalRequest:
        """The request ``request_id`` with its status; :class:`UnknownApprovalError` if none."""
        request = self.approvals.get_request(check_name(request_id, "request_id"))
        if request is None:
            raise UnknownApprovalError(f"unknown approval request {request_id!r}")
        return request

    def respond_to_approval(
        self, request_id: str, approved: bool, responder: str | None = None, reason: str = ""
    ) -> bool:
        """Answer ``request_id``; ``True`` if this answer is the one recorded (``False``: it
        was answered or timed out before). :class:`UnknownApprovalError` for an unknown id."""
        return self.respond(request_id, approved, responder, reason)[1]

    def respond(
        self, request_id: str, approved: bool, responder: str | None = None, reason: str = ""
    ) -> tuple[ApprovalResponse, bool]:
        """Answer ``request_id`` like :meth:`respond_to_approval`; returns the recorded
        answer and whether it is this one."""
        response = self._response(request_id, approved, responder, reason)
        recorded = self.resolve(response)
        return recorded, same_answer(recorded, response)

    @staticmethod
    def _response(request_id: str, approved: bool, responder: str | None, reason: str) -> ApprovalResponse:
        if not isinstance(approved, bool):
            raise ValueError(f"approved must be True or False, got {approved!r}")
        return ApprovalResponse(
            check_name(request_id, "request_id"),
            approved=approved,
            responder=None if responder is None else check_text(responder, "responder"),
            reason=check_text(reason, "reason"),
        )
