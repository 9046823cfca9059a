"""Registration through the installed entry point, as `empathy` itself loads plugins."""

from __future__ import annotations

import json

from empathy_core import Empathy

from {{ cookiecutter.package_name }}.plugin import PLUGIN
from {{ cookiecutter.package_name }}.settings import Settings
from {{ cookiecutter.package_name }}.workflow import {{ cookiecutter.workflow_class }}


def test_entry_point_registers_workflow_and_settings(empathy_cache_dir):
    empathy = Empathy(entry_points=True)
    try:
        info = empathy.infos[PLUGIN]
        assert info.status == "loaded", info.error
        assert info.dist == "{{ cookiecutter.project_slug }}"
        assert empathy.workflows()[PLUGIN].cls is {{ cookiecutter.workflow_class }}
        assert empathy.settings("{{ cookiecutter.project_slug }}") == empathy.settings(Settings) == Settings()
    finally:
        empathy.close()


def test_cli_lists_the_plugin_and_its_workflow(empathy_cli):
    workflows = json.loads(empathy_cli("workflow", "list", "--json").ok())
    [entry] = [w for w in workflows if w["name"] == PLUGIN]
    assert entry["tiers"] == {"extract": "cheap", "summarize": "capable"}
    plugins = {p["name"]: p for p in json.loads(empathy_cli("plugins", "list", "--json").ok())}
    assert plugins[PLUGIN]["status"] == "loaded"
