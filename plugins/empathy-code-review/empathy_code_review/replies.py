"""The structured (JSON) replies the workflows ask models for, read strictly.

A reply may wrap its JSON in a Markdown fence or a sentence; the first JSON object in it
is the answer. A reply holding none is a :class:`ReplyError`: the workflow reports the
stage's output as unusable rather than guessing.
"""

from __future__ import annotations

import json
from typing import Any

from empathy_core import EmpathyError, shorten

JSON_ONLY = (
    "Answer with one JSON object and nothing else, exactly in this shape (no prose, no Markdown):\n{shape}"
)


class ReplyError(EmpathyError):
    """A model's reply does not hold the JSON object it was asked for."""


def parse_json_reply(text: str, *, keys: tuple[str, ...] = ()) -> dict[str, Any]:
    """The first JSON object in ``text``; it must have every one of ``keys``.

    Raises :class:`ReplyError` quoting the start of the reply when there is none.
    """
    decoder = json.JSONDecoder()
    start = text.find("{")
    while start != -1:
        try:
            value, _ = decoder.raw_decode(text, start)
        except ValueError:
            start = text.find("{", start + 1)
            continue
        if isinstance(value, dict) and all(k in value for k in keys):
            return value
        start = text.find("{", start + 1)
    wanted = f" with {', '.join(repr(k) for k in keys)}" if keys else ""
    raise ReplyError(f"the reply holds no JSON object{wanted}: {shorten(text)}")
