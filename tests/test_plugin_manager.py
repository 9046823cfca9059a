import json
import subprocess
import sys

import pytest

from empathy_core import (
    ConfigError,
    DuplicateNameError,
    Empathy,
    PluginError,
    PluginLoadWarning,
    hookimpl,
    parse_config,
)


def make_plugin_manager(plugins=(), **kwargs):
    """A runtime as the CLI builds it (entry points when asked)."""
    return Empathy(kwargs.pop("config", None), plugins=plugins, **kwargs)


WORKFLOW_PLUGIN = """
from empathy_core import BaseWorkflow, hookimpl


class Review(BaseWorkflow):
    name = "{name}"
    description = "review from {dist}"
    stages = ["scan"]

    async def run_stage(self, stage_name, tier, input_data):
        return {{}}, 0, 0


@hookimpl
def empathy_register_workflows(register):
    register(Review)
"""


def test_broken_plugin_is_skipped_with_one_warning_naming_it(make_dist):
    make_dist("empathy-broken", "broken", "import no_such_module_anywhere\n", version="0.9.1")
    make_dist("empathy-good", "good", WORKFLOW_PLUGIN.format(name="good-review", dist="good"))
    with pytest.warns(PluginLoadWarning) as caught:
        pm = make_plugin_manager(entry_points=True)
    messages = [str(w.message) for w in caught if "'broken'" in str(w.message)]
    assert len(messages) == 1
    assert "plugin 'broken' (empathy-broken 0.9.1) failed in import" in messages[0]
    assert "No module named 'no_such_module_anywhere'" in messages[0]
    assert pm.infos["broken"].status == "failed"
    assert pm.infos["good"].status == "loaded"
    assert "good-review" in pm.workflows()


def test_strict_mode_makes_a_broken_plugin_fatal(make_dist):
    make_dist("empathy-broken", "broken", "raise RuntimeError('boom at import')\n")
    expected = r"plugin 'broken' \(empathy-broken 1.2.3\).*RuntimeError: boom"
    with pytest.raises(PluginError, match=expected):
        make_plugin_manager(entry_points=True, strict=True)


@pytest.mark.parametrize(
    ("signature", "expected"),
    [
        ("empathy_record_usage(record, extra_argument)", "extra_argument"),  # argument no spec has
        ("empathy_register_workflow(register)", "empathy_register_workflow"),  # hook no spec has
    ],
)
def test_invalid_hookimpl_is_isolated(make_dist, signature, expected):
    make_dist(
        "empathy-odd",
        "odd",
        f"from empathy_core import hookimpl\n@hookimpl\ndef {signature}:\n    return None\n",
    )
    with pytest.warns(PluginLoadWarning, match=f"'odd'.*{expected}"):
        pm = make_plugin_manager(entry_points=True)
    assert pm.infos["odd"].status == "failed"


def test_registration_hook_that_raises_is_isolated(make_dist):
    make_dist(
        "empathy-raiser",
        "raiser",
        "from empathy_core import hookimpl\n"
        "@hookimpl\ndef empathy_register_providers(register):\n    raise ValueError('bad provider')\n",
    )
    pm = make_plugin_manager(entry_points=True)
    with pytest.warns(
        PluginLoadWarning, match="'raiser'.*failed in empathy_register_providers.*bad provider"
    ):
        assert "raiser" not in pm.providers().owners.values()
    assert pm.infos["raiser"].status == "failed"


def test_disable_from_yaml_and_environment(make_dist, tmp_path):
    make_dist("empathy-a", "a", WORKFLOW_PLUGIN.format(name="wa", dist="a"))
    make_dist("empathy-b", "b", WORKFLOW_PLUGIN.format(name="wb", dist="b"))
    config = parse_config("plugins:\n  disable: [empathy-a]\n", tmp_path / "c.yml")
    pm = make_plugin_manager(config=config, entry_points=True, disabled={"b"})
    assert pm.infos["a"].status == "disabled"
    assert pm.infos["b"].status == "disabled"
    assert "wa" not in pm.workflows() and "wb" not in pm.workflows()


def test_duplicate_workflow_names_name_both_plugins_and_disable_both(make_dist):
    make_dist("empathy-one", "one", WORKFLOW_PLUGIN.format(name="dup-review", dist="one"))
    make_dist("empathy-two", "two", WORKFLOW_PLUGIN.format(name="dup-review", dist="two"))
    make_dist("empathy-three", "three", WORKFLOW_PLUGIN.format(name="other-review", dist="three"))
    pm = make_plugin_manager(entry_points=True)
    with pytest.warns(PluginLoadWarning) as caught:
        workflows = pm.workflows()
    assert "dup-review" not in workflows and "other-review" in workflows
    assert pm.infos["one"].status == pm.infos["two"].status == "failed"
    with pytest.raises(DuplicateNameError) as info:
        make_plugin_manager(entry_points=True, strict=True).workflows()
    assert str(info.value) in str(caught[0].message)
    message = str(info.value)
    assert "workflow 'dup-review' is registered by both" in message
    assert "(empathy-one 1.2.3)" in message and "(empathy-two 1.2.3)" in message
    assert "plugins.disable" in message


