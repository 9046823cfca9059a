"""`empathy {{ cookiecutter.plugin_name }} FILE`: run the workflow on a file and print the summary."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import click
from empathy_core import pass_empathy

if TYPE_CHECKING:
    from empathy_core import Empathy


@click.command("{{ cookiecutter.plugin_name }}")
@click.argument("file", type=click.File("r", encoding="utf-8"))
@click.option("--provider", default=None, help="Provider name (default: config 'provider').")
@pass_empathy
def command(empathy: Empathy, file: click.utils.LazyFile, provider: str | None) -> None:
    """Summarise FILE ('-' reads standard input); exits 1 when a stage failed."""
    from {{ cookiecutter.package_name }}.workflow import {{ cookiecutter.workflow_class }}

    workflow = {{ cookiecutter.workflow_class }}(empathy=empathy, provider_name=provider)
    result = asyncio.run(workflow.execute({"text": file.read()}))
    if not result.succeeded:
        raise click.ClickException(result.error or "the workflow failed")
    click.echo(result.output["summary"])
    click.echo(f"cost ${result.cost:.6f}, {result.tokens_in} tokens in, {result.tokens_out} out", err=True)
