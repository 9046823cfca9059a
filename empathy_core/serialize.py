"""The one converter between records and JSON-ready data (cattrs)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar

import cattrs

T = TypeVar("T")

converter = cattrs.Converter()
converter.register_unstructure_hook(datetime, lambda d: d.isoformat())
converter.register_structure_hook(datetime, lambda v, _: datetime.fromisoformat(v))


def to_dict(obj: Any) -> Any:
    """Unstructure a record (or list/dict of records) into JSON-ready data."""
    return converter.unstructure(obj)


def from_dict(cls: type[T], data: Any) -> T:
    """Structure JSON-ready data into ``cls``; raises cattrs' validation errors."""
    return converter.structure(data, cls)
