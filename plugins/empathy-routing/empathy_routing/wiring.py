"""Per-runtime state of the plugin: its validated settings and its one open store."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from empathy_core import StashKey
from empathy_routing.settings import RoutingSettings
from empathy_routing.store import RoutingStore, open_store

if TYPE_CHECKING:
    from empathy_core import Empathy

_STORE = StashKey[RoutingStore]("empathy-routing-store")
_LOCK = threading.Lock()


def routing_settings(empathy: Empathy) -> RoutingSettings:
    """The plugin's validated settings (defaults when the plugin is not loaded)."""
    settings: RoutingSettings = empathy.settings(RoutingSettings)
    return settings


def routing_store(empathy: Empathy) -> RoutingStore:
    """The store named by the settings, opened once per runtime (closed at unconfigure)."""
    store = empathy.stash.get(_STORE)
    if store is None:
        with _LOCK:
            store = empathy.stash.get(_STORE)
            if store is None:
                store = empathy.stash.setdefault(_STORE, open_store(routing_settings(empathy).store_url()))
    return store


def close_store(empathy: Empathy) -> None:
    store = empathy.stash.get(_STORE)
    if store is not None:
        del empathy.stash[_STORE]
        store.close()
