"""Remove the command module and its test when no CLI command was asked for."""

from pathlib import Path

if "{{ cookiecutter.cli_command }}" != "yes":
    Path("{{ cookiecutter.package_name }}", "commands.py").unlink()
    Path("tests", "test_{{ cookiecutter.package_name }}_command.py").unlink()
