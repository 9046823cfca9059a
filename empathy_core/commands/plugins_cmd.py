"""``empathy plugins``: list, install and uninstall plugins."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import click

from empathy_core.cli import options


@click.group()
def plugins() -> None:
    """List, install and inspect plugins."""


@plugins.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.pass_context
def list_plugins(ctx: click.Context, as_json: bool) -> None:
    """Show every plugin: name, version, hooks implemented and status."""
    infos = options(ctx).catalog().get("plugins", [])
    if as_json:
        click.echo(json.dumps(infos, indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title="Empathy plugins")
    for column in ("name", "distribution", "version", "origin", "status", "import ms", "hooks"):
        table.add_column(column)
    for info in infos:
        status = info["status"] if not info.get("error") else f"{info['status']}: {info['error']}"
        origin = "first-party" if info.get("first_party") else "third-party"
        table.add_row(
            info["name"],
            info.get("dist") or "",
            info.get("version") or "",
            origin,
            status,
            f"{info.get('import_ms', 0.0):.1f}",
            ", ".join(info.get("hooks", [])),
        )
    Console().print(table)


def _installer() -> list[str]:
    """``uv pip`` for this interpreter when uv is available, else ``python -m pip``."""
    uv = shutil.which("uv")
    if uv:
        return [uv, "pip"]
    return [sys.executable, "-m", "pip"]


def _run_installer(args: list[str]) -> None:
    cmd = _installer()
    if cmd[0] != sys.executable:
        args = [*args, "--python", sys.executable]
    code = subprocess.call([*cmd, *args])
    if code:
        raise click.ClickException(f"{' '.join(cmd)} exited with status {code}")


@plugins.command("install")
@click.argument("names", nargs=-1, required=True)
@click.option("--upgrade", "-U", is_flag=True, help="Upgrade if already installed.")
def install(names: tuple[str, ...], upgrade: bool) -> None:
    """Install plugin distributions into the environment that runs empathy."""
    _run_installer(["install", *(["--upgrade"] if upgrade else []), *names])


@plugins.command("uninstall")
@click.argument("names", nargs=-1, required=True)
def uninstall(names: tuple[str, ...]) -> None:
    """Uninstall plugin distributions from the environment that runs empathy.

    Every name must be an installed distribution: otherwise nothing is uninstalled and
    the command exits 2 naming the ones that are not installed.
    """
    import re
    from importlib.metadata import PackageNotFoundError, distribution

    from empathy_core.errors import EmpathyError
    from empathy_core.redaction import shorten

    if any(re.sub(r"[-_.]+", "-", name).lower() == "empathy-core" for name in names):
        raise click.BadParameter("refusing to uninstall empathy-core itself", param_hint="NAMES")
    missing = []
    for name in names:
        try:
            distribution(name)
        except (PackageNotFoundError, ValueError):
            missing.append(shorten(name))
    if missing:
        raise EmpathyError(
            f"not installed: {', '.join(missing)}; nothing was uninstalled "
            f"(`empathy plugins list` shows the installed plugins)",
            exit_code=2,
        )
    args = ["uninstall", *names]
    if _installer()[0] == sys.executable:
        args.insert(1, "-y")
    _run_installer(args)
