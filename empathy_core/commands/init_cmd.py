"""``empathy init``: write a commented ``empathy.config.yml`` for the installed plugins."""

from __future__ import annotations

from pathlib import Path

import click

from empathy_core.cli import options


@click.command("init")
@click.option(
    "--path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("empathy.config.yml"),
    show_default=True,
    help="Where to write the file.",
)
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
@click.pass_context
def init(ctx: click.Context, path: Path, force: bool) -> None:
    """Write empathy.config.yml with every key commented.

    The file lists the core's keys and the settings of each installed plugin, each with
    its description. An existing file is never overwritten without --force; the file it
    replaces is not read, so a broken one can be regenerated.
    """
    from empathy_core.config_template import render_config
    from empathy_core.paths import write_atomically
    from empathy_core.runtime import Empathy

    if path.exists() and not force:
        raise click.ClickException(f"{path} already exists; use --force to overwrite it")
    opts = options(ctx)
    empathy = Empathy(entry_points=not opts.no_plugins, strict=bool(opts.strict))
    text = render_config(empathy)
    write_atomically(path, lambda handle: handle.write(text), make_parents=True)
    with_settings = sorted(empathy.settings_classes())
    click.echo(f"Wrote {path}" + (f" (settings of: {', '.join(with_settings)})" if with_settings else ""))
    click.echo("Next: edit it, then check it with `empathy config validate`.")
