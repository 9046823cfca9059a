"""Driving Debian's Chromium headless with Playwright (tests and the screenshot tool).

Playwright's own browser downloads are never used: ``.ci/setup-browser`` installs the
``chromium`` package and the ``playwright`` Python package.
"""

from __future__ import annotations

import os
import shutil
from typing import Any

CHROMIUM = os.environ.get("EMPATHY_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def browser_problem() -> str | None:
    """Why the browser cannot run here (a reason to skip), or ``None``."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (run .ci/setup-browser)"
    if not (os.access(CHROMIUM, os.X_OK) or shutil.which(CHROMIUM)):
        return f"no Chromium at {CHROMIUM} (run .ci/setup-browser, or set EMPATHY_CHROMIUM)"
    return None


def launch(playwright: Any) -> Any:
    """A headless Chromium browser from ``sync_playwright()``."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
