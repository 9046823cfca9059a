"""Who may talk to the dashboard: the Host check, the token and the CSRF rule.

- **Host** (against DNS rebinding): every request's ``Host`` must be one of
  :attr:`Guard.allowed_hosts` (the loopback names, the bound address, ``--allow-host``),
  else 403. A page served under a rebound attacker domain can therefore read nothing.
- **Token**: one per server start (``secrets.token_urlsafe``), compared with
  :func:`hmac.compare_digest`. Bound to a loopback address, reads need none; bound
  anywhere else every request needs it: header ``X-Empathy-Token``, the cookie set by
  the first ``/?token=...`` visit, or ``?token=``.
- **CSRF**: a state-changing request (anything but GET/HEAD) needs the token in the
  ``X-Empathy-Token`` header (a cookie is not enough: a cross-site form can send cookies,
  not headers), a JSON body, and, when the browser sends one, an ``Origin`` equal to the
  page's own. The page gets the token in a ``<meta>`` tag of its own HTML, which only a
  same-origin reader can see.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import secrets
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qs

import attrs

TOKEN_HEADER = "x-empathy-token"
COOKIE = "empathy_dashboard_token"
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
SAFE_METHODS = frozenset({"GET", "HEAD"})
HEADERS = [
    (b"content-security-policy",
     b"default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
     b"connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cache-control", b"no-store"),
]  # fmt: skip


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a name or an address) is this machine only."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def host_name(header: str) -> str:
    """The name part of a ``Host`` header (``[::1]:8765`` -> ``::1``), lower case."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[1 : header.find("]")] if "]" in header else header
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


@attrs.frozen
class Guard:
    """The rules of one server; :meth:`wrap` applies them to an ASGI app."""

    bind_host: str = "127.0.0.1"
    token: str = attrs.Factory(lambda: secrets.token_urlsafe(32))
    extra_hosts: tuple[str, ...] = ()

    @property
    def require_token(self) -> bool:
        """Every request needs the token unless the server listens on loopback only."""
        return not is_loopback(self.bind_host)

    @property
    def allowed_hosts(self) -> frozenset[str]:
        names = set(LOOPBACK_NAMES) | {host_name(h) for h in self.extra_hosts}
        if self.bind_host not in {"0.0.0.0", "::", ""}:  # nosec B104 - a wildcard is no name
            names.add(host_name(self.bind_host))
        return frozenset(names)

    def token_ok(self, given: str | None) -> bool:
        return given is not None and hmac.compare_digest(given.encode(), self.token.encode())

    def check(self, scope: dict[str, Any]) -> tuple[int, str] | None:
        """``(status, message)`` when the request is refused, else ``None``."""
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope.get("headers", [])}
        host = headers.get("host", "")
        if host_name(host) not in self.allowed_hosts:
            return 403, f"unexpected Host header {host!r} (start the dashboard with --allow-host to allow it)"
        method = scope.get("method", "GET")
        header_token = headers.get(TOKEN_HEADER)
        if method not in SAFE_METHODS:
            if not self.token_ok(header_token):
                return 403, f"a state-changing request needs the {TOKEN_HEADER} header"
            origin = headers.get("origin")
            if origin is not None and origin.lower() != f"{scope.get('scheme', 'http')}://{host}".lower():
                return 403, f"cross-origin request refused (Origin {origin!r})"
            if headers.get("content-type", "").split(";")[0].strip() != "application/json":
                return 415, "send the request body as application/json"
            return None
        if self.require_token and not (
            self.token_ok(header_token) or self.token_ok(cookie(headers)) or self.token_ok(query_token(scope))
        ):
            return 401, "this dashboard needs its token: open the URL printed when it started"
        return None

    def wrap(self, app: Any) -> Any:
        """``app`` behind these rules, with the security headers on every response."""

        async def guarded(scope: dict[str, Any], receive: Any, send: Any) -> None:
            if scope["type"] != "http":
                await app(scope, receive, send)
                return
            refused = self.check(scope)

            async def send_with_headers(message: dict[str, Any]) -> None:
                if message["type"] == "http.response.start":
                    message = {**message, "headers": [*message.get("headers", []), *HEADERS]}
                    if self.require_token and self.token_ok(query_token(scope)):
                        message["headers"].append((b"set-cookie", session_cookie(self.token)))
                await send(message)

            if refused is not None:
                status, text = refused
                body = json.dumps({"error": text}).encode()
                await send_with_headers(
                    {
                        "type": "http.response.start",
                        "status": status,
                        "headers": [
                            (b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()),
                        ],
                    }
                )
                await send({"type": "http.response.body", "body": body})
                return
            await app(scope, receive, send_with_headers)

        return guarded


def cookie(headers: dict[str, str]) -> str | None:
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(headers.get("cookie", ""))
    except Exception:
        return None
    morsel = jar.get(COOKIE)
    return morsel.value if morsel else None


def query_token(scope: dict[str, Any]) -> str | None:
    values = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("token")
    return values[0] if values else None


def session_cookie(token: str) -> bytes:
    return f"{COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/".encode()
