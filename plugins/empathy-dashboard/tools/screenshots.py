"""Screenshots of every dashboard page, over a seeded demo data set, into docs/plugins/dashboard/.

    python plugins/empathy-dashboard/tools/screenshots.py [OUTPUT_DIR]

Runs in a temporary cache directory (SQLite stores), with the coordination and routing
plugins; needs Chromium and playwright (``.ci/setup-browser``).
"""

from __future__ import annotations

import os
import random
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
OUT = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "plugins" / "dashboard"
PAGES = ("costs", "agents", "approvals", "routing", "runs")
WORKFLOWS = {
    "code-review": ("scan", "analyse", "summarise"),
    "test-gen": ("plan", "generate", "verify"),
    "security-audit": ("triage", "assess"),
    "bug-predict": ("score",),
}
MODELS = {"cheap": "claude-haiku-4-5", "capable": "claude-sonnet-4-6", "premium": "claude-opus-4-6"}


def seed(runtime: object) -> None:
    from empathy_coordination import ApprovalGate, EventStreamer, HeartbeatCoordinator
    from empathy_core import Usage, UsageRecord, new_run_id, utcnow

    rng = random.Random(16)
    table = runtime.config.price_table()  # type: ignore[attr-defined]
    now = utcnow()
    runs: list[tuple[str, str]] = []
    for day in range(29, -1, -1):
        for _ in range(rng.randint(6, 14)):
            workflow = rng.choice(list(WORKFLOWS))
            run_id = new_run_id()
            runs.append((workflow, run_id))
            start = now - timedelta(days=day, hours=rng.uniform(0, 12))
            for i, stage in enumerate(WORKFLOWS[workflow]):
                tier = rng.choice(("cheap", "cheap", "capable", "premium"))
                read = rng.choice((0, 0, rng.randint(2000, 9000)))
                usage = Usage(rng.randint(800, 6000), rng.randint(100, 1500), 0, 0, read)
                success = rng.random() > 0.04
                runtime.record_usage(  # type: ignore[attr-defined]
                    UsageRecord(
                        workflow=workflow,
                        stage=stage,
                        tier=tier,
                        provider="anthropic",
                        model=MODELS[tier],
                        usage=usage if success else Usage(),
                        cost=table.cost(MODELS[tier], usage) if success else 0.0,
                        duration_ms=rng.uniform(400, 9000),
                        success=success,
                        run_id=run_id,
                        timestamp=start + timedelta(seconds=20 * i),
                    )
                )
    runtime.flush()  # type: ignore[attr-defined]
    for i, (workflow, run_id) in enumerate(runs[-12:]):  # tracked runs: their heartbeat's status
        tracked = HeartbeatCoordinator(empathy=runtime)
        tracked.start_heartbeat(f"{workflow}-{run_id}"[:128], {"workflow": workflow, "run_id": run_id})
        tracked.complete("failed" if i % 5 == 4 else "success")
    events = EventStreamer(empathy=runtime)
    for name, status, progress, stage in (
        ("code-review-7f3a", "running", 0.66, "summarise"),
        ("test-gen-91bc", "running", 0.33, "generate"),
        ("security-audit-2d04", "awaiting_approval", 0.5, "assess"),
    ):
        beat = HeartbeatCoordinator(enable_streaming=True, empathy=runtime, ttl=3600)
        beat.start_heartbeat(name, {"workflow": name.rsplit("-", 1)[0]})
        beat.beat(status=status, progress=progress, current_stage=stage)
    stale = HeartbeatCoordinator(empathy=runtime, ttl=1)
    stale.start_heartbeat("bug-predict-55e1", {"workflow": "bug-predict"})
    stale.beat(progress=0.2, current_stage="score")
    done = HeartbeatCoordinator(empathy=runtime)
    done.start_heartbeat("code-review-0c11", {"workflow": "code-review"})
    done.complete("success", {"cost": 0.0412})
    for stage in ("scan", "analyse"):
        events.publish_event("stage_finished", {"workflow": "code-review", "run_id": "7f3a", "stage": stage})
    gate = ApprovalGate("security-audit-2d04", empathy=runtime)
    threading.Thread(
        target=gate.request_approval,
        args=(
            "deploy_to_production",
            {"workflow": "security-audit", "stage": "assess", "run_id": "2d04"},
            3600,
        ),
        daemon=True,
    ).start()
    time.sleep(2)  # the stale agent's ttl passes; the approval request is stored


def main() -> int:
    from empathy_dashboard.browser import browser_problem, launch

    problem = browser_problem()
    if problem:
        print(f"cannot take screenshots: {problem}", file=sys.stderr)
        return 1
    os.environ["EMPATHY_CACHE_DIR"] = tempfile.mkdtemp(prefix="empathy-screens-")
    from playwright.sync_api import sync_playwright

    import empathy_coordination.plugin as coordination_plugin
    import empathy_routing.plugin as routing_plugin
    import empathy_sqlite.plugin as sqlite_plugin
    from empathy_core import Empathy, EmpathyConfig
    from empathy_dashboard import create_app
    from empathy_dashboard.server import BackgroundServer

    runtime = Empathy(EmpathyConfig(provider="mock"), plugins=[sqlite_plugin, coordination_plugin])
    runtime.add_plugin(routing_plugin, "routing", dist="empathy-routing")
    Empathy.set_current(runtime)
    runtime.configure()
    seed(runtime)
    OUT.mkdir(parents=True, exist_ok=True)
    with BackgroundServer(create_app(runtime)) as server, sync_playwright() as pw:
        browser = launch(pw)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.goto(server.url + "/#costs")
        for name in PAGES:
            page.goto(f"{server.url}/#{name}")
            page.wait_for_function(f"() => window.dashboard.loaded === {name!r}")
            page.wait_for_function("() => document.getElementById('live').textContent === 'live'")
            time.sleep(0.8)
            page.screenshot(path=str(OUT / f"{name}.png"), full_page=True)
            print(f"wrote {OUT / f'{name}.png'}")
        browser.close()
    runtime.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
