"""`empathy {{ cookiecutter.plugin_name }} FILE`: run the workflow on a file and print the summary."""

from __future__ import annotations

import asyncio

import click
from empathy_core.cli import options


@click.command("{{ cookiecutter.plugin_name }}")
@click.argument("file", type=click.File("r", encoding="utf-8"))
@click.option("--provider", default=None, help="Provider name (default: config 'provider').")
@click.pass_context
def command(ctx: click.Context, file: click.utils.LazyFile, provider: str | None) -> None:
    """Summarise FILE ('-' reads standard input); exits 1 when a stage failed."""
    from {{ cookiecutter.package_name }}.workflow import {{ cookiecutter.workflow_class }}

    pm = options(ctx).plugin_manager()
    workflow = {{ cookiecutter.workflow_class }}(plugin_manager=pm, provider_name=provider)
    result = asyncio.run(workflow.execute({"text": file.read()}))
    if not result.succeeded:
        raise click.ClickException(result.error or "the workflow failed")
    click.echo(result.output["summary"])
    click.echo(f"cost ${result.cost:.6f}, {result.tokens_in} tokens in, {result.tokens_out} out", err=True)
