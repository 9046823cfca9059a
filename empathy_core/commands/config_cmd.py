"""``empathy config``: show, validate and create ``empathy.config.yml``."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import click

from empathy_core.cli import Options, options
from empathy_core.commands.init_cmd import init

F = TypeVar("F", bound=Callable[..., Any])


def _config_option(func: F) -> F:
    """``--config FILE`` after the subcommand too (``empathy config validate --config FILE``).

    The same option as the root's ``empathy --config FILE config validate``; hidden, so the
    documented spelling stays the root option.
    """
    return click.option(
        "--config",
        "config_path",
        type=click.Path(dir_okay=False),
        default=None,
        hidden=True,
        help="Config file (wins over the root --config).",
    )(func)


def _options(ctx: click.Context, config_path: str | None) -> Options:
    """The root options, with the subcommand's ``--config`` (when given) winning."""
    opts = options(ctx)
    if config_path is not None:
        opts.config_path = config_path
    return opts


def _plain(value: Any) -> Any:
    """``value`` as JSON- and YAML-safe data: mappings, lists, scalars; anything else as text."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


@click.group()
def config() -> None:
    """Show, validate or create empathy.config.yml."""


@config.command("show")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of YAML.")
@_config_option
@click.pass_context
def show(ctx: click.Context, as_json: bool, config_path: str | None) -> None:
    """Print the effective configuration, secrets redacted."""
    import yaml

    from empathy_core.config import config_as_dict, load_config

    cfg = load_config(_options(ctx, config_path).config_path)
    data = _plain(config_as_dict(cfg))
    if as_json:
        click.echo(json.dumps(data, indent=2))
        return
    origin = str(cfg.source) if cfg.source else "defaults (no config file found)"
    click.echo(f"# source: {origin}")
    click.echo(yaml.safe_dump(data, sort_keys=False), nl=False)


@config.command("validate")
@_config_option
@click.pass_context
def validate(ctx: click.Context, config_path: str | None) -> None:
    """Validate the config file and every plugin's settings; exit 2 when invalid."""
    empathy = _options(ctx, config_path).empathy()  # load_config first, then the plugins
    for warning in empathy.check_config():
        click.echo(f"Warning: {warning}", err=True)
    source = empathy.config.source or "defaults (no config file found)"
    click.echo(f"OK: {source} is valid")


config.add_command(init)  # `empathy config init` is `empathy init`
