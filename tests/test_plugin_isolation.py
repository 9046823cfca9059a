"""A broken plugin never takes the CLI down: a matrix of breakages x the commands that must work.

Each case installs one broken distribution beside a good one (workflow ``hello`` on the
mock provider) and runs ``--help``, ``plugins list --json``, ``workflow list`` and
``workflow run hello``: each exits 0, prints no traceback, names the broken plugin where
it reports it, and (for the run) the good workflow succeeds.
"""

from __future__ import annotations

import json

import pytest

GOOD = """
from empathy_core import BaseWorkflow, ModelTier, hookimpl


class Hello(BaseWorkflow):
    name = "hello"
    description = "Say hello on the cheap tier."
    stages = ["greet"]
    tier_map = {"greet": ModelTier.CHEAP}

    async def run_stage(self, stage_name, tier, input_data):
        reply = await self._call_llm(tier, "Be brief.", "hello")
        return {"reply": reply.text}, reply.usage.input_tokens, reply.usage.output_tokens


@hookimpl
def empathy_register_workflows(register):
    register(Hello)
"""

HEAD = "from empathy_core import hookimpl, BaseWorkflow\n"

BREAKAGES = {
    "import-error": "import no_such_module_anywhere\n",
    "syntax-error": "def broken(:\n",
    "exit-at-import": "import sys\nsys.exit(3)\n",
    "interrupt-at-import": "raise KeyboardInterrupt\n",
    "prints-at-import": "print('HELLO FROM A PLUGIN')\n" + HEAD,
    "raises-at-import": "raise RuntimeError('boom at import')\n",
    "configure-raises": HEAD
    + "@hookimpl\ndef empathy_configure(empathy):\n    raise RuntimeError('configure')\n",
    "unconfigure-raises": HEAD
    + "@hookimpl\ndef empathy_unconfigure():\n    raise RuntimeError('unconfigure')\n",
    "settings-raise": HEAD
    + "@hookimpl\ndef empathy_register_settings(register):\n    raise ValueError('s')\n",
    "settings-not-attrs": HEAD + "@hookimpl\ndef empathy_register_settings(register):\n    register(dict)\n",
    "workflows-raise": HEAD + "@hookimpl\ndef empathy_register_workflows(register):\n    1 / 0\n",
    "duplicate-workflow": GOOD.replace('description = "Say', 'description = "Another'),
    "wrong-register-call": HEAD
    + "@hookimpl\ndef empathy_register_providers(register):\n    register('x', factory=None)\n",
    "commands-raise": HEAD + "@hookimpl\ndef empathy_register_commands(cli):\n    raise OSError('cmds')\n",
    "duplicate-core-command": HEAD
    + "import click\n@hookimpl\ndef empathy_register_commands(cli):\n"
    + "    cli.add_command(click.Command('workflow'))\n",
    "record-usage-raises": HEAD + "@hookimpl\ndef empathy_record_usage(record):\n    raise OSError('sink')\n",
    "select-route-raises": HEAD
    + "@hookimpl\ndef empathy_select_route(context):\n    raise KeyError('route')\n",
    "stage-middleware-hook-raises": HEAD
    + "@hookimpl\ndef empathy_stage_middleware():\n    raise TypeError('mw')\n",
    "stage-middleware-raises": HEAD
    + "@hookimpl\ndef empathy_stage_middleware():\n"
    + "    async def mw(ctx, call_next):\n        raise AttributeError('inside')\n    return mw\n",
    "llm-middleware-raises": HEAD
    + "@hookimpl\ndef empathy_llm_middleware():\n"
    + "    async def mw(ctx, call_next):\n        return None.text\n    return mw\n",
    "started-raises": HEAD + "@hookimpl\ndef empathy_workflow_started():\n    raise RuntimeError('start')\n",
    "async-finished-raises": HEAD
    + "@hookimpl\nasync def empathy_workflow_finished(result):\n    raise RuntimeError('done')\n",
    "unknown-hook": HEAD + "@hookimpl\ndef empathy_no_such_hook():\n    pass\n",
    "wrong-argument-name": HEAD + "@hookimpl\ndef empathy_record_usage(rec):\n    pass\n",
    "add-hookspecs-raises": HEAD
    + "@hookimpl\ndef empathy_add_hookspecs(pluginmanager):\n    raise RuntimeError('specs')\n",
    "exit-in-hook": HEAD + "import sys\n@hookimpl\ndef empathy_configure():\n    sys.exit(4)\n",
}

