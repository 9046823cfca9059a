"""The ``empathy`` command: a root click group whose subcommands load lazily.

Core command groups live in ``empathy_core.commands``; plugin command groups come from
``empathy_register_commands``. ``empathy --help`` reads names and help from the on-disk
index (``empathy_core.index``) and imports neither plugin modules nor provider SDKs.
"""

from __future__ import annotations

import functools
import io
import os
import sys
import warnings
from collections.abc import Callable
from importlib import import_module
from typing import Any, NoReturn, TypeVar

import click

from empathy_core import __version__, index
from empathy_core.commands import CORE_COMMANDS
from empathy_core.index import terminal_width
from empathy_core.redaction import redact


class Options:
    """Root options shared by every subcommand (``ctx.obj``)."""

    def __init__(self, config_path: str | None, strict: bool | None, no_plugins: bool) -> None:
        self.config_path = config_path
        self.strict = strict
        self.no_plugins = no_plugins
        self._empathy: Any = None
        self._catalog: dict[str, Any] | None = None

    def empathy(self) -> Any:
        """The configured runtime (created on first use, installed process-wide)."""
        if self._empathy is None:
            from empathy_core.runtime import Empathy

            self._empathy = Empathy.from_config(
                self.config_path, strict=self.strict, no_plugins=self.no_plugins
            )
            Empathy.set_current(self._empathy)
            install_log_handler(self._empathy.config.log_level)
            self._empathy.configure()
        return self._empathy

    def catalog(self) -> dict[str, Any]:
        """Commands, workflows and plugins, from the index or rebuilt when stale."""
        if self._catalog is None:
            if self.config_path is not None and not os.path.isfile(self.config_path):
                from empathy_core.errors import ConfigError

                raise ConfigError(f"{self.config_path}: config file not found (given with --config)")
            data = index.load(self.config_path, self.no_plugins)
            if data is None:
                from empathy_core.catalog import build_catalog

                data = build_catalog(self.empathy())
                index.save(data, self.config_path, self.no_plugins)
            else:
                _report_failures(data, strict=self._strict())
            self._catalog = data
        return self._catalog

    def _strict(self) -> bool:
        return self.strict if self.strict is not None else index.strict_from_env()


def _report_failures(data: dict[str, Any], *, strict: bool) -> None:
    """Repeat, from the index, the warning each failed plugin gave when it was loaded."""
    for message in index.failure_messages(data):
        if strict:
            from empathy_core.errors import PluginError

            raise PluginError(message)
        click.echo(f"Warning: {message}; skipped", err=True)


def options(ctx: click.Context) -> Options:
    """The root :class:`Options` from any subcommand's context.

    Eager options such as ``--help`` run before the root callback, so the options are
    created from whatever root parameters are parsed by then.
    """
    root = ctx.find_root()
    if root.obj is None:
        params = root.params
        root.obj = Options(
            params.get("config_path"), params.get("strict_plugins"), bool(params.get("no_plugins"))
        )
    return root.obj


F = TypeVar("F", bound=Callable[..., Any])


def pass_empathy(f: F) -> F:
    """Decorate a click command so that it receives the runtime as its first argument."""

    def new_func(*args: Any, **kwargs: Any) -> Any:
        ctx = click.get_current_context()
        return ctx.invoke(f, options(ctx).empathy(), *args, **kwargs)

    return functools.update_wrapper(new_func, f)  # type: ignore[return-value]


def input_errors(command: F) -> F:
    """Decorate a plugin command so a user mistake is one error line, not a traceback.

    ``ValueError`` (the library refused an argument: every check in Empathy raises it with
    a message naming the value) exits 2; ``PermissionError`` (a denied action or file)
    exits 1. Anything else propagates as before.
    """

    from empathy_core.errors import EmpathyError

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except ValueError as exc:
            raise EmpathyError(str(exc), exit_code=2) from None
        except PermissionError as exc:
            raise EmpathyError(f"permission denied: {exc}", exit_code=1) from None

    return wrapper  # type: ignore[return-value]


