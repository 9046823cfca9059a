import json
import os

WORKFLOW_PLUGIN = """
from empathy_core import hookimpl


@hookimpl
def empathy_register_workflows(register):
    from {impl} import Demo

    register(Demo)


@hookimpl
def empathy_register_commands(cli):
    import click

    @cli.command("hello")
    def hello():
        \"\"\"Say hello from a plugin.\"\"\"
        click.echo("hello from demo")
"""

WORKFLOW_IMPL = """
from empathy_core import BaseWorkflow, ModelTier


class Demo(BaseWorkflow):
    name = "demo"
    description = "Two stages, second one can be told to fail."
    stages = ["draft", "polish"]
    tier_map = {"draft": ModelTier.CHEAP, "polish": ModelTier.CAPABLE}

    async def run_stage(self, stage_name, tier, input_data):
        if stage_name == "polish" and input_data.get("fail"):
            raise RuntimeError("polish refused")
        response = await self._call_llm(tier, "system", f"{stage_name}: {input_data.get('text', '')}")
        return {stage_name: response.text}, response.usage.input_tokens, response.usage.output_tokens
"""

# ``python -X importtime`` through the environment, so ``empathy_cli`` runs it unchanged.
IMPORTTIME = {"PYTHONPROFILEIMPORTTIME": "1"}


def _imported(stderr):
    return {line.split("|")[-1].strip() for line in stderr.splitlines() if line.startswith("import time:")}


def _install_demo(make_dist, site_dir):
    (site_dir / "empathy_demo_impl.py").write_text(WORKFLOW_IMPL)
    make_dist("empathy-demo", "demo", WORKFLOW_PLUGIN.format(impl="empathy_demo_impl"))


def test_help_lists_plugin_commands_without_importing_plugins(make_dist, site_dir, empathy_cli):
    _install_demo(make_dist, site_dir)
    cold = empathy_cli("--help", env=IMPORTTIME)
    assert "hello" in cold.ok() and "Say hello from a plugin." in cold.stdout
    assert "anthropic" not in _imported(cold.stderr)
    warm = empathy_cli("--help", env=IMPORTTIME)
    assert warm.ok() == cold.stdout
    modules = _imported(warm.stderr)
    assert modules, "no import times recorded: PYTHONPROFILEIMPORTTIME had no effect"
    assert not {m for m in modules if m.startswith(("empathy_demo", "empathy_testing", "anthropic"))}
    assert "pluggy" not in modules and "click" not in modules


def test_workflow_list_and_describe_come_from_the_index(make_dist, site_dir, empathy_cli):
    _install_demo(make_dist, site_dir)
    empathy_cli("workflow", "list").ok()
    listed = empathy_cli("workflow", "list", "--json", env=IMPORTTIME)
    [entry] = [e for e in json.loads(listed.ok()) if e["name"] == "demo"]
    assert entry["plugin"] == "demo"
    assert entry["tiers"] == {"draft": "cheap", "polish": "capable"}
    modules = _imported(listed.stderr)
    assert modules, "no import times recorded: PYTHONPROFILEIMPORTTIME had no effect"
    assert "empathy_demo_impl" not in modules and "pluggy" not in modules
    described = empathy_cli("workflow", "describe", "demo").ok()
    assert "1. draft [cheap]" in described and "2. polish [capable]" in described
    assert "did you mean 'demo'?" in empathy_cli("workflow", "describe", "dmeo").failed(2)


def test_index_is_rebuilt_when_a_plugin_file_changes(make_dist, site_dir, empathy_cli):
    _install_demo(make_dist, site_dir)
    assert "hello" in empathy_cli("--help").ok()
    source = site_dir / "empathy_demo_ep.py"
    source.write_text(source.read_text().replace('"hello"', '"greet"'))
    os.utime(source, ns=(1, 10**18))
    help_text = empathy_cli("--help").ok()
    assert "  greet " in help_text and "  hello " not in help_text


def test_plugin_command_runs_lazily(make_dist, site_dir, empathy_cli):
    _install_demo(make_dist, site_dir)
    assert empathy_cli("hello").ok() == "hello from demo\n"


def test_run_success_and_json(make_dist, site_dir, empathy_cli):
    _install_demo(make_dist, site_dir)
    proc = empathy_cli("workflow", "run", "demo", "--provider", "mock", "--input", '{"text": "hi"}', "--json")
    result = json.loads(proc.ok())
    assert result["status"] == "success"
    assert [s["tier"] for s in result["stages"]] == ["cheap", "capable"]
    assert result["tokens_in"] > 0 and result["cost"] == 0.0


def test_failed_stage_exits_non_zero_and_never_claims_success(make_dist, site_dir, empathy_cli, tmp_path):
    _install_demo(make_dist, site_dir)
    payload = tmp_path / "input.json"
    payload.write_text('{"fail": true}')
    proc = empathy_cli("workflow", "run", "demo", "--provider", "mock", "--input", f"@{payload}")
    proc.failed(1)
    assert "success" not in proc.stdout.lower().replace("success │", "")
    assert "failed: stage 'polish' failed: RuntimeError: polish refused" in " ".join(proc.stdout.split())


def test_bad_input_json_is_a_usage_error(make_dist, site_dir, empathy_cli):
    _install_demo(make_dist, site_dir)
    stderr = empathy_cli("workflow", "run", "demo", "--input", "{not json").failed(2)
    assert "invalid JSON at line 1 column 2" in stderr


def test_version(empathy_cli):
    from empathy_core import __version__

    assert empathy_cli("--version").ok() == f"empathy {__version__}\n"


SUBCOMMAND_PLUGIN = """
from empathy_core import hookimpl


@hookimpl
def empathy_register_commands(cli):
    import click

    from empathy_core import get_or_create_group

    workflow = get_or_create_group(cli, "workflow")

    @workflow.command("hello")
    @click.argument("who")
    def hello(who):
        \"\"\"Greet WHO from a plugin subcommand.\"\"\"
        click.echo(f"hello {who} from a workflow subcommand")

    @workflow.command("list")
    def shadow():
        click.echo("the plugin's list")
"""


def test_a_plugin_adds_a_subcommand_to_a_core_group_imported_only_when_it_runs(
    make_dist, site_dir, empathy_cli
):
    make_dist("empathy-ext", "ext", SUBCOMMAND_PLUGIN)
    empathy_cli("--help").ok()  # builds the index
    helped = empathy_cli("workflow", "--help", env=IMPORTTIME)
    assert "hello" in helped.ok() and "Greet WHO from a plugin subcommand." in helped.stdout
    modules = _imported(helped.stderr)
    assert modules and "empathy_ext_ep" not in modules and "pluggy" not in modules
    assert empathy_cli("workflow", "hello", "ada").ok() == "hello ada from a workflow subcommand\n"
    assert "Usage: empathy workflow hello [OPTIONS] WHO" in empathy_cli("workflow", "hello", "--help").ok()
    assert "the plugin's list" not in empathy_cli("workflow", "list").ok()  # the core's subcommand wins
