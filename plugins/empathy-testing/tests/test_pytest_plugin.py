"""The pytest fixtures plugins test with: ``empathy_cli`` and its :class:`CliResult`."""

from __future__ import annotations

from typing import Any

import pytest

from empathy_testing.pytest_plugin import CliResult


def test_error_line_is_the_one_error_line_of_a_failed_run(empathy_cli: Any) -> None:
    result = empathy_cli("--config", "missing.yml", "workflow", "list")
    assert result.error_line(2) == "Error: missing.yml: config file not found (given with --config)"


@pytest.mark.parametrize(
    ("result", "code"),
    [
        (CliResult(("x",), 1, "", "Error: boom\n"), 2),  # another exit code
        (CliResult(("x",), 2, "", "Usage: empathy x\n\nError: boom\n"), 2),  # more than one line
        (CliResult(("x",), 2, "", "boom\n"), 2),  # not an Error: line
        (CliResult(("x",), 2, "", "Error: boom\nTraceback (most recent call last):\n"), 2),
    ],
)
def test_error_line_refuses_anything_else(result: CliResult, code: int) -> None:
    with pytest.raises(AssertionError):
        result.error_line(code)
