"""Numeric options are bounded and finite; the export format is never guessed silently."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from empathy_core.cli import cli


@pytest.fixture
def home(tmp_path: Path) -> Path:
    (tmp_path / "cache").mkdir()
    return tmp_path


def empathy(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EMPATHY_")}
    env.update(EMPATHY_CACHE_DIR=str(home / "cache"), XDG_CONFIG_HOME=str(home / "config"), COLUMNS="160")
    return subprocess.run(
        [sys.executable, "-m", "empathy_core", *args],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        cwd=home,
        env=env,
        timeout=120,
        check=False,
    )


def usage_error(done: subprocess.CompletedProcess[str]) -> str:
    """The one ``Error:`` line of a command that exited 2 without a traceback."""
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), done.stderr
    return lines[0]


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
    home: Path, args: tuple[str, ...], message: str
) -> None:
    line = usage_error(empathy(home, *args))
    assert line.startswith(message) if message.startswith("Error") else message in line
    assert not (home / "out.csv").exists()


def test_the_largest_days_and_limit_are_accepted(home: Path) -> None:
    done = empathy(home, "telemetry", "show", "--days", "36500", "--limit", "100000", "--json")
    assert done.returncode == 0, done.stderr


def test_export_to_an_unknown_extension_is_refused(home: Path) -> None:
    line = usage_error(empathy(home, "telemetry", "export", "x.xml"))
    assert "unknown format '.xml'" in line and "supported: csv, json" in line
    assert not (home / "x.xml").exists()


def test_export_format_option_overrides_the_extension(home: Path) -> None:
    done = empathy(home, "telemetry", "export", "x.xml", "--format", "json")
    assert done.returncode == 0, done.stderr
    assert (home / "x.xml").read_text().strip() == "[]"


def test_export_without_extension_uses_the_configured_format(home: Path) -> None:
    (home / "empathy.config.yml").write_text("telemetry:\n  export_format: json\n")
    done = empathy(home, "telemetry", "export", "-o", "usage")
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


def test_numeric_options_never_crash(runner: CliRunner, tmp_path_factory: pytest.TempPathFactory) -> None:
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
