"""Role ``approvals`` on SQLite: requests and the one decision each gets.

Table ``approvals`` (component ``approvals``): ``request_id`` (primary key),
``requested_us`` and ``deadline_us``, ``timeout`` (seconds), ``request`` (the
:class:`~empathy_core.ApprovalRequest` as JSON) and ``response`` (the
:class:`~empathy_core.ApprovalResponse` as JSON, ``NULL`` while pending). A request is
kept for ``RETENTION_S`` after its deadline.

:meth:`SQLiteApprovalStore.resolve` runs in one ``BEGIN IMMEDIATE`` transaction, so of
several processes answering at once exactly one writes; an approval after the deadline
(by this machine's clock) is recorded as a timeout.
"""

from __future__ import annotations

import json
import sqlite3

import attrs

from empathy_core import (
    ApprovalRequest,
    ApprovalResponse,
    check_name,
    check_payload,
    check_seconds,
    from_dict,
    to_dict,
)
from empathy_sql.rows import to_us
from empathy_sqlite.store import SQLiteStore, now_us, seconds_us

RETENTION_S = 7 * 86400
"""Requests are deleted this long after their deadline."""

MIGRATIONS = (
    (
        "CREATE TABLE approvals (request_id TEXT PRIMARY KEY, requested_us INTEGER NOT NULL, "
        "deadline_us INTEGER NOT NULL, timeout REAL NOT NULL, request TEXT NOT NULL, response TEXT)",
        "CREATE INDEX approvals_pending ON approvals (requested_us) WHERE response IS NULL",
        "CREATE INDEX approvals_deadline ON approvals (deadline_us)",
    ),
)


class SQLiteApprovalStore(SQLiteStore):
    """Approval requests with compare-and-set decisions."""

    role = "approvals"
    component = "approvals"
    migrations = MIGRATIONS

    def create_request(self, request: ApprovalRequest) -> None:
        check_name(request.approval_type, "approval_type")
        check_name(request.agent_id, "agent_id")
        check_payload(request.context, "approval context")
        timeout = check_seconds(request.timeout, "approval timeout")
        requested = to_us(request.requested_at)
        row = (
            check_name(request.request_id, "request_id"),
            requested,
            requested + seconds_us(timeout),
            timeout,
            json.dumps(to_dict(attrs.evolve(request, status="pending"))),
        )

        def create(conn: sqlite3.Connection) -> None:
            conn.execute("DELETE FROM approvals WHERE deadline_us < ?", (now_us() - seconds_us(RETENTION_S),))
            conn.execute(
                "INSERT INTO approvals (request_id, requested_us, deadline_us, timeout, request) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (request_id) DO NOTHING",
                row,
            )

        self._run(create, write=True)

    def get_request(self, request_id: str) -> ApprovalRequest | None:
        rid = check_name(request_id, "request_id")
        row = self._run(
            lambda conn: conn.execute(
                "SELECT request, response FROM approvals WHERE request_id = ?", (rid,)
            ).fetchone()
        )
        return None if row is None else _request(*row)

    def pending_requests(self) -> list[ApprovalRequest]:
        rows = self._run(
            lambda conn: conn.execute(
                "SELECT request, response FROM approvals WHERE response IS NULL AND deadline_us > ? "
                "ORDER BY requested_us, request_id",
                (now_us(),),
            ).fetchall()
        )
        return [_request(*row) for row in rows]

    def resolve(self, response: ApprovalResponse) -> ApprovalResponse:
        rid = check_name(response.request_id, "request_id")

        def decide(conn: sqlite3.Connection) -> ApprovalResponse:
            row = conn.execute(
                "SELECT response, deadline_us, timeout FROM approvals WHERE request_id = ?", (rid,)
            ).fetchone()
            if row is None:
                raise KeyError(response.request_id)
            answer, deadline, timeout = row
            if answer is not None:
                return from_dict(ApprovalResponse, json.loads(answer))
            decided = response
            if response.approved and now_us() > deadline:
                decided = attrs.evolve(
                    response, approved=False, timed_out=True, reason=f"timed out after {timeout:g} s"
                )
            conn.execute(
                "UPDATE approvals SET response = ? WHERE request_id = ?", (json.dumps(to_dict(decided)), rid)
            )
            return decided

        return self._run(decide, write=True)

    def wait_response(self, request_id: str, timeout: float) -> ApprovalResponse | None:
        """The response, waiting up to ``timeout`` seconds (0: just look); ``KeyError`` for
        an unknown request."""
        rid = check_name(request_id, "request_id")
        seconds = check_seconds(timeout, "timeout") if timeout != 0 else 0.0

        def look() -> ApprovalResponse | None:
            query = "SELECT response FROM approvals WHERE request_id = ?"
            row = self._run(lambda conn: conn.execute(query, (rid,)).fetchone())
            if row is None:
                raise KeyError(request_id)
            return None if row[0] is None else from_dict(ApprovalResponse, json.loads(row[0]))

        return self.wait_for(look, seconds)


def _request(text: str, answer: str | None) -> ApprovalRequest:
    """The stored request with the status its answer (if any) gives it."""
    request = from_dict(ApprovalRequest, json.loads(text))
    if answer is None:
        return request
    return attrs.evolve(request, status=from_dict(ApprovalResponse, json.loads(answer)).status)
