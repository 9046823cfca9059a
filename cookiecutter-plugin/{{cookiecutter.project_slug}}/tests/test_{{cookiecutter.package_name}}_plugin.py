"""Registration through the installed entry point, as `empathy` itself loads plugins."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from empathy_core.plugins import make_plugin_manager

from {{ cookiecutter.package_name }}.plugin import PLUGIN
from {{ cookiecutter.package_name }}.settings import Settings
from {{ cookiecutter.package_name }}.workflow import {{ cookiecutter.workflow_class }}


def _empathy(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "empathy_core", *args], capture_output=True, text=True, env=os.environ
    )


def test_entry_point_registers_workflow_and_settings(empathy_cache_dir):
    pm = make_plugin_manager(entry_points=True)
    assert pm.infos[PLUGIN].status == "loaded", pm.infos[PLUGIN].error
    assert pm.infos[PLUGIN].dist == "{{ cookiecutter.project_slug }}"
    assert pm.workflows()[PLUGIN] is {{ cookiecutter.workflow_class }}
    assert pm.plugin_settings("{{ cookiecutter.project_slug }}") == Settings()


def test_cli_lists_the_plugin_and_its_workflow(empathy_cache_dir):
    listed = _empathy("workflow", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    [entry] = [w for w in json.loads(listed.stdout) if w["name"] == PLUGIN]
    assert entry["tiers"] == {"extract": "cheap", "summarize": "capable"}
    plugins = {p["name"]: p for p in json.loads(_empathy("plugins", "list", "--json").stdout)}
    assert plugins[PLUGIN]["status"] == "loaded"
