"""``empathy config``: show, validate and create ``empathy.config.yml``."""

from __future__ import annotations

import json

import click

from empathy_core.cli import options
from empathy_core.commands.init_cmd import init


@click.group()
def config() -> None:
    """Show, validate or create empathy.config.yml."""


@config.command("show")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of YAML.")
@click.pass_context
def show(ctx: click.Context, as_json: bool) -> None:
    """Print the effective configuration, secrets redacted."""
    import yaml

    from empathy_core.config import config_as_dict, load_config

    cfg = load_config(options(ctx).config_path)
    data = config_as_dict(cfg)
    if as_json:
        click.echo(json.dumps(data, indent=2))
        return
    origin = str(cfg.source) if cfg.source else "defaults (no config file found)"
    click.echo(f"# source: {origin}")
    click.echo(yaml.safe_dump(data, sort_keys=False), nl=False)


@config.command("validate")
@click.pass_context
def validate(ctx: click.Context) -> None:
    """Validate the config file and every plugin's settings; exit 2 when invalid."""
    empathy = options(ctx).empathy()
    empathy.check_config()
    source = empathy.config.source or "defaults (no config file found)"
    click.echo(f"OK: {source} is valid")


config.add_command(init)  # `empathy config init` is `empathy init`
