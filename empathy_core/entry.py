"""Console-script entry point with a fast path for ``empathy --help``.

The root help text is rendered once by click and kept in the on-disk index (keyed by
terminal width); while the index is valid, ``empathy --help`` prints it without importing
click or anything else. Every other invocation goes to :func:`empathy_core.cli.main`.
"""

from __future__ import annotations

import sys


def main() -> None:
    """Run ``empathy`` with ``sys.argv``."""
    if sys.argv[1:] == ["--help"]:
        from empathy_core import index

        data = index.load(None, False)
        text = data.get("help", {}).get(index.terminal_width()) if data else None
        failures = index.failure_messages(data) if data else []
        if text is not None and not (failures and index.strict_from_env()):
            for message in failures:
                sys.stderr.write(f"Warning: {message}; skipped\n")
            sys.stdout.write(text)
            return
    from empathy_core.cli import main as cli_main

    cli_main()