def test_order_from_yaml_for_plain_hooks(tmp_path):
    calls = []

    def plugin(name):
        class P:
            @hookimpl
            def empathy_configure(self, empathy):
                calls.append(name)

        p = P()
        p.__name__ = name
        return p

    config = parse_config("hooks:\n  empathy_configure: [c, a, b]\n", tmp_path / "c.yml")
    pm = make_plugin_manager([plugin("a"), plugin("b"), plugin("c")], config=config)
    pm.configure()
    assert calls == ["c", "a", "b"]


def test_order_naming_unknown_hook_or_plugin_is_a_config_error(tmp_path):
    config = parse_config("hooks:\n  empathy_stage_middlewar: [engine]\n", tmp_path / "c.yml")
    with pytest.raises(
        ConfigError,
        match=r"c.yml:2: unknown hook 'hooks.empathy_stage_middlewar'; did you mean 'empathy_stage_middl",
    ):
        make_plugin_manager(config=config)
    config = parse_config("hooks:\n  empathy_stage_middleware: [engine, ghost]\n", tmp_path / "c.yml")
    with pytest.raises(
        ConfigError, match=r"c.yml:2: hooks.empathy_stage_middleware: no plugin named 'ghost'"
    ):
        make_plugin_manager(config=config)


def test_plugin_settings_are_validated_with_key_path_and_line(empathy, tmp_path):
    empathy.config = parse_config(
        "plugins:\n  settings:\n    empathy-testing:\n      latency_ms: slow\n", tmp_path / "c.yml"
    )
    with pytest.raises(
        ConfigError, match=r"c.yml:4: plugins.settings.empathy-testing.latency_ms: expected float"
    ):
        empathy.settings("empathy-testing")
    empathy.runtime = None
    empathy.config = parse_config(
        "plugins:\n  settings:\n    testing:\n      latncy_ms: 3\n", tmp_path / "c.yml"
    )
    with pytest.raises(
        ConfigError, match=r"unknown key 'plugins\.settings\.testing\.latncy_ms'; did you mean 'latency_ms'"
    ):
        empathy.settings("testing")


def test_trace_prints_hook_calls(tmp_path):
    code = "from empathy_core import Empathy\nempathy = Empathy()\nempathy.configure()\nempathy.workflows()\n"
    proc = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**__import__("os").environ, "EMPATHY_TRACE_PLUGINS": "1"},
    )
    assert proc.returncode == 0, proc.stderr
    assert "empathy_configure" in proc.stderr
    assert "empathy_register_workflows" in proc.stderr


def test_cli_lists_plugins_with_status(make_dist, empathy_cli):
    make_dist("empathy-broken", "broken", "import no_such_module_anywhere\n")
    make_dist("empathy-good", "good", WORKFLOW_PLUGIN.format(name="good-review", dist="good"))
    proc = empathy_cli("plugins", "list", "--json")
    infos = {i["name"]: i for i in json.loads(proc.ok())}
    assert infos["good"]["status"] == "loaded"
    assert infos["good"]["hooks"] == ["empathy_register_workflows"]
    assert infos["good"]["first_party"] is False
    assert infos["broken"]["status"] == "failed"
    assert "No module named" in infos["broken"]["error"]
    assert infos["engine"]["status"] == "builtin"
    assert "'broken' (empathy-broken 1.2.3)" in proc.stderr
    strict = empathy_cli("--strict-plugins", "plugins", "list")
    assert strict.failed(1).startswith("Error: plugin 'broken' (empathy-broken 1.2.3)")


def test_cli_disable_by_environment_and_no_plugins(make_dist, empathy_cli):
    make_dist("empathy-good", "good", WORKFLOW_PLUGIN.format(name="good-review", dist="good"))
    assert "good-review" in empathy_cli("workflow", "list").ok()
    assert "good-review" not in empathy_cli("workflow", "list", env={"EMPATHY_DISABLE_PLUGINS": "good"}).ok()
    assert "good-review" not in empathy_cli("--no-plugins", "workflow", "list").ok()
    assert "good-review" in empathy_cli("workflow", "list").ok()
