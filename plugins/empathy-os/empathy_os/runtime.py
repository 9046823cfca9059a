"""Mixins of EmpathyOS and PatternLibrary: the runtime they use, and ``with`` / ``async with``.

``UsesRuntime``: the runtime an object was given, else the process-wide one, on first use.
``Contextual``: ``with obj`` and ``async with obj`` as the seeds write them; nothing to
open or close (stores belong to the runtime, which closes them).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Self

if TYPE_CHECKING:
    from empathy_core import Empathy


class UsesRuntime:
    """Mixin for objects built with ``empathy=None``: :attr:`empathy` is looked up when
    first needed, so an object made before the runtime is configured uses that runtime."""

    _empathy: Empathy | None = None

    @property
    def empathy(self) -> Empathy:
        """The runtime given at construction, else :meth:`Empathy.current`."""
        if self._empathy is None:
            from empathy_core import Empathy

            self._empathy = Empathy.current()
        return self._empathy


class Contextual:
    """``with`` and ``async with`` give the object itself and release nothing."""

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        return None
