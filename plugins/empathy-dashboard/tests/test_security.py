"""The security rules: Host check (DNS rebinding), the token beyond loopback, and the CSRF
rule for answering approvals; refused requests change nothing."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from starlette.testclient import TestClient

from empathy_coordination import ApprovalGate
from empathy_dashboard import Guard, create_app
from empathy_dashboard.security import host_name, is_loopback

from .conftest import BASE, TOKEN


@pytest.fixture
def pending(runtime: Any, poll: Any) -> Any:
    """A pending approval request (its asker waits in a thread; answered at teardown)."""
    gate = ApprovalGate("deployer", empathy=runtime)
    thread = threading.Thread(target=gate.request_approval, args=("deploy", {}, 60), daemon=True)
    thread.start()
    [request] = poll(gate.get_pending_approvals, "pending approval")
    yield request
    gate.respond_to_approval(request.request_id, False, "teardown", "test over")
    thread.join(30)


def post(client: TestClient, request_id: str, headers: dict[str, str], **kwargs: Any) -> Any:
    body = kwargs.pop("body", {"decision": "approve", "responder": "mallory", "reason": "x"})
    return client.post(f"/api/approvals/{request_id}", json=body, headers=headers, **kwargs)


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8765", "127.0.0.1.evil.example", ""])
def test_a_foreign_host_header_is_refused(client, host):
    for path in ("/", "/api/summary", "/static/app.js"):
        response = client.get(path, headers={"Host": host})
        assert response.status_code == 403 and "Host" in response.json()["error"], path


@pytest.mark.parametrize("host", ["127.0.0.1:8765", "localhost:8765", "[::1]:8765", "LOCALHOST"])
def test_loopback_names_are_served_without_a_token(client, host):
    assert client.get("/api/agents", headers={"Host": host}).status_code == 200


def test_the_page_carries_the_token_and_strict_headers(client):
    response = client.get("/")
    assert f'content="{TOKEN}"' in response.text
    assert "default-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize(
    ("headers", "status", "says"),
    [
        ({"Content-Type": "application/json"}, 403, "x-empathy-token"),
        ({"X-Empathy-Token": "wrong", "Content-Type": "application/json"}, 403, "x-empathy-token"),
        ({"Cookie": f"empathy_dashboard_token={TOKEN}"}, 403, "x-empathy-token"),
        ({"X-Empathy-Token": TOKEN, "Origin": "http://evil.example"}, 403, "cross-origin"),
        ({"X-Empathy-Token": TOKEN, "Origin": "null"}, 403, "cross-origin"),
        ({"X-Empathy-Token": TOKEN, "Content-Type": "text/plain"}, 415, "application/json"),
    ],
)
def test_answering_needs_the_token_header_same_origin_and_json(client, pending, headers, status, says):
    kwargs: dict[str, Any] = {}
    if headers.get("Content-Type") == "text/plain":
        kwargs = {"body": None, "content": b'{"decision": "approve"}'}
    response = post(client, pending.request_id, headers, **kwargs)
    assert response.status_code == status and says in response.json()["error"]
    assert [r.request_id for r in ApprovalGate(empathy=client.runtime).get_pending_approvals()] == [
        pending.request_id
    ]


@pytest.fixture
def client(runtime: Any, guard: Guard) -> Any:
    with TestClient(create_app(runtime, guard), base_url=BASE) as test_client:
        test_client.runtime = runtime
        yield test_client


def test_same_origin_with_the_token_is_answered(client, pending):
    headers = {"X-Empathy-Token": TOKEN, "Origin": BASE}
    assert post(client, pending.request_id, headers).status_code == 200
    assert ApprovalGate(empathy=client.runtime).get_pending_approvals() == []


@pytest.fixture
def remote(runtime: Any) -> Any:
    """The app as bound to a non-loopback address, reached by that address."""
    guard = Guard(bind_host="10.1.2.3", token=TOKEN)
    with TestClient(create_app(runtime, guard), base_url="http://10.1.2.3:8765") as test_client:
        yield test_client


def test_beyond_loopback_every_request_needs_the_token(remote):
    for path in ("/", "/api/summary", "/api/stream?rounds=1", "/static/app.js"):
        assert remote.get(path).status_code == 401, path
        assert remote.get(path, headers={"X-Empathy-Token": TOKEN + "x"}).status_code == 401, path
        assert remote.get(path, headers={"X-Empathy-Token": TOKEN}).status_code == 200, path


def test_the_token_link_sets_a_strict_session_cookie(remote):
    first = remote.get(f"/?token={TOKEN}")
    assert first.status_code == 200
    cookie = first.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    remote.cookies.clear()
    assert remote.get("/api/agents").status_code == 401
    assert (
        remote.get("/api/agents", headers={"Cookie": f"empathy_dashboard_token={TOKEN}"}).status_code == 200
    )
    assert remote.get("/api/agents", headers={"Cookie": "empathy_dashboard_token=nope"}).status_code == 401


def test_the_bound_address_and_allowed_names_pass_the_host_check():
    guard = Guard(bind_host="10.1.2.3", extra_hosts=("dash.example.org",))
    assert guard.require_token and {"10.1.2.3", "dash.example.org", "localhost"} <= guard.allowed_hosts
    assert "0.0.0.0" not in Guard(bind_host="0.0.0.0").allowed_hosts  # nosec B104 - a test value
    assert not Guard().require_token and not Guard(bind_host="::1").require_token
    assert Guard().token != Guard().token and len(Guard().token) >= 40


@pytest.mark.parametrize(
    ("header", "name"),
    [
        ("127.0.0.1:8765", "127.0.0.1"),
        ("[::1]:8765", "::1"),
        ("[::1]", "::1"),
        ("Example.ORG", "example.org"),
    ],
)
def test_host_names(header, name):
    assert host_name(header) == name


def test_loopback_addresses():
    assert all(map(is_loopback, ["127.0.0.1", "127.8.0.1", "::1", "[::1]", "localhost"]))
    assert not any(map(is_loopback, ["0.0.0.0", "10.0.0.1", "example.org", "::"]))  # nosec B104
