"""The plugin's registration, settings, retry middleware and lazy SDK import."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

import empathy_anthropic
import empathy_anthropic.plugin as anthropic_plugin
from empathy_anthropic.provider import AnthropicProvider
from empathy_anthropic.settings import AnthropicSettings
from empathy_core import ConfigError, Empathy, EmpathyConfig, ProviderEntry, parse_config


def settings_config(key: str, data: dict[str, object]) -> EmpathyConfig:
    """The configuration of a file holding ``plugins.settings.<key>: <data>``."""
    text = yaml.safe_dump({"plugins": {"settings": {key: data}}})
    return parse_config(text, Path("empathy.config.yml"))


def installed_like(config: EmpathyConfig) -> Empathy:
    """A runtime holding the plugin under its entry-point name and distribution."""
    empathy = Empathy(config)
    empathy.add_plugin(anthropic_plugin, "anthropic", dist="empathy-anthropic")
    return empathy


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
        from empathy_core import Empathy, EmpathyConfig, LLMRequest
        provider = found["anthropic"](Empathy(EmpathyConfig()), found["settings"]())
        provider.model_for("cheap")
        provider.estimate_cost(LLMRequest.from_text("hello"), "premium")
        assert callable(plugin.empathy_llm_middleware())
        import empathy_anthropic
        empathy_anthropic.AnthropicBatchProvider(EmpathyConfig(), record_usage=print)
        print("anthropic" in sys.modules)
        """
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"


def test_registered_as_provider_anthropic_with_settings() -> None:
    config = settings_config("empathy-anthropic", {"max_retries": 5, "cache_ttl": "1h"})
    empathy = installed_like(config)
    entry = empathy.providers()["anthropic"]
    assert isinstance(entry, ProviderEntry) and entry.factory == AnthropicProvider.from_config
    settings = empathy.settings_of(empathy.providers().owners["anthropic"])
    assert settings == empathy.settings(AnthropicSettings) == AnthropicSettings(max_retries=5, cache_ttl="1h")
    provider = entry.factory(empathy, settings)
    assert isinstance(provider, AnthropicProvider) and provider.name == "anthropic"
    assert provider.settings.max_retries == 5 and provider.config is config
    built = empathy.provider("anthropic")  # what a workflow on this runtime gets
    assert isinstance(built, AnthropicProvider) and built.settings == settings
    assert empathy.provider("anthropic") is built


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
    config = settings_config("anthropic", data)
    with pytest.raises(ConfigError, match=message):
        installed_like(config).settings("empathy-anthropic")


def test_package_exports_load_on_demand() -> None:
    assert empathy_anthropic.AnthropicProvider is AnthropicProvider
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        _ = empathy_anthropic.Nope
