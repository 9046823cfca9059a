"""Entry-point module of {{ cookiecutter.project_slug }}: hook implementations only.

Keep it light: import the workflow{% if cookiecutter.cli_command == "yes" %}, the command{% endif %} and any heavy dependency inside the hook
bodies, so that `empathy --help` and `empathy workflow list` stay fast. Everything comes
from `empathy_core` itself: its other modules are private.
"""

from __future__ import annotations

from collections.abc import Callable
{%- if cookiecutter.cli_command == "yes" %}
from typing import TYPE_CHECKING
{%- endif %}

from empathy_core import hookimpl
{%- if cookiecutter.cli_command == "yes" %}

if TYPE_CHECKING:
    import click
{%- endif %}

PLUGIN = "{{ cookiecutter.plugin_name }}"
"""The entry-point name; `plugins.settings` accepts it or the distribution name."""


@hookimpl
def empathy_register_workflows(register: Callable[..., None]) -> None:
    from {{ cookiecutter.package_name }}.workflow import {{ cookiecutter.workflow_class }}

    register({{ cookiecutter.workflow_class }})


@hookimpl
def empathy_register_settings(register: Callable[..., None]) -> None:
    from {{ cookiecutter.package_name }}.settings import Settings

    register(Settings)
{%- if cookiecutter.cli_command == "yes" %}


@hookimpl
def empathy_register_commands(cli: click.Group) -> None:
    from {{ cookiecutter.package_name }}.commands import command

    cli.add_command(command)
{%- endif %}
