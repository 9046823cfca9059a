"""Numeric options of ``empathy orchestrate`` are finite and bounded: NaN never means "no limit"."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import click
import pytest

from empathy_orchestrate.commands import health_check_cmd, release_prep_cmd
from empathy_testing.pytest_plugin import CliResult


def usage_error(done: CliResult) -> str:
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), done.stderr
    return lines[0]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("health-check", "--agent", "docs", "--offline", "--timeout", "nan"),
            "Error: --timeout: must be more than 0 and at most 86400 seconds, got nan",
        ),
        (("health-check", "--timeout", "inf"), "Error: --timeout: must be more than 0 and at most 86400"),
        (("release-prep", "--timeout", "0"), "Error: --timeout: must be more than 0 and at most 86400"),
        (
            ("release-prep", "--min-coverage", "nan"),
            "Error: --min-coverage: must be between 0 and 100 percent",
        ),
        (
            ("release-prep", "--max-type-errors", "99999999999999999999"),
            "Error: --max-type-errors: must be between 0 and 1000000 type errors",
        ),
        (
            ("release-prep", "--max-lint-issues", "-1"),
            "Error: --max-lint-issues: must be between 0 and 1000000",
        ),
    ],
)
def test_bad_numbers_are_usage_errors_before_any_agent_runs(
    make_repo: Any, repos: Any, isolated: Path, empathy_cli: Any, args: tuple[str, ...], message: str
) -> None:
    repo = make_repo(repos["clean"])
    line = usage_error(empathy_cli("orchestrate", *args[:1], str(repo), *args[1:], cwd=repo, timeout=300))
    assert line.startswith(message)
    assert not (isolated / "orchestrate").exists()


NUMERIC = {
    health_check_cmd: ["--timeout"],
    release_prep_cmd: ["--timeout", "--min-coverage", "--max-type-errors", "--max-lint-issues"],
}


def test_numeric_options_parse_to_bounded_finite_values_or_exit_2() -> None:
    hypothesis = pytest.importorskip("hypothesis")
    st = pytest.importorskip("hypothesis.strategies")
    values = st.one_of(
        st.text(max_size=30),
        st.integers(min_value=-(10**25), max_value=10**25).map(str),
        st.floats(allow_nan=True, allow_infinity=True).map(repr),
        st.sampled_from(["nan", "-nan", "inf", "-inf", "1e999", "0", "-0.0", "86400", "86400.1", "9" * 5000]),
    )
    options = st.sampled_from([(cmd, opt) for cmd, opts in NUMERIC.items() for opt in opts])

    @hypothesis.settings(
        max_examples=100,
        deadline=None,
        suppress_health_check=[hypothesis.HealthCheck.function_scoped_fixture],
    )
    @hypothesis.given(option=options, value=values)
    def check(option: tuple[click.Command, str], value: str) -> None:
        command, name = option
        try:
            ctx = command.make_context(command.name or "", [f"{name}={value}", "."])
        except click.UsageError as exc:
            assert exc.exit_code == 2
            assert exc.format_message().startswith(f"{name}: "), exc.format_message()
            return
        parsed = ctx.params[name.lstrip("-").replace("-", "_")]
        assert isinstance(parsed, int | float) and math.isfinite(parsed)
        param = next(p for p in command.params if name in p.opts)
        assert param.type.min <= parsed <= param.type.max

    check()