def get_or_create_group(cli: click.Group, name: str, help: str | None = None) -> click.Group:
    """The group ``name`` under ``cli``, created if absent, so several plugins can share it."""
    existing = cli.commands.get(name)
    if isinstance(existing, click.Group):
        return existing
    group = click.Group(name, help=help)
    cli.add_command(group)
    return group


class EmpathyGroup(click.Group):
    """Root group: core commands import on use; plugin commands come from the index."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        plugin_commands = options(ctx).catalog().get("commands", {})
        return sorted(set(CORE_COMMANDS) | set(plugin_commands))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        opts = options(ctx)
        if cmd_name in CORE_COMMANDS:
            module_name, _, attr = CORE_COMMANDS[cmd_name][0].partition(":")
            command: click.Command = getattr(import_module(module_name), attr)
            if isinstance(command, click.Group):
                _extend(command, _extensions(opts, cmd_name), opts)
            return command
        if cmd_name not in opts.catalog().get("commands", {}):
            return None
        return _plugin_commands(opts).get(cmd_name)

    def get_help(self, ctx: click.Context) -> str:
        """Render help; the root's is kept in the index for the ``--help`` fast path."""
        text = super().get_help(ctx)
        opts = options(ctx)
        if ctx.parent is None and opts.config_path is None and not opts.no_plugins:
            catalog = opts.catalog()
            catalog.setdefault("help", {})[ctx.terminal_width or 80] = text + "\n"
            index.save(catalog, None, False)
        return text

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = {name: help_text for name, (_, help_text) in CORE_COMMANDS.items()}
        for name, entry in options(ctx).catalog().get("commands", {}).items():
            rows.setdefault(name, entry.get("help", ""))
        with formatter.section("Commands"):
            formatter.write_dl(sorted(rows.items()))


def placeholder_root() -> click.Group:
    """A root group with an empty group standing for each core command, for plugins to
    register into without importing the core's commands: ``get_or_create_group(cli,
    "workflow")`` returns the stand-in, and the subcommands a plugin adds to it are added
    to the real ``workflow`` group when that runs (the core's own subcommands win)."""
    group = click.Group("empathy")
    for name in CORE_COMMANDS:
        group.add_command(click.Group(name))
    return group


def _plugin_commands(opts: Options) -> dict[str, click.Command]:
    group = placeholder_root()
    opts.empathy().plugin_manager.register_commands(group)
    return dict(group.commands)


class PluginSubcommand(click.Command):
    """A plugin's subcommand of a core group, as the index knows it (name and help): it
    lists in ``--help`` without importing anything, and imports the plugins only when it
    runs, handing over to the real command (``make_context`` returns the real one's)."""

    def __init__(self, opts: Options, group: str, name: str, help_text: str) -> None:
        super().__init__(name, help=help_text, short_help=help_text)
        self._opts, self._group = opts, group

    def make_context(
        self, info_name: str | None, args: list[str], parent: click.Context | None = None, **extra: Any
    ) -> click.Context:
        stand_in = _plugin_commands(self._opts).get(self._group)
        real = stand_in.commands.get(self.name) if isinstance(stand_in, click.Group) else None
        if real is None:
            raise click.UsageError(f"'{self._group} {self.name}' is no longer provided by any plugin")
        return real.make_context(info_name, args, parent=parent, **extra)


def _extensions(opts: Options, group: str) -> dict[str, str]:
    """The plugin subcommands (name -> help) the index lists for core group ``group``.

    None when the index cannot be built (a broken config file): the core group still runs,
    and its own commands report the problem (``empathy config validate`` must work then).
    """
    from empathy_core.errors import EmpathyError

    try:
        extension = opts.catalog().get("extends", {}).get(group)
    except EmpathyError:
        return {}
    return dict(extension["subcommands"]) if extension else {}


def _extend(core: click.Group, subcommands: dict[str, str], opts: Options) -> None:
    """Add the plugin subcommands the index lists for core group ``core`` (the core's win)."""
    for name, help_text in subcommands.items():
        if name not in core.commands:
            core.add_command(PluginSubcommand(opts, str(core.name), name, help_text))


