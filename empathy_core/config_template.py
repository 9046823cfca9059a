"""Render a commented ``empathy.config.yml`` for the installed plugins.

Every key is preceded by its description, read from the attrs class that validates it
(:func:`field_docs`), and shows its default, so the rendered file validates as written.
"""

from __future__ import annotations

import ast
import inspect
import itertools
import re
import textwrap
from typing import TYPE_CHECKING, Any

import attrs
import yaml

from empathy_core.config import EmpathyConfig
from empathy_core.serialize import to_dict

if TYPE_CHECKING:
    from empathy_core.runtime import Empathy

_HEADER = """\
# empathy.config.yml, written by `empathy init` for the plugins installed when it ran.
# Every key shows its default: delete those you do not change.
# Search order: --config > $EMPATHY_CONFIG > ./empathy.config.yml > ~/.config/empathy/config.yml
# Strings may use ${ENV_VAR} or ${ENV_VAR:-default}. Check the file with `empathy config validate`.
"""
_ITEM_END = r"(?=\n\s*(?::\w|- ``)|\n\s*\n|\Z)"
_PARAM = re.compile(r":param (\w+):(.*?)" + _ITEM_END, re.DOTALL)
_BULLET = re.compile(r"^\s*- ``(\w+)``:(.*?)" + _ITEM_END, re.DOTALL | re.MULTILINE)
_WIDTH = 88


def field_docs(cls: type) -> dict[str, str]:
    """Description of each field of attrs class ``cls``, on one line.

    Read from the string literal right after the field (an attribute docstring), else
    from ``:param name:`` or ``- ``name``: ...`` lines in the class docstring. A field
    with none of these is absent from the result.
    """
    docs: dict[str, str] = {}
    class_doc = inspect.getdoc(cls) or ""
    for pattern in (_BULLET, _PARAM):
        docs.update((name, text) for name, text in pattern.findall(class_doc))
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(cls)))
    except (OSError, TypeError, SyntaxError):
        tree = None
    body = tree.body[0].body if tree and isinstance(tree.body[0], ast.ClassDef) else []
    for stmt, following in itertools.pairwise(body):
        if (
            isinstance(stmt, ast.AnnAssign)
            and isinstance(stmt.target, ast.Name)
            and isinstance(following, ast.Expr)
            and isinstance(following.value, ast.Constant)
            and isinstance(following.value.value, str)
        ):
            docs[stmt.target.id] = following.value.value
    return {name: " ".join(text.split()) for name, text in docs.items() if text.strip()}


def inline_yaml(value: Any) -> str:
    """``value`` as one line of YAML."""
    return yaml.safe_dump(value, default_flow_style=True, width=10**6).removesuffix("\n...\n").strip()


def _comment(text: str, pad: str) -> list[str]:
    """``text`` as wrapped YAML comment lines (reST double backquotes made single)."""
    text = text.replace("``", "`")
    return [f"{pad}# {line}" for line in textwrap.wrap(text, _WIDTH - len(pad) - 2)] if text else []


def _render(obj: Any, depth: int, skip: frozenset[str] = frozenset()) -> list[str]:
    """``obj``'s fields as commented YAML lines, nested attrs instances as mappings."""
    pad = "  " * depth
    docs = field_docs(type(obj))
    lines: list[str] = []
    for field in attrs.fields(type(obj)):
        if field.name in skip:
            continue
        value = getattr(obj, field.name)
        if depth == 0 and lines:
            lines.append("")
        lines += _comment(docs.get(field.name, ""), pad)
        if attrs.has(type(value)):
            lines.append(f"{pad}{field.name}:")
            lines += _render(value, depth + 1)
        else:
            lines.append(f"{pad}{field.name}: {inline_yaml(to_dict(value))}")
    return lines


def _plugin_settings(empathy: Empathy, pad: str) -> list[str]:
    """One commented mapping per plugin that declares settings, keyed by distribution."""
    lines: list[str] = []
    for plugin_name, cls in sorted(empathy.settings_classes().items()):
        info = empathy.infos.get(plugin_name)
        key = (info.dist if info and info.dist else None) or plugin_name
        summary = (inspect.getdoc(cls) or "").split("\n")[0]
        lines += _comment(f"{key}: {summary}" if summary else key, pad)
        try:
            defaults = cls()
        except TypeError as exc:
            lines += _comment(f"{key} has required settings ({exc}); see its documentation", pad)
            continue
        lines.append(f"{pad}{key}:")
        lines += _render(defaults, len(pad) // 2 + 1)
    return lines


def render_config(empathy: Empathy) -> str:
    """The core's keys with their defaults, then each installed plugin's settings."""
    config = EmpathyConfig()
    docs = field_docs(EmpathyConfig)
    lines = [_HEADER]
    lines += _render(config, 0, skip=frozenset({"api_key", "plugins", "hooks", "source", "lines"}))
    lines += ["", *_comment(docs["api_key"], ""), "# api_key: null", ""]
    lines += _comment(docs["plugins"], "")
    lines.append("plugins:")
    lines += _render(config.plugins, 1, skip=frozenset({"settings"}))
    plugin_lines = _plugin_settings(empathy, "    ")
    plugin_docs = field_docs(type(config.plugins))
    lines += _comment(plugin_docs["settings"], "  ")
    lines += ["  settings:", *plugin_lines] if plugin_lines else ["  settings: {}"]
    example = "# for example {empathy_record_usage: [telemetry]}"
    lines += ["", *_comment(docs["hooks"], ""), example, "hooks: {}"]
    return "\n".join(lines) + "\n"
