"""The Starlette app: the page, its static files, the JSON endpoints and the live stream.

Every figure on the page comes from a JSON endpoint (``/api/...``), so scripts can read
the same. Store calls run in Starlette's thread pool (sync endpoints) or
``asyncio.to_thread`` (the stream), never on the event loop. A bad query parameter is
a 400 naming it; an unknown run or approval request a 404; answering an answered
request a 409; a store failure a 503 with the store's message.
"""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from empathy_core import EmpathyError, StorageError
from empathy_dashboard.data import GROUP_BY, Conflict, DashboardData, NotFound
from empathy_dashboard.scrub import as_json
from empathy_dashboard.security import Guard

if TYPE_CHECKING:
    from empathy_core import Empathy

STATIC = Path(__file__).parent / "static"
MAX_BODY = 16 * 1024
STREAM_INTERVAL = 1.0


def number(request: Request, name: str, default: float, low: float, high: float) -> float:
    """The query parameter ``name`` as a number in (``low``, ``high``]."""
    text = request.query_params.get(name)
    if text is None:
        return default
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{name} must be a number, got {text!r}") from None
    if not math.isfinite(value) or not low < value <= high:
        raise ValueError(f"{name} must be more than {low:g} and at most {high:g}, got {text!r}")
    return value


def choice(request: Request, name: str, options: tuple[str, ...]) -> str:
    value = request.query_params.get(name, options[0])
    if value not in options:
        raise ValueError(f"{name} must be one of {', '.join(options)}, got {value!r}")
    return value


def error(status: int, text: str) -> Response:
    return Response(as_json({"error": text}), status_code=status, media_type="application/json")


def answering(handler: Callable[[Request], Any]) -> Callable[[Request], Response]:
    """A sync endpoint returning data, with the errors mapped to statuses."""

    def endpoint(request: Request) -> Response:
        try:
            return Response(as_json(handler(request)), media_type="application/json")
        except NotFound as exc:
            return error(404, str(exc))
        except Conflict as exc:
            return error(409, str(exc))
        except StorageError as exc:
            return error(503, str(exc))
        except (ValueError, EmpathyError) as exc:
            return error(400, str(exc))

    endpoint.__name__ = handler.__name__
    return endpoint


def create_app(empathy: Empathy, guard: Guard | None = None, *, interval: float = STREAM_INTERVAL) -> Any:
    """The dashboard of ``empathy``'s stores as an ASGI app, behind ``guard`` (default:
    loopback rules with a fresh token). ``interval``: seconds between stream polls."""
    guard = guard or Guard()
    data = DashboardData(empathy)
    page = (STATIC / "index.html").read_text(encoding="utf-8").replace("{{TOKEN}}", guard.token)

    def index(request: Request) -> Response:
        return HTMLResponse(page)

    def summary(request: Request) -> Any:
        return data.summary(number(request, "days", 30, 0, 3660))

    def timeseries(request: Request) -> Any:
        by = choice(request, "by", GROUP_BY)
        return data.timeseries(number(request, "days", 30, 0, 366), by)  # type: ignore[arg-type]

    def runs(request: Request) -> Any:
        sort = choice(request, "sort", ("cost", "recent"))
        limit = int(number(request, "limit", 20, 0, 500))
        return data.runs(number(request, "days", 30, 0, 3660), sort, limit)  # type: ignore[arg-type]

    def run(request: Request) -> Any:
        return data.run(request.path_params["run_id"])

    def agents(request: Request) -> Any:
        return data.agents()

    def events(request: Request) -> Any:
        count = int(number(request, "count", 50, 0, 1000))
        return data.events(count, request.query_params.get("type") or None)

    def approvals(request: Request) -> Any:
        return data.approvals()

    def routing(request: Request) -> Any:
        return data.routing(number(request, "days", 7, 0, 3660))

    async def respond(request: Request) -> Response:
        body = await request.body()
        if len(body) > MAX_BODY:
            return error(413, f"request body over {MAX_BODY} bytes")
        try:
            answer = json.loads(body or b"{}")
        except ValueError:
            return error(400, "the request body is not JSON")
        if not isinstance(answer, dict) or answer.get("decision") not in ("approve", "reject"):
            return error(400, 'the body must be {"decision": "approve" | "reject", "responder", "reason"}')
        responder = answer.get("responder") or "dashboard"
        if not isinstance(responder, str):
            return error(400, "responder must be text")
        call = answering(
            lambda _: data.respond(
                request.path_params["request_id"],
                answer["decision"] == "approve",
                responder,
                answer.get("reason", ""),
            )
        )
        return await asyncio.to_thread(call, request)

    async def stream(request: Request) -> Response:
        rounds = int(number(request, "rounds", 0, -1, 100_000)) or None
        return StreamingResponse(
            live(data, interval, rounds),
            media_type="text/event-stream",
            headers={"x-accel-buffering": "no"},
        )

    api = [
        Route("/api/summary", answering(summary)),
        Route("/api/timeseries", answering(timeseries)),
        Route("/api/runs", answering(runs)),
        Route("/api/runs/{run_id}", answering(run)),
        Route("/api/agents", answering(agents)),
        Route("/api/events", answering(events)),
        Route("/api/approvals", answering(approvals)),
        Route("/api/approvals/{request_id}", respond, methods=["POST"]),
        Route("/api/routing", answering(routing)),
        Route("/api/stream", stream),
    ]
    app = Starlette(
        routes=[Route("/", index), *api, Mount("/static", StaticFiles(directory=STATIC), name="static")]
    )
    return guard.wrap(app)


def sse(kind: str, payload: Any) -> str:
    return f"event: {kind}\ndata: {as_json(payload)}\n\n"


async def live(data: DashboardData, interval: float, rounds: int | None = None) -> AsyncIterator[str]:
    """Server-sent events: ``agents`` and ``approvals`` when they change, every new
    ``event`` (oldest first), ``telemetry`` when new calls were recorded; a comment line
    otherwise, so proxies keep the connection. Ends after ``rounds`` polls when given."""
    seen: set[str] = set()
    last: dict[str, Any] = {}
    first = True
    done = 0
    while rounds is None or done < rounds:
        try:
            snapshot = await asyncio.to_thread(poll, data)
        except EmpathyError as exc:
            yield sse("problem", {"error": str(exc)})
            snapshot = None
        if snapshot is not None:
            sent = False
            for kind in ("agents", "approvals", "telemetry"):
                if snapshot[kind] != last.get(kind):
                    last[kind] = snapshot[kind]
                    yield sse(kind, snapshot[kind])
                    sent = True
            fresh = [e for e in snapshot["events"] if e["event_id"] not in seen]
            seen = {e["event_id"] for e in snapshot["events"]}
            if not first:
                for event in reversed(fresh):
                    yield sse("event", event)
                    sent = True
            first = False
            if not sent:
                yield ": idle\n\n"
        done += 1
        if rounds is None or done < rounds:
            await asyncio.sleep(interval)


def poll(data: DashboardData) -> dict[str, Any]:
    newest = data.store.recent(1)
    return {
        "agents": data.agents(),
        "approvals": data.approvals(),
        "telemetry": {"newest": newest[0].record_id if newest else None},
        "events": data.events(100)["events"],
    }
