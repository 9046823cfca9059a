"""``empathy dashboard``: serve the dashboard of the configured stores on a local port."""

from __future__ import annotations

import sys
import threading
import webbrowser
from typing import TYPE_CHECKING

import click

from empathy_core import BoundedInt, pass_empathy

if TYPE_CHECKING:
    from empathy_core import Empathy
    from empathy_dashboard.security import Guard

PORT = BoundedInt(1, 65535, "port")


def url_of(host: str, port: int) -> str:
    name = "127.0.0.1" if host in {"0.0.0.0", ""} else host  # nosec B104 - for display only
    name = f"[{name}]" if ":" in name else name
    return f"http://{name}:{port}/"


def announce(guard: Guard, url: str) -> str:
    """What the command prints on start; the token appears here once and nowhere else."""
    if not guard.require_token:
        return f"Empathy dashboard on {url} (Ctrl-C stops it)"
    return (
        f"Empathy dashboard on {url} (Ctrl-C stops it)\n"
        f"Listening beyond this machine: every request needs the token, shown once:\n"
        f"  {url}?token={guard.token}"
    )


@click.command("dashboard")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=PORT, default=8765, show_default=True, help="Port to listen on.")
@click.option("--open", "open_browser", is_flag=True, help="Open the page in the default browser.")
@click.option(
    "--allow-host",
    "allow_hosts",
    multiple=True,
    help="Another name the page may be reached by (Host header), e.g. this machine's DNS name.",
)
@pass_empathy
def dashboard(
    empathy: Empathy, host: str, port: int, open_browser: bool, allow_hosts: tuple[str, ...]
) -> None:
    """A local web page of costs, cache savings, live agents, events, approvals, routing
    advice and runs. Bound to 127.0.0.1 unless --host says otherwise; then every request
    needs the token printed at start."""
    import uvicorn

    from empathy_dashboard.app import create_app
    from empathy_dashboard.security import Guard
    from empathy_dashboard.server import listen, server_config

    guard = Guard(bind_host=host, extra_hosts=allow_hosts)
    sock = listen(host, port)
    url = url_of(host, sock.getsockname()[1])
    app = create_app(empathy, guard)
    click.echo(announce(guard, url))
    sys.stdout.flush()  # the address is printed before serving, even into a pipe
    if open_browser:
        link = f"{url}?token={guard.token}" if guard.require_token else url
        threading.Thread(target=webbrowser.open, args=(link,), daemon=True).start()
    uvicorn.Server(server_config(app)).run(sockets=[sock])
