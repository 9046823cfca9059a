"""`plugins.settings.{{ cookiecutter.project_slug }}` in empathy.config.yml.

Each field's docstring is its description in `empathy init` and `empathy config show`.
"""

from __future__ import annotations

import attrs


@attrs.define
class Settings:
    """How the summary is written."""

    max_words: int = attrs.field(default=120, validator=attrs.validators.gt(0))
    """Longest summary asked for, in words."""
    style: str = attrs.field(default="prose", validator=attrs.validators.in_(("prose", "bullets")))
    """`prose` or `bullets`."""