@click.group(cls=EmpathyGroup)
@click.version_option(__version__, prog_name="empathy", message="%(prog)s %(version)s")
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="Config file (default: $EMPATHY_CONFIG, ./empathy.config.yml, user config).",
)
@click.option(
    "--strict-plugins",
    is_flag=True,
    default=None,
    help="Fail when a plugin cannot load (also EMPATHY_STRICT_PLUGINS=1).",
)
@click.option("--no-plugins", is_flag=True, help="Load no installed plugins, only the core.")
@click.pass_context
def cli(ctx: click.Context, config_path: str | None, strict_plugins: bool | None, no_plugins: bool) -> None:
    """Empathy: multi-stage LLM workflows, cheap, safe and observable.

    Run `empathy COMMAND --help` for a command's options.
    """
    ctx.obj = Options(config_path, strict_plugins, no_plugins)


_MAX_LINE = 500


def _show_warning(message: Any, category: type[Warning], *args: Any, **kwargs: Any) -> None:
    click.echo(f"Warning: {redact(str(message))}", err=True)


def _fail(message: str, code: int) -> NoReturn:
    """Print ``message`` (secrets redacted, very long lines cut) and exit with ``code``."""
    lines = [
        line if len(line) <= _MAX_LINE else f"{line[:_MAX_LINE]}... ({len(line)} characters)"
        for line in redact(message).splitlines()
    ]
    click.echo("\n".join(lines), err=True)
    sys.exit(code)


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: one redacted line per error, and the documented exit codes
    (2 usage or input mistake, 1 failed run, 130 interrupted). An unexpected exception is
    one line too; ``EMPATHY_DEBUG=1`` shows its traceback."""
    warnings.showwarning = _show_warning
    try:
        code = cli.main(
            args=argv, prog_name="empathy", standalone_mode=False, terminal_width=terminal_width()
        )
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        buffer = io.StringIO()
        exc.show(file=buffer)
        _fail(buffer.getvalue().rstrip("\n"), exc.exit_code)
    except click.Abort as exc:  # click turns Ctrl-C (KeyboardInterrupt) into Abort
        if isinstance(exc.__cause__, KeyboardInterrupt):
            _fail("Interrupted.", 130)
        _fail("Aborted!", 1)
    except KeyboardInterrupt:
        _fail("Interrupted.", 130)
    except Exception as exc:
        from empathy_core.errors import EmpathyError

        if isinstance(exc, EmpathyError):
            _fail(f"Error: {exc}", exc.exit_code)
        if os.environ.get("EMPATHY_DEBUG", "") not in {"", "0"}:
            raise
        text = " ".join(f"{type(exc).__name__}: {exc}".split())
        _fail(f"Error: unexpected {text[:300]} (EMPATHY_DEBUG=1 shows the traceback)", 1)
    if isinstance(code, int) and code:  # ctx.exit(n) without standalone mode
        sys.exit(code)


def install_log_handler(level: str = "WARNING") -> None:
    """Log ``empathy.*`` at ``level`` to whatever ``sys.stderr`` is now, secrets redacted (set
    up with the runtime, so commands answered from the index never import :mod:`logging`)."""
    import logging

    class StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
        """Writes to the current ``sys.stderr`` (replaced by test runners and CliRunner)."""

        @property  # type: ignore[override]
        def stream(self) -> Any:
            return sys.stderr

        @stream.setter
        def stream(self, _: Any) -> None:
            pass

        def filter(self, record: logging.LogRecord) -> bool:
            message = record.getMessage()
            cleaned = redact(message)
            if cleaned != message:
                record.msg, record.args = cleaned, None
            return True

    logger = logging.getLogger("empathy")
    logger.setLevel(level)
    if not any(type(h).__name__ == "StderrHandler" for h in logger.handlers):
        handler = StderrHandler()
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        logger.addHandler(handler)
        logger.propagate = False