# Breakages only visible once the broken code runs: the plugin may look loaded until then.
SILENT_UNTIL_RUN = {
    "record-usage-raises",
    "stage-middleware-raises",
    "stage-middleware-hook-raises",
    "llm-middleware-raises",
    "select-route-raises",
    "wrong-register-call",
    "started-raises",
    "async-finished-raises",
    "unconfigure-raises",
    "prints-at-import",
}


@pytest.fixture
def installed(make_dist):
    def install(kind: str) -> None:
        make_dist("empathy-good", "good", GOOD)
        make_dist("empathy-broken", "broken", BREAKAGES[kind], version="6.6.6")

    return install


@pytest.mark.slow
@pytest.mark.parametrize("kind", sorted(BREAKAGES))
def test_a_broken_plugin_leaves_every_command_working(kind, installed, empathy_cli):
    installed(kind)
    config: dict[str, str] = {}
    help_ = empathy_cli("--help", env=config)
    assert "workflow" in help_.ok()

    listed = empathy_cli("plugins", "list", "--json", env=config)
    infos = {i["name"]: i for i in json.loads(listed.ok())}  # stdout is pure JSON
    broken = infos["broken"]
    if kind == "duplicate-workflow":  # both contenders are disabled, named, and nothing else
        assert infos["good"]["status"] == broken["status"] == "failed"
        assert "workflow 'hello' is registered by both" in listed.stderr
        assert infos["code-review"]["status"] == "loaded"
        assert "hello" not in empathy_cli("workflow", "list", env=config).ok()
        return
    assert infos["good"]["status"] == "loaded"
    if kind not in SILENT_UNTIL_RUN:
        assert broken["status"] == "failed", broken
        assert "(empathy-broken 6.6.6)" in listed.stderr
    assert "hello" in empathy_cli("workflow", "list", env=config).ok()

    run = empathy_cli("workflow", "run", "hello", "--provider", "mock", "--json", env=config)
    result = json.loads(run.ok())
    assert result["status"] == "success", result
    if kind in SILENT_UNTIL_RUN - {"prints-at-import", "unconfigure-raises"}:
        assert "plugin 'broken' (empathy-broken 6.6.6) failed in empathy_" in run.stderr
    if kind == "unconfigure-raises":
        assert "failed in empathy_unconfigure: RuntimeError: unconfigure" in run.stderr
    if kind == "prints-at-import":
        assert "HELLO FROM A PLUGIN" in run.stderr


def test_strict_plugins_makes_a_broken_plugin_fatal_naming_it(installed, empathy_cli):
    installed("configure-raises")
    failed = empathy_cli("--strict-plugins", "workflow", "run", "hello", "--provider", "mock")
    assert "plugin 'broken' (empathy-broken 6.6.6) failed in empathy_configure" in failed.failed(1)


def test_a_slow_import_is_named_in_plugins_list_and_by_the_trace(make_dist, empathy_cli, tmp_path):
    make_dist("empathy-slow", "slow", "import time\ntime.sleep(0.3)\n" + HEAD)
    infos = {i["name"]: i for i in json.loads(empathy_cli("plugins", "list", "--json").ok())}
    assert infos["slow"]["import_ms"] >= 300
    fresh = {"EMPATHY_TRACE_PLUGINS": "1", "EMPATHY_CACHE_DIR": str(tmp_path / "fresh-cache")}
    traced = empathy_cli("plugins", "list", "--json", env=fresh)
    assert "plugin 'slow' imported in 3" in traced.stderr
