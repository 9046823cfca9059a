"""``UsesRuntime``: the runtime an object was given, else the process-wide one, on first use."""

from __future__ import annotations

from typing import TYPE_CHECKING

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
