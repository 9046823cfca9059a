"""``empathy init``: the written file documents every key and validates as written."""

import attrs
import yaml

from empathy_core import Empathy, EmpathyConfig, PluginsConfig, parse_config
from empathy_core.config_template import field_docs, render_config

SETTINGS_PLUGIN = """
import attrs
from empathy_core import hookimpl


@attrs.define
class GreeterSettings:
    \"\"\"How the greeter greets.\"\"\"

    greeting: str = "hello"
    \"\"\"Word said first.\"\"\"
    repeat: int = 2
    \"\"\"How many times.\"\"\"
    audience: list[str] = attrs.Factory(lambda: ["world"])


@hookimpl
def empathy_register_settings(register):
    register(GreeterSettings)
"""


def test_init_writes_a_file_that_validates_with_plugin_settings(make_dist, empathy_cli, tmp_path):
    make_dist("empathy-greeter", "greeter", SETTINGS_PLUGIN)
    work = tmp_path / "project"
    work.mkdir()
    empathy_cli("init", cwd=work).ok()
    text = (work / "empathy.config.yml").read_text()
    assert "\n    # empathy-greeter: How the greeter greets.\n    empathy-greeter:\n" in text
    assert "      # Word said first.\n      greeting: hello\n" in text
    assert "      audience: [world]\n" in text
    validated = empathy_cli("config", "validate", cwd=work).ok()
    assert f"OK: {work / 'empathy.config.yml'} is valid" in validated


def test_rendered_defaults_equal_the_real_defaults(make_dist, tmp_path):
    make_dist("empathy-greeter", "greeter", SETTINGS_PLUGIN)
    text = render_config(Empathy(entry_points=True))
    config = parse_config(text, tmp_path / "empathy.config.yml")
    assert attrs.evolve(config, plugins=PluginsConfig()) == EmpathyConfig()
    assert config.plugins.settings["empathy-greeter"] == {
        "greeting": "hello",
        "repeat": 2,
        "audience": ["world"],
    }
    skipped = {"api_key", "source", "lines"}
    written_keys = [f.name for f in attrs.fields(EmpathyConfig) if f.name not in skipped]
    assert list(yaml.safe_load(text)) == written_keys


def test_every_core_key_is_described_in_the_file(tmp_path):
    text = render_config(Empathy())
    comments = "\n".join(line.strip() for line in text.splitlines() if line.lstrip().startswith("#"))
    classes = [EmpathyConfig, *(f.type for f in attrs.fields(EmpathyConfig) if attrs.has(f.type))]
    for cls in classes:
        for name in (f.name for f in attrs.fields(cls) if f.name not in {"source", "lines"}):
            doc = field_docs(cls).get(name)
            assert doc, f"{cls.__name__}.{name} has no description"
            first_words = " ".join(doc.replace("``", "`").split()[:4])
            assert first_words in comments, f"{cls.__name__}.{name}: {first_words!r} not in the file"


def test_init_refuses_to_overwrite_without_force(empathy_cli, tmp_path):
    target = tmp_path / "empathy.config.yml"
    target.write_text("provider: [broken\n")
    refused = empathy_cli("init", cwd=tmp_path).failed(1)
    assert refused.strip() == "Error: empathy.config.yml already exists; use --force to overwrite it"
    assert target.read_text() == "provider: [broken\n"
    empathy_cli("init", "--force", cwd=tmp_path).ok()
    empathy_cli("config", "validate", cwd=tmp_path).ok()


def test_field_docs_reads_attribute_docstrings_then_class_docstring_forms():
    @attrs.define
    class Documented:
        """Three ways to describe a field.

        :param b: from a ``param`` line
            continued.
        - ``c``: from a bullet
        """

        a: int = 1
        """From the attribute docstring."""
        b: int = 2
        c: int = 3
        d: int = 4

    assert field_docs(Documented) == {
        "a": "From the attribute docstring.",
        "b": "from a ``param`` line continued.",
        "c": "from a bullet",
    }


def test_init_creates_the_directory_of_the_user_config_file(empathy_cli, tmp_path):
    target = tmp_path / "home" / ".config" / "empathy" / "config.yml"
    empathy_cli("init", "--path", str(target), cwd=tmp_path).ok()
    empathy_cli("--config", str(target), "config", "validate", cwd=tmp_path).ok()
    assert [p.name for p in target.parent.iterdir()] == ["config.yml"]  # no temporary file left


def test_init_reports_an_unwritable_path_in_one_line(empathy_cli, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    refused = empathy_cli("init", "--path", str(blocker / "empathy.config.yml"), cwd=tmp_path).failed(1)
    assert refused.startswith(f"Error: cannot write {blocker / 'empathy.config.yml'}")
    assert len(refused.splitlines()) == 1, refused
