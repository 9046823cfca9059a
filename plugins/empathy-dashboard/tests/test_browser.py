"""The page in Debian's Chromium (headless, through Playwright): it loads every page
without a script error, a chart carries the recorded figures, and an approval asked for
by a workflow in another process is approved by clicking, after which that run goes on.

Skipped, with the reason, where playwright or Chromium is missing (``.ci/setup-browser``
installs both).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from empathy_coordination import EventStreamer
from empathy_core import UsageTracker
from empathy_dashboard import create_app
from empathy_dashboard.browser import browser_problem, launch
from empathy_dashboard.server import BackgroundServer

PROBLEM = browser_problem()
pytestmark = pytest.mark.skipif(PROBLEM is not None, reason=PROBLEM or "")
WORKER = Path(__file__).with_name("gated_worker.py")
WAIT_MS = 60_000


@pytest.fixture
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = launch(pw)
        yield chromium
        chromium.close()


@pytest.fixture
def server(runtime: Any) -> Iterator[BackgroundServer]:
    with BackgroundServer(create_app(runtime, interval=0.2)) as running:
        yield running


@pytest.fixture
def page(browser: Any, server: BackgroundServer) -> Iterator[Any]:
    """A page of the dashboard; fails the test on any script error or console error."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    tab.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    tab.set_default_timeout(WAIT_MS)
    tab.goto(server.url + "/")
    yield tab
    context.close()
    assert not errors, errors


def open_page(tab: Any, name: str) -> None:
    tab.evaluate(f"() => {{ location.hash = '#{name}'; }}")
    tab.wait_for_function(f"() => window.dashboard.loaded === '{name}'")


def test_every_page_loads_and_goes_live(page):
    page.wait_for_function("() => document.getElementById('live').textContent === 'live'")
    assert page.title() == "Empathy dashboard"
    for name in ("costs", "agents", "approvals", "routing", "runs"):
        open_page(page, name)
        assert page.locator(f"#page-{name}").is_visible()
        assert page.locator(f"nav a[data-page={name}]").get_attribute("class") == "active"


def test_the_charts_carry_the_recorded_figures(page, runtime, record):
    record("review", "scan", "cheap", "claude-haiku-4-5", input=4000, output=500, run_id="r1")
    record("review", "analyse", "premium", "claude-opus-4-6", input=2000, output=800, run_id="r1")
    record("tests", "plan", "capable", "claude-sonnet-4-6", input=1000, output=100, run_id="r2")
    stats = UsageTracker(runtime).get_stats(30)
    page.reload()
    page.wait_for_function("() => window.dashboard.loaded === 'costs'")

    bars = page.locator("#cost-bars g.bar")
    shown = {
        bars.nth(i).get_attribute("data-name"): float(bars.nth(i).get_attribute("data-value"))
        for i in range(bars.count())
    }
    assert shown == pytest.approx({name: row["cost"] for name, row in stats["by_workflow"].items()})
    review = f"${stats['by_workflow']['review']['cost']:.6f}"
    assert review in page.locator("#cost-bars").inner_text()

    plotted = page.evaluate(
        "() => window.dashboard.charts.cost.data.slice(1).map((s) => s.reduce((a, b) => a + b, 0))"
    )
    assert sum(plotted) == pytest.approx(stats["total_cost"])
    assert page.locator("#cost-chart canvas").count() == 1

    tiers = page.locator("#tier-bars g.bar")
    assert [tiers.nth(i).get_attribute("data-name") for i in range(tiers.count())] == [
        "cheap",
        "capable",
        "premium",
    ]
    assert f"${stats['savings']:.6f}"[:6] in page.locator("#kpis").inner_text()


def test_an_approval_from_another_process_is_approved_by_clicking(page, runtime):
    open_page(page, "approvals")
    page.wait_for_function("() => document.getElementById('live').textContent === 'live'")
    worker = subprocess.Popen(
        [sys.executable, str(WORKER)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        card = page.locator(".approval")
        card.wait_for()  # arrives by the live stream: the page is not reloaded
        assert card.locator("h3").inner_text() == "run_analyse"
        assert worker.poll() is None  # the run waits for the answer
        page.fill("#responder", "release-manager")
        card.locator("input").fill("checked in the browser")
        card.locator("button.approve").click()
        out, err = worker.communicate(timeout=120)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.communicate()
    assert worker.returncode == 0, err
    result = json.loads(out.strip().splitlines()[-1])
    assert result["status"] == "success", result
    assert result["stages"] == {"scan": "success", "analyse": "success", "summarise": "success"}
    assert "as release-manager" in page.locator("#approval-result").inner_text()
    [resolved] = EventStreamer(empathy=runtime).get_recent_events("approval_resolved")
    assert (resolved.data["approved"], resolved.data["responder"], resolved.data["reason"]) == (
        True,
        "release-manager",
        "checked in the browser",
    )
    page.locator(".approval").wait_for(state="detached")


def test_beyond_loopback_the_token_link_opens_the_page_and_its_stream(browser, runtime, record):
    from empathy_dashboard import Guard

    record("review", "scan", "cheap", "claude-haiku-4-5", run_id="r1")
    guard = Guard(bind_host="0.0.0.0")  # nosec B104 - the rules of a wildcard bind, served on loopback
    with BackgroundServer(create_app(runtime, guard, interval=0.2)) as running:
        context = browser.new_context()
        tab = context.new_page()
        tab.set_default_timeout(WAIT_MS)
        assert tab.goto(running.url + "/").status == 401
        tab.goto(f"{running.url}/?token={guard.token}#runs")
        tab.wait_for_function("() => window.dashboard.loaded === 'runs'")
        tab.wait_for_function("() => document.getElementById('live').textContent === 'live'")
        assert "token" not in tab.url  # dropped from the address bar and history
        assert "review" in tab.locator("#runs").inner_text()
        context.close()
