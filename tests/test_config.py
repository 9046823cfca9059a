import json
import subprocess
import sys

import pytest

from empathy_core.config import config_as_dict, find_config, load_config, parse_config
from empathy_core.errors import ConfigError


def _parse(text, tmp_path):
    return parse_config(text, tmp_path / "empathy.config.yml")


def _error(text, tmp_path):
    with pytest.raises(ConfigError) as info:
        _parse(text, tmp_path)
    assert info.value.exit_code == 2
    return str(info.value)


def test_defaults_match_the_seeds(tmp_path):
    config = _parse("", tmp_path)
    assert config.tier_defaults.cheap == "claude-haiku-4-5"
    assert config.model_for("CAPABLE") == "claude-sonnet-4-6"
    assert config.batch.poll_interval == 300
    assert config.telemetry.store_url().startswith("sqlite:///")


def test_seed_schema_is_accepted(tmp_path):
    config = _parse(
        """
provider: anthropic
tier_defaults:
  cheap: claude-haiku-4-5
  capable: claude-sonnet-4-5
  premium: claude-opus-4-5
telemetry: {enabled: true, retention_days: 30, export_format: csv}
adaptive_routing: {enabled: true, min_samples: 10, quality_threshold: 0.7, failure_rate_threshold: 0.2}
batch: {poll_interval: 300, timeout: 86400}
redis: {url: "redis://localhost:6379", enabled: false}
plugins: {disable: [otel]}
hooks: {empathy_run_stage: [telemetry]}
""",
        tmp_path,
    )
    assert config.tier_defaults.capable == "claude-sonnet-4-5"
    assert config.plugins.disable == ["otel"]
    assert config.hooks == {"empathy_run_stage": ["telemetry"]}


def test_syntax_error_names_file_and_line(tmp_path):
    message = _error("telemetry:\n  enabled: true\n bad: [\n", tmp_path)
    assert message.startswith(f"{tmp_path / 'empathy.config.yml'}:")
    assert "invalid YAML" in message
    assert "\n" not in message


def test_wrong_type_names_key_path_and_line(tmp_path):
    message = _error("provider: anthropic\nbatch:\n  poll_interval: often\n", tmp_path)
    assert (
        message
        == f"{tmp_path / 'empathy.config.yml'}:3: batch.poll_interval: expected float, got str 'often'"
    )


def test_bool_is_not_coerced_from_string(tmp_path):
    assert "telemetry.enabled: expected bool" in _error("telemetry:\n  enabled: 'no'\n", tmp_path)


def test_unknown_key_suggests_the_right_one(tmp_path):
    message = _error("telemetry:\n  retention_dayz: 3\n", tmp_path)
    assert message.endswith(":2: unknown key 'telemetry.retention_dayz'; did you mean 'retention_days'?")


def test_unknown_top_level_key(tmp_path):
    assert "unknown key 'tier_default'; did you mean 'tier_defaults'?" in _error(
        "tier_default: {}\n", tmp_path
    )


def test_env_interpolation_and_defaults(tmp_path, monkeypatch):
    monkeypatch.setenv("EMPATHY_TEST_URL", "redis://10.0.0.1:6379")
    config = _parse("redis:\n  url: ${EMPATHY_TEST_URL}\ntelemetry:\n  store: ${NOPE_STORE:-}\n", tmp_path)
    assert config.redis.url == "redis://10.0.0.1:6379"
    assert config.telemetry.store == ""


def test_missing_env_var_names_key_and_line(tmp_path, monkeypatch):
    monkeypatch.delenv("EMPATHY_TEST_MISSING", raising=False)
    message = _error("provider: anthropic\napi_key: ${EMPATHY_TEST_MISSING}\n", tmp_path)
    assert ":2: api_key: environment variable ${EMPATHY_TEST_MISSING} is not set" in message


def test_tier_model_without_price_is_rejected(tmp_path):
    assert "tier_defaults.cheap: no price for model 'gpt-x'" in _error(
        "tier_defaults:\n  cheap: gpt-x\n", tmp_path
    )


def test_search_order(tmp_path, monkeypatch):
    user = tmp_path / "xdg" / "empathy" / "config.yml"
    user.parent.mkdir(parents=True)
    user.write_text("provider: user\n")
    cwd = tmp_path / "work"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("EMPATHY_CONFIG", raising=False)
    assert find_config() == user
    (cwd / "empathy.config.yml").write_text("provider: local\n")
    assert load_config().provider == "local"
    env_file = tmp_path / "env.yml"
    env_file.write_text("provider: env\n")
    monkeypatch.setenv("EMPATHY_CONFIG", str(env_file))
    assert load_config().provider == "env"
    explicit = tmp_path / "explicit.yml"
    explicit.write_text("provider: explicit\n")
    assert load_config(explicit).provider == "explicit"
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "missing.yml")


def test_seed_env_vars_are_honoured(tmp_path, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-test-from-env")
    monkeypatch.setenv("EMPATHY_LOG_LEVEL", "debug")
    monkeypatch.setenv("EMPATHY_REDIS_URL", "redis://127.0.0.1:6390")
    config = _parse("", tmp_path)
    assert config.api_key == "sk-test-from-env"
    assert config.log_level == "DEBUG"
    assert config.redis.url == "redis://127.0.0.1:6390"


def test_secrets_are_redacted(tmp_path, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-canary-redaction")
    data = config_as_dict(_parse("plugins:\n  settings:\n    x: {token: abc, size: 3}\n", tmp_path))
    assert data["api_key"] == "***"
    assert data["plugins"]["settings"]["x"] == {"token": "***", "size": 3}
    assert "sk-canary-redaction" not in json.dumps(data)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("batch:\n  timeout: [\n", "invalid YAML"),
        ("batch:\n  timeout: forever\n", "batch.timeout: expected float"),
        ("batch:\n  timout: 3\n", "did you mean 'timeout'"),
    ],
)
def test_cli_reports_one_line_and_exit_2(tmp_path, text, expected, empathy_cache_dir):
    path = tmp_path / "bad.yml"
    path.write_text(text)
    proc = subprocess.run(
        [sys.executable, "-m", "empathy_core", "--config", str(path), "config", "validate"],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith(f"Error: {path}:")
    assert expected in lines[0]
    assert "Traceback" not in proc.stderr


def test_cli_show_redacts_the_key(tmp_path, monkeypatch, empathy_cache_dir):
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-canary-show-1234567890")
    proc = subprocess.run(
        [sys.executable, "-m", "empathy_core", "config", "show", "--json"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["api_key"] == "***"
    assert "sk-canary-show" not in proc.stdout + proc.stderr
