"""Serving the app: the listening socket, uvicorn's settings, and a server in a thread
(for tests, the screenshot tool and the benchmark)."""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

import attrs

from empathy_core import EmpathyError


def listen(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port`` (``0``: any free port); one error line when that
    fails (exit 2 for a name that is no address, 1 for a port in use or not allowed)."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except (socket.gaierror, UnicodeError) as exc:
        raise EmpathyError(f"--host {host!r} is no address of this machine ({exc})", exit_code=2) from None
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
    except OSError as exc:
        sock.close()
        raise EmpathyError(f"cannot listen on {host}:{port}: {exc.strerror or exc}", exit_code=1) from None
    sock.listen(128)
    return sock


def server_config(app: Any) -> Any:
    import uvicorn

    return uvicorn.Config(
        app, log_level="warning", access_log=False, lifespan="off", timeout_graceful_shutdown=1
    )


@attrs.define
class BackgroundServer:
    """``with BackgroundServer(app) as server: server.url``: ``app`` served on a free
    loopback port by uvicorn in a daemon thread, stopped on exit."""

    app: Any
    host: str = "127.0.0.1"
    url: str = ""
    _server: Any = None
    _thread: threading.Thread | None = None

    def __enter__(self) -> BackgroundServer:
        import uvicorn

        sock = listen(self.host, 0)
        self.url = f"http://{self.host}:{sock.getsockname()[1]}"
        self._server = uvicorn.Server(server_config(self.app))
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [sock]}, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 30
        while not self._server.started and time.monotonic() < deadline:
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.should_exit = True
        assert self._thread is not None  # nosec B101 - set by __enter__
        self._thread.join(10)
