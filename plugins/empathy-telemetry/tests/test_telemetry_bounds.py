"""Numeric options are bounded and finite; the export format is never guessed silently."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

import empathy_telemetry.plugin as telemetry_plugin
from empathy_core import Empathy
from empathy_testing.pytest_plugin import CliResult


def usage_error(done: CliResult) -> str:
    """The one ``Error:`` line of a command that exited 2 without a traceback."""
    return done.error_line(2)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("telemetry", "show", "--days", "1000000000"),
            "Error: --days: must be between 1 and 36500 days, got 1000000000",
        ),
        (
            ("telemetry", "show", "--limit", "99999999999999999999"),
            "Error: --limit: must be between 0 and 100000 calls",
        ),
        (("telemetry", "show", "--days", "nan"), "Error: --days: expected a whole number of days, got 'nan'"),
        (("telemetry", "prune", "--days", "-3"), "Error: --days: must be between 1 and 36500 days, got -3"),
        (("telemetry", "export", "out.csv", "--days", "9" * 5000), "(5002 characters)"),
        (("cache", "stats", "--days", "0"), "Error: --days: must be between 1 and 36500 days, got 0"),
    ],
)
def test_out_of_range_numbers_are_one_line_usage_errors(
    home: Path, empathy_cmd: Callable[..., CliResult], args: tuple[str, ...], message: str
) -> None:
    line = usage_error(empathy_cmd(*args))
    assert line.startswith(message) if message.startswith("Error") else message in line
    assert not (home / "out.csv").exists()


def test_the_largest_days_and_limit_are_accepted(empathy_cmd: Callable[..., CliResult]) -> None:
    done = empathy_cmd("telemetry", "show", "--days", "36500", "--limit", "100000", "--json")
    assert done.returncode == 0, done.stderr


def test_export_to_an_unknown_extension_is_refused(home: Path, empathy_cmd: Callable[..., CliResult]) -> None:
    line = usage_error(empathy_cmd("telemetry", "export", "x.xml"))
    assert "unknown format '.xml'" in line and "supported: csv, json" in line
    assert not (home / "x.xml").exists()


def test_export_format_option_overrides_the_extension(
    home: Path, empathy_cmd: Callable[..., CliResult]
) -> None:
    done = empathy_cmd("telemetry", "export", "x.xml", "--format", "json")
    assert done.returncode == 0, done.stderr
    assert (home / "x.xml").read_text().strip() == "[]"


def test_export_without_extension_uses_the_configured_format(
    home: Path, empathy_cmd: Callable[..., CliResult]
) -> None:
    (home / "empathy.config.yml").write_text("telemetry:\n  export_format: json\n")
    done = empathy_cmd("telemetry", "export", "-o", "usage")
    assert done.returncode == 0, done.stderr
    assert "(json)" in done.stdout and (home / "usage").read_text().strip() == "[]"


# -- property: any text for a numeric option is exit 0 or 2, never a traceback --------------------------


def numbers(st: object) -> object:
    """Text a user might type for a number: random text, huge, NaN, infinite, negative values."""
    return st.one_of(
        st.text(max_size=30),
        st.integers(min_value=-(10**25), max_value=10**25).map(str),
        st.floats(allow_nan=True, allow_infinity=True).map(repr),
        st.sampled_from(
            ["nan", "-inf", "inf", "1e999", "0", "1", "36500", "36501", "9" * 5000, " 7 ", "0x1"]
        ),
    )


COMMANDS = [
    ("telemetry", "show", "--json", "--days"),
    ("telemetry", "show", "--json", "--limit"),
    ("cache", "stats", "--json", "--days"),
    ("telemetry", "prune", "--days"),
]


@pytest.fixture(scope="module")
def runner(tmp_path_factory: pytest.TempPathFactory) -> CliRunner:
    home = tmp_path_factory.mktemp("home")
    env = {"EMPATHY_CACHE_DIR": str(home / "cache"), "XDG_CONFIG_HOME": str(home / "config")}
    return CliRunner(env={**env, "EMPATHY_CONFIG": None})


@pytest.fixture(scope="module")
def cli() -> Iterator[click.Group]:
    """A root group holding what the plugin registers, as ``empathy_register_commands`` adds it.

    Its commands build the process-wide runtime on use (``pass_empathy``); the last one
    is closed afterwards.
    """
    root = click.Group("empathy")
    telemetry_plugin.empathy_register_commands(root)
    yield root
    Empathy.current().close()
    Empathy.set_current(None)


def test_numeric_options_never_crash(
    runner: CliRunner, cli: click.Group, tmp_path_factory: pytest.TempPathFactory
) -> None:
    hypothesis = pytest.importorskip("hypothesis")
    st = pytest.importorskip("hypothesis.strategies")
    cwd = tmp_path_factory.mktemp("cwd")

    @hypothesis.settings(max_examples=100, deadline=None)
    @hypothesis.given(command=st.sampled_from(COMMANDS), value=numbers(st))
    def check(command: tuple[str, ...], value: str) -> None:
        *args, option = command
        result = runner.invoke(cli, [*args, f"{option}={value}"])
        assert result.exception is None or isinstance(result.exception, SystemExit), result.output
        assert result.exit_code in (0, 2), result.output
        assert "Traceback" not in result.output
        if result.exit_code == 2:
            assert f"Error: {option}: " in result.output

    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(cwd)  # no ./empathy.config.yml
        check()
