"""Entry-point module: registers the five default level handlers as ``default``.

The hook runs when EmpathyOS first dispatches, so the handlers are imported only then.
"""

from __future__ import annotations

from collections.abc import Callable

from empathy_core import hookimpl

NAME = "default"


@hookimpl
def empathy_register_level_handlers(register: Callable[..., None]) -> None:
    from empathy_levels import handlers

    for level, handler in handlers.HANDLERS.items():
        register(level, NAME, handler)
