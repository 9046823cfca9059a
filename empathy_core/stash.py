"""A typed per-runtime store where plugins keep their state (pytest's ``Stash``)."""

from __future__ import annotations

from typing import Any, Generic, TypeVar, cast

import attrs

T = TypeVar("T")


@attrs.frozen(eq=False)
class StashKey(Generic[T]):
    """A typed key of :class:`Stash`; compare by identity, so each plugin's keys are its own."""

    name: str = ""


class Stash:
    """Per-runtime plugin state: ``empathy.stash[KEY] = value`` with ``KEY = StashKey[T]()``."""

    def __init__(self) -> None:
        self._data: dict[StashKey[Any], Any] = {}

    def __getitem__(self, key: StashKey[T]) -> T:
        return cast(T, self._data[key])

    def __setitem__(self, key: StashKey[T], value: T) -> None:
        self._data[key] = value

    def __delitem__(self, key: StashKey[T]) -> None:
        del self._data[key]

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def get(self, key: StashKey[T], default: T | None = None) -> T | None:
        return cast("T | None", self._data.get(key, default))

    def setdefault(self, key: StashKey[T], default: T) -> T:
        return cast(T, self._data.setdefault(key, default))
