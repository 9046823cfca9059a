"""Entry-point module of {{ cookiecutter.project_slug }}: hook implementations only.

Keep it light: import the workflow{% if cookiecutter.cli_command == "yes" %}, the command{% endif %} and any heavy dependency inside the hook
bodies, so that `empathy --help` and `empathy workflow list` stay fast.
"""

from __future__ import annotations

from typing import Any

from empathy_core.hookspecs import hookimpl

PLUGIN = "{{ cookiecutter.plugin_name }}"
"""The entry-point name; `plugins.settings` accepts it or the distribution name."""


@hookimpl
def empathy_register_workflows(register: Any) -> None:
    from {{ cookiecutter.package_name }}.workflow import {{ cookiecutter.workflow_class }}

    register({{ cookiecutter.workflow_class }})


@hookimpl
def empathy_register_settings(register: Any) -> None:
    from {{ cookiecutter.package_name }}.settings import Settings

    register(Settings)
{%- if cookiecutter.cli_command == "yes" %}


@hookimpl
def empathy_register_commands(cli: Any) -> None:
    from {{ cookiecutter.package_name }}.commands import command

    cli.add_command(command)
{%- endif %}
