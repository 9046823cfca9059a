"""A fake Anthropic Messages API over HTTP, for tests and offline runs (standard library only).

The official ``anthropic`` SDK talks to it through ``base_url=server.url`` or
``ANTHROPIC_BASE_URL``. It serves ``POST /v1/messages`` (deterministic replies, exact
``usage`` with prompt-cache simulation), ``POST /v1/messages/count_tokens`` and the
Message Batches endpoints, checks the API key (``x-api-key`` or ``Authorization:
Bearer``) and ``anthropic-version``, and answers errors in Anthropic's shape with a
``request-id`` header. Tests script faults (``fail_next``, ``fail_always``, ``latency``)
and read what it received from ``requests``; ``wait_for_arrivals`` blocks until requests
have arrived, before they are answered (to interrupt a client mid-call). It writes
nothing to disk and logs nothing.

Run it by hand with ``python -m empathy_testing.fake_anthropic --port 8765``.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import re
import socket
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import attrs

from empathy_testing.fake_batches import BatchStore, FakeBatch
from empathy_testing.fake_cache import PromptCache
from empathy_testing.fake_errors import FakeAPIError
from empathy_testing.fake_messages import MessagesEngine, Responder, new_id

FAKE_API_KEY = "sk-ant-fake-test-key"
DISCONNECT = "disconnect"
DEFAULT_RETRY_AFTER_429 = 1.0
_BATCH = re.compile(r"^/v1/messages/batches/([A-Za-z0-9_-]+)(/cancel|/results)?\Z")


@attrs.frozen
class RecordedRequest:
    """One request as the server received it, and what it answered.

    ``response`` is the decoded JSON answer (a list of result lines for batch results,
    ``None`` for a dropped connection); ``status`` is 0 for a dropped connection.
    """

    method: str
    path: str
    headers: dict[str, str]
    body: Any
    status: int
    request_id: str
    response: Any = None


@attrs.frozen
class Fault:
    """A scripted failure: an HTTP status (or :data:`DISCONNECT`) for matching paths."""

    status: int | str
    retry_after: float | None = None
    path: str | None = None

    def matches(self, path: str) -> bool:
        return self.path is None or path.startswith(self.path)


def _json(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


@attrs.define
class _Reply:
    """An answer: JSON ``data`` (JSON lines when ``jsonl``), or a dropped connection."""

    status: int | str
    data: Any = None
    jsonl: bool = False
    headers: dict[str, str] = attrs.Factory(dict)

    @property
    def content_type(self) -> str:
        return "application/binary" if self.jsonl else "application/json"

    def payload(self) -> bytes:
        if self.jsonl:
            return b"".join(_json(line) + b"\n" for line in self.data)
        return _json(self.data)


def _api_key(headers: Message) -> str | None:
    key = headers.get("x-api-key")
    if key:
        return key
    auth = headers.get("authorization") or ""
    if not auth.lower().startswith("bearer "):
        return None
    return auth[7:].strip() or None


class _Handler(BaseHTTPRequestHandler):
    """Hands every request to the owning :class:`FakeAnthropicServer`."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server_version = "FakeAnthropic/1.0"
    sys_version = ""
    server: _HTTPServer

    def setup(self) -> None:
        super().setup()
        self.server.fake._track(self.connection, True)

    def finish(self) -> None:
        self.server.fake._track(self.connection, False)
        super().finish()

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: what was received is in ``FakeAnthropicServer.requests``."""

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        reply = self.server.fake.respond(self.command, self.path, self.headers, raw)
        if reply.status == DISCONNECT:
            self.close_connection = True
            return
        payload = reply.payload()
        self.send_response(int(reply.status))
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(payload)))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_DELETE = _handle


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 1024
    fake: FakeAnthropicServer


class FakeAnthropicServer:
    """The fake API on ``127.0.0.1`` and a free port; ``url`` once started.

    :param rejected_keys: API keys answered with ``401 authentication_error``.
    :param cache_minimums: minimum cacheable prefix per model-id prefix (default 1024).
    :param responder: ``responder(params) -> str`` replaces the default reply text.
    :param batch_polls_to_end: retrieves a batch answers ``in_progress`` before ending.
    :param batch_delay: seconds (server clock) a batch stays in progress at least.
    :param latency: seconds every request waits before being answered.
    """

    def __init__(
        self,
        *,
        rejected_keys: Iterable[str] = (),
        cache_minimums: Mapping[str, int] | None = None,
        responder: Responder | None = None,
        batch_polls_to_end: int = 1,
        batch_delay: float = 0.0,
        latency: float = 0.0,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.latency = latency
        self.rejected_keys = set(rejected_keys)
        self.requests: list[RecordedRequest] = []
        self.cache = PromptCache(now=self.now, minimums=dict(cache_minimums or {}))
        self.engine = MessagesEngine(self.cache, responder)
        self.batches = BatchStore(self.engine, self.now, polls_to_end=batch_polls_to_end, delay=batch_delay)
        self._lock = threading.RLock()
        self._arrival = threading.Condition()
        self._arrived = 0
        self._faults: deque[Fault] = deque()
        self._standing: Fault | None = None
        self._offset = 0.0
        self._address = (host, port)
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._connections: set[socket.socket] = set()

    # -- lifecycle ---------------------------------------------------------------------

    def start(self) -> FakeAnthropicServer:
        """Bind and serve in a background thread; returns ``self``."""
        if self._httpd is not None:
            return self
        httpd = _HTTPServer(self._address, _Handler)
        httpd.fake = self
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close every open connection."""
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        httpd.shutdown()
        with self._lock:
            connections = list(self._connections)
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        httpd.server_close()
        if self._thread is not None:
            self._thread.join()

    def __enter__(self) -> FakeAnthropicServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>`` (the server must be started)."""
        if self._httpd is None:
            raise RuntimeError("the fake Anthropic server is not started")
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def env(self, api_key: str = FAKE_API_KEY) -> dict[str, str]:
        """``ANTHROPIC_BASE_URL`` and ``ANTHROPIC_API_KEY`` pointing the SDK at this server."""
        return {"ANTHROPIC_BASE_URL": self.url, "ANTHROPIC_API_KEY": api_key}

    def _track(self, conn: socket.socket, open_: bool) -> None:
        with self._lock:
            if open_:
                self._connections.add(conn)
            else:
                self._connections.discard(conn)

    # -- scripting ---------------------------------------------------------------------

    def now(self) -> float:
        """The server clock: wall time plus :meth:`advance_time` offsets."""
        return time.time() + self._offset

    def advance_time(self, seconds: float) -> None:
        """Move the server clock forward (expires cache entries, ends delayed batches)."""
        self._offset += seconds

    def fail_next(
        self,
        status: int | str,
        *,
        times: int = 1,
        retry_after: float | None = None,
        path: str | None = None,
    ) -> None:
        """Answer the next ``times`` matching requests with ``status`` (or drop them).

        A 429 carries ``retry-after`` (default 1 s); other statuses only when
        ``retry_after`` is given. ``path`` restricts the fault to paths starting with it.
        """
        fault = Fault(status, retry_after, path)
        with self._lock:
            self._faults.extend([fault] * times)

    def fail_always(
        self, status: int | str, *, retry_after: float | None = None, path: str | None = None
    ) -> None:
        """Answer every matching request with ``status`` until :meth:`clear_faults`."""
        with self._lock:
            self._standing = Fault(status, retry_after, path)

    def clear_faults(self) -> None:
        """Drop scripted and standing faults."""
        with self._lock:
            self._faults.clear()
            self._standing = None

    def reset(self) -> None:
        """Forget requests, faults, cache entries and batches; keep configuration."""
        with self._arrival:
            self._arrived = 0
        with self._lock:
            self.clear_faults()
            self.requests.clear()
            self.cache.clear()
            self.batches = BatchStore(
                self.engine,
                self.now,
                polls_to_end=self.batches.polls_to_end,
                delay=self.batches.delay,
            )

    @property
    def arrived(self) -> int:
        """Requests that have arrived since the last :meth:`reset`, answered or not yet."""
        with self._arrival:
            return self._arrived

    def wait_for_arrivals(self, count: int = 1, timeout: float = 30.0) -> bool:
        """Block until ``count`` requests have :attr:`arrived` (counted as soon as they are read,
        before ``latency`` and faults); ``False`` after ``timeout`` seconds."""
        with self._arrival:
            return self._arrival.wait_for(lambda: self._arrived >= count, timeout=timeout)

    def received(self, path: str | None = None) -> list[RecordedRequest]:
        """Recorded requests, optionally only those to exactly ``path`` (no query)."""
        with self._lock:
            return [r for r in self.requests if path is None or r.path.split("?")[0] == path]

    # -- answering ---------------------------------------------------------------------

    def _take_fault(self, path: str) -> Fault | None:
        for i, fault in enumerate(self._faults):
            if fault.matches(path):
                del self._faults[i]
                return fault
        if self._standing is not None and self._standing.matches(path):
            return self._standing
        return None

    def respond(self, method: str, target: str, headers: Message, raw: bytes) -> _Reply:
        """Answer one HTTP request (the handler's only entry point)."""
        with self._arrival:
            self._arrived += 1
            self._arrival.notify_all()
        request_id = new_id("req")
        if self.latency:
            time.sleep(self.latency)
        try:
            body: Any = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode("utf-8", "replace")
        with self._lock:
            try:
                if isinstance(body, str):
                    raise FakeAPIError(400, "request body is not valid JSON")
                reply = self._answer(method, target, headers, body)
            except FakeAPIError as exc:
                reply = _Reply(exc.status, exc.body(request_id), headers=exc.headers)
            except Exception as exc:  # a request the fake cannot handle: say so, like a 500
                error = FakeAPIError(500, f"fake server failed: {type(exc).__name__}: {exc}")
                reply = _Reply(500, error.body(request_id))
            reply.headers["request-id"] = request_id
            self.requests.append(
                RecordedRequest(
                    method=method,
                    path=target,
                    headers=dict(headers.items()),
                    body=body,
                    status=reply.status if isinstance(reply.status, int) else 0,
                    request_id=request_id,
                    response=reply.data,
                )
            )
        return reply

    def _answer(self, method: str, target: str, headers: Message, body: Any) -> _Reply:
        key = _api_key(headers)
        if key is None:
            raise FakeAPIError(401, "x-api-key header is required")
        if key in self.rejected_keys:
            raise FakeAPIError(401, "invalid x-api-key")
        if not headers.get("anthropic-version"):
            raise FakeAPIError(400, "anthropic-version: header is required")
        parts = urlsplit(target)
        fault = self._take_fault(parts.path)
        if fault is not None:
            return self._fault_reply(fault)
        scope = hashlib.sha256(key.encode()).hexdigest()[:16]
        return self._route(method, parts.path, parse_qs(parts.query), body, scope)

    def _fault_reply(self, fault: Fault) -> _Reply:
        if fault.status == DISCONNECT:
            return _Reply(DISCONNECT)
        status = int(fault.status)
        retry_after = fault.retry_after
        if retry_after is None and status == 429:
            retry_after = DEFAULT_RETRY_AFTER_429
        headers = {"retry-after": f"{retry_after:g}"} if retry_after is not None else {}
        raise FakeAPIError(status, headers=headers)

    def _route(self, method: str, path: str, query: dict[str, list[str]], body: Any, scope: str) -> _Reply:
        if path == "/v1/messages" and method == "POST":
            return _Reply(200, self.engine.create(body, scope=scope))
        if path == "/v1/messages/count_tokens" and method == "POST":
            return _Reply(200, {"input_tokens": self.engine.count_tokens(body)})
        if path == "/v1/messages/batches" and method == "POST":
            return self._batch(self.batches.create(body, scope))
        if path == "/v1/messages/batches" and method == "GET":
            return _Reply(200, self._page(query))
        match = _BATCH.match(path)
        if match is not None:
            batch_id, action = match.groups()
            if action is None and method == "GET":
                return self._batch(self.batches.poll(batch_id))
            if action is None and method == "DELETE":
                return _Reply(200, self.batches.delete(batch_id))
            if action == "/cancel" and method == "POST":
                return self._batch(self.batches.cancel(batch_id))
            if action == "/results" and method == "GET":
                return _Reply(200, self.batches.results(batch_id), jsonl=True)
        raise FakeAPIError(404, f"no route for {method} {path}")

    def _batch(self, batch: FakeBatch) -> _Reply:
        return _Reply(200, self.batches.describe(batch, self.url))

    def _page(self, query: dict[str, list[str]]) -> dict[str, Any]:
        def one(name: str) -> str | None:
            values = query.get(name)
            return values[0] if values else None

        limit_text = one("limit") or "20"
        if not limit_text.isdigit() or not 1 <= int(limit_text) <= 1000:
            raise FakeAPIError(400, "limit: expected an integer from 1 to 1000")
        return self.batches.page(
            self.url, limit=int(limit_text), after_id=one("after_id"), before_id=one("before_id")
        )


@contextlib.contextmanager
def fake_anthropic_server(**options: Any) -> Iterator[FakeAnthropicServer]:
    """A started :class:`FakeAnthropicServer` (``options`` go to its constructor), stopped after."""
    with FakeAnthropicServer(**options) as server:
        yield server


def main(argv: list[str] | None = None) -> None:
    """Serve the fake API until interrupted: ``python -m empathy_testing.fake_anthropic``."""
    parser = argparse.ArgumentParser(prog="python -m empathy_testing.fake_anthropic")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds per request")
    args = parser.parse_args(argv)
    with FakeAnthropicServer(host=args.host, port=args.port, latency=args.latency) as server:
        print(f"fake Anthropic API on {server.url}  (export ANTHROPIC_BASE_URL={server.url})", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()


if __name__ == "__main__":
    main()
