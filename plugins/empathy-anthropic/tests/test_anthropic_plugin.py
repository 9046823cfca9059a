"""The plugin's registration, settings and lazy SDK import."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

import empathy_anthropic
import empathy_anthropic.plugin as anthropic_plugin
from empathy_anthropic.provider import AnthropicProvider
from empathy_anthropic.settings import AnthropicSettings
from empathy_core.config import EmpathyConfig, PluginsConfig
from empathy_core.errors import ConfigError
from empathy_core.plugins import EmpathyPluginManager, PluginInfo, make_plugin_manager


def installed_like(config: EmpathyConfig) -> EmpathyPluginManager:
    """A manager holding the plugin under its entry-point name and distribution."""
    pm = make_plugin_manager(config=config)
    pm.add_plugin(anthropic_plugin, "anthropic", PluginInfo("anthropic", "loaded", dist="empathy-anthropic"))
    return pm


def test_loading_and_using_the_plugin_without_a_call_does_not_import_the_sdk() -> None:
    code = textwrap.dedent(
        """
        import sys
        import empathy_anthropic.plugin as plugin
        assert "anthropic" not in sys.modules, "import"
        assert "empathy_anthropic.provider" not in sys.modules, "provider module"
        found = {}
        plugin.empathy_register_providers(lambda name, factory: found.update({name: factory}))
        plugin.empathy_register_settings(lambda cls: found.update(settings=cls))
        from empathy_core.config import EmpathyConfig
        from empathy_core.records import LLMRequest
        provider = found["anthropic"](EmpathyConfig(), found["settings"]())
        provider.model_for("cheap")
        provider.estimate_cost(LLMRequest.from_text("hello"), "premium")
        import empathy_anthropic
        empathy_anthropic.AnthropicBatchProvider(EmpathyConfig(), record_usage=print)
        print("anthropic" in sys.modules)
        """
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"


def test_registered_as_provider_anthropic_with_settings() -> None:
    config = EmpathyConfig(
        plugins=PluginsConfig(settings={"empathy-anthropic": {"max_retries": 5, "cache_ttl": "1h"}})
    )
    pm = installed_like(config)
    settings = pm.plugin_settings(pm.providers().owners["anthropic"])
    assert settings == AnthropicSettings(max_retries=5, cache_ttl="1h")
    provider = pm.providers()["anthropic"](config, settings)
    assert isinstance(provider, AnthropicProvider) and provider.name == "anthropic"
    assert provider.settings.max_retries == 5


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"cache_ttl": "2h"}, "cache_ttl"),
        ({"max_retries": -1}, "max_retries"),
        ({"timeout": 0}, "timeout"),
        ({"retries": 1}, "did you mean 'max_retries'"),
    ],
)
def test_invalid_settings_name_the_key(data: dict[str, object], message: str) -> None:
    config = EmpathyConfig(plugins=PluginsConfig(settings={"anthropic": data}))
    with pytest.raises(ConfigError, match=message):
        installed_like(config).plugin_settings("empathy-anthropic")


def test_package_exports_load_on_demand() -> None:
    assert empathy_anthropic.AnthropicProvider is AnthropicProvider
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        _ = empathy_anthropic.Nope
