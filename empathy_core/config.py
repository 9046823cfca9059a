"""``empathy.config.yml``: search, ``${ENV}`` interpolation, validation into attrs classes.

Every mistake becomes one :class:`~empathy_core.errors.ConfigError` naming the file, the
key path and the line; unknown keys get a did-you-mean. Search order: ``--config`` >
``$EMPATHY_CONFIG`` > ``./empathy.config.yml`` > the user config file.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs
import cattrs
import yaml
from cattrs.errors import ClassValidationError, ForbiddenExtraKeysError, IterableValidationError

from empathy_core.errors import ConfigError, PricingError
from empathy_core.paths import cache_dir, user_config_path
from empathy_core.pricing import ModelPrice, PriceTable, default_table
from empathy_core.records import ModelTier

CONFIG_FILENAME = "empathy.config.yml"
_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
_SECRET_KEYS = re.compile(r"(api_key|token|secret|password)", re.IGNORECASE)
REDACTED = "***"


@attrs.define
class TierDefaults:
    """Model id per tier."""

    cheap: str = "claude-haiku-4-5"
    """Model for CHEAP stages (triage, summaries)."""
    capable: str = "claude-sonnet-4-6"
    """Model for CAPABLE stages (the default tier)."""
    premium: str = "claude-opus-4-6"
    """Model for PREMIUM stages (synthesis, hard reasoning)."""


@attrs.define
class TelemetryConfig:
    """Where usage records go and what they may contain."""

    enabled: bool = True
    """Send every LLM call's usage record to the telemetry store."""
    store: str = ""
    """Store URL (``sqlite:///path``, ``postgresql://...``, ``jsonl:///path``: the scheme picks the
    storage plugin); empty: ``sqlite:///<cache dir>/empathy.db``."""
    retention_days: int = 30
    """Days of usage records kept (0 or less: forever); the telemetry sink and
    `empathy telemetry prune` enforce it."""
    export_format: str = "csv"
    """Default format of telemetry exports."""
    store_prompts: bool = False
    """Keep the prompt text with each record (off: only tokens, cost and timing)."""
    hash_user_ids: bool = True
    """Store a hash of ``user_id`` instead of the id itself."""

    def store_url(self) -> str:
        """The configured store URL, or SQLite under the cache directory."""
        return self.store or f"sqlite:///{cache_dir() / 'empathy.db'}"


@attrs.define
class AdaptiveRoutingConfig:
    """Adaptive routing: when to upgrade a stage's tier from telemetry and feedback."""

    enabled: bool = False
    """Let the router strategy change a stage's tier."""
    strategy: str = "adaptive"
    """Router strategy, by the name a plugin registered it under."""
    min_samples: int = 10
    """Calls of a stage needed before its history is trusted."""
    quality_threshold: float = 0.7
    """Quality score (0..1) below which a stage is upgraded."""
    failure_rate_threshold: float = 0.2
    """Failure rate (0..1) above which a stage is upgraded."""


@attrs.define
class BatchConfig:
    """Message Batches polling (seconds)."""

    poll_interval: float = 300.0
    """Seconds between two status checks of a submitted batch."""
    timeout: float = 86400.0
    """Seconds after which waiting for a batch gives up (the API's limit is 24 h)."""


@attrs.define
class RedisConfig:
    """Optional Redis for coordination and short-term memory."""

    url: str = "redis://localhost:6379"
    """Redis URL (``$EMPATHY_REDIS_URL`` wins)."""
    enabled: bool = False
    """Use Redis for coordination and short-term memory."""


@attrs.define
class PluginsConfig:
    """``plugins:``: which to disable and per-plugin settings (validated by each plugin)."""

    disable: list[str] = attrs.Factory(list)
    """Plugins not to load, by entry-point or distribution name."""
    settings: dict[str, dict[str, Any]] = attrs.Factory(dict)
    """Settings per plugin, keyed by distribution (or entry-point) name."""


@attrs.define
class EmpathyConfig:
    """The whole configuration. ``source`` is the file it came from (``None``: defaults)."""

    provider: str = "anthropic"
    """LLM provider, by the name a plugin registered it under (``mock`` for offline runs)."""
    api_key: str | None = attrs.field(default=None, repr=False)
    """Provider API key; leave unset and use ``$ANTHROPIC_API_KEY``. Never printed."""
    log_level: str = "WARNING"
    """Logging level (``$EMPATHY_LOG_LEVEL`` wins)."""
    tier_defaults: TierDefaults = attrs.Factory(TierDefaults)
    """Model id per tier."""
    telemetry: TelemetryConfig = attrs.Factory(TelemetryConfig)
    """Usage records: where they go and what they contain."""
    adaptive_routing: AdaptiveRoutingConfig = attrs.Factory(AdaptiveRoutingConfig)
    """Tier upgrades from telemetry history."""
    batch: BatchConfig = attrs.Factory(BatchConfig)
    """Message Batches polling."""
    redis: RedisConfig = attrs.Factory(RedisConfig)
    """Optional Redis server."""
    pricing: dict[str, ModelPrice] = attrs.Factory(dict)
    """Price overrides per model id: ``{input: USD per million tokens, output: ...}``."""
    plugins: PluginsConfig = attrs.Factory(PluginsConfig)
    """Which plugins load and their settings."""
    hooks: dict[str, list[str]] = attrs.Factory(dict)
    """Call order per hook: listed plugins are called first (outermost for wrappers)."""
    source: Path | None = attrs.field(default=None, eq=False)
    lines: dict[str, int] = attrs.field(factory=dict, eq=False, repr=False)

    def model_for(self, tier: ModelTier | str) -> str:
        """Model id configured for ``tier``."""
        return getattr(self.tier_defaults, ModelTier.parse(tier).value)

    def price_table(self) -> PriceTable:
        """Shipped prices with ``pricing:`` overrides applied."""
        return default_table().with_overrides(self.pricing)

    def line_of(self, path: str) -> int | None:
        """Line (1-based) in ``source`` of the key at ``path`` (``"$.a.b"``), if known."""
        return self.lines.get(path)


# -- strict structuring ----------------------------------------------------------------

_FILE_KEYS = {"source", "lines"}


def _strict(kind: type) -> Any:
    def structure(value: Any, _: Any) -> Any:
        ok = isinstance(value, kind) and not (kind is not bool and isinstance(value, bool))
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            return float(value)
        if not ok:
            raise TypeError(f"expected {kind.__name__}, got {type(value).__name__} {value!r}")
        return value

    return structure


def _make_converter() -> cattrs.Converter:
    conv = cattrs.Converter(forbid_extra_keys=True, detailed_validation=True)
    for kind in (str, int, float, bool):
        conv.register_structure_hook(kind, _strict(kind))
    return conv


_converter = _make_converter()


def _unstructure(config: EmpathyConfig) -> dict[str, Any]:
    data = _converter.unstructure(config)
    for key in _FILE_KEYS:
        data.pop(key, None)
    return data


# -- YAML with line numbers ------------------------------------------------------------


def _key_lines(node: yaml.Node | None, path: str = "$", out: dict[str, int] | None = None) -> dict[str, int]:
    """Map each key path (``$.a.b``, ``$.a[0]``) to its 1-based line."""
    out = {} if out is None else out
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            child = f"{path}.{key_node.value}"
            out[child] = key_node.start_mark.line + 1
            _key_lines(value_node, child, out)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            child = f"{path}[{i}]"
            out[child] = item.start_mark.line + 1
            _key_lines(item, child, out)
    return out


def _where(source: Path, lines: Mapping[str, int], path: str) -> str:
    line = lines.get(path)
    while line is None and "." in path:
        path = path.rsplit(".", 1)[0]
        line = lines.get(path)
    return f"{source}:{line}" if line else str(source)


def _dotted(path: str) -> str:
    return path.removeprefix("$.").removeprefix("$")


def _interpolate(value: Any, path: str, source: Path, lines: Mapping[str, int]) -> Any:
    """Replace ``${VAR}`` / ``${VAR:-default}`` in every string; a missing VAR is an error."""
    if isinstance(value, dict):
        return {k: _interpolate(v, f"{path}.{k}", source, lines) for k, v in value.items()}
    if isinstance(value, list):
        return [_interpolate(v, f"{path}[{i}]", source, lines) for i, v in enumerate(value)]
    if not isinstance(value, str):
        return value

    def replace(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        if name in os.environ:
            return os.environ[name]
        if default is not None:
            return default
        raise ConfigError(
            f"{_where(source, lines, path)}: {_dotted(path)}: environment variable "
            f"${{{name}}} is not set (set it, or write ${{{name}:-default}})"
        )

    return _ENV_REF.sub(replace, value)


def _first_error(exc: BaseException, path: str = "$") -> tuple[str, BaseException]:
    """Walk cattrs' exception groups to the first leaf error and its key path."""
    if isinstance(exc, ClassValidationError | IterableValidationError):
        with_notes, others = exc.group_exceptions()
        for sub in others:
            if isinstance(sub, ForbiddenExtraKeysError):
                return path, sub
        for sub, note in with_notes:
            name = getattr(note, "name", None)
            index = getattr(note, "index", None)
            if name is not None or isinstance(index, str):
                child = f"{path}.{name if name is not None else index}"
            else:
                child = f"{path}[{index}]"
            return _first_error(sub, child)
        if others:
            return _first_error(others[0], path)
    if isinstance(exc, ExceptionGroup):
        return _first_error(exc.exceptions[0], path)
    if len(exc.args) > 1 and isinstance(exc.args[1], attrs.Attribute):  # an attrs validator's error
        return f"{path}.{exc.args[1].name}", ValueError(exc.args[0])
    return path, exc


def _describe(leaf: BaseException) -> str:
    """A user-facing phrase for a leaf structuring error."""
    if isinstance(leaf, KeyError):
        return f"missing required key {leaf.args[0]!r}"
    if isinstance(leaf, AttributeError) and "items" in str(leaf):
        return "expected a mapping of keys"
    return str(leaf)


def _fields_at(path: str) -> list[str]:
    cls: Any = EmpathyConfig
    for part in _dotted(path).split(".") if _dotted(path) else []:
        fields = attrs.fields_dict(cls) if attrs.has(cls) else {}
        field_type: Any = fields[part].type if part in fields else None
        if field_type is None or not attrs.has(field_type):
            return []
        cls = field_type
    return [f for f in attrs.fields_dict(cls) if f not in _FILE_KEYS] if attrs.has(cls) else []


def _explain(exc: BaseException, source: Path, lines: Mapping[str, int]) -> str:
    path, leaf = _first_error(exc)
    if isinstance(leaf, ForbiddenExtraKeysError):
        key = sorted(leaf.extra_fields)[0]
        key_path = f"{path}.{key}"
        hint = difflib.get_close_matches(key, _fields_at(path), n=1)
        suggestion = f"; did you mean '{hint[0]}'?" if hint else ""
        return f"{_where(source, lines, key_path)}: unknown key '{_dotted(key_path)}'{suggestion}"
    return f"{_where(source, lines, path)}: {_dotted(path)}: {_describe(leaf)}"


# -- loading ---------------------------------------------------------------------------


def find_config(explicit: str | os.PathLike[str] | None = None) -> Path | None:
    """The config file to use, by search order; ``None`` when there is none."""
    if explicit:
        path = Path(explicit)
        if not path.is_file():
            raise ConfigError(f"{path}: config file not found (given with --config)")
        return path
    env = os.environ.get("EMPATHY_CONFIG")
    if env:
        path = Path(env)
        if not path.is_file():
            raise ConfigError(f"{path}: config file not found (given by EMPATHY_CONFIG)")
        return path
    for candidate in (Path.cwd() / CONFIG_FILENAME, user_config_path()):
        if candidate.is_file():
            return candidate
    return None


def parse_config(text: str, source: Path) -> EmpathyConfig:
    """Validate YAML ``text`` (from ``source``) into an :class:`EmpathyConfig`."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark else str(source)
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"{where}: invalid YAML: {problem}") from None
    lines = _key_lines(node)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{source}:1: the top level must be a mapping of keys, not {type(data).__name__}")
    bad = [k for k in data if k in _FILE_KEYS]
    if bad:
        raise ConfigError(f"{_where(source, lines, '$.' + bad[0])}: unknown key '{bad[0]}'")
    data = _interpolate(data, "$", source, lines)
    try:
        config = _converter.structure(data, EmpathyConfig)
    except Exception as exc:
        raise ConfigError(_explain(exc, source, lines)) from None
    config.source = source
    config.lines = lines
    _check_prices(config, source, lines)
    return _apply_env(config)


def _check_prices(config: EmpathyConfig, source: Path, lines: Mapping[str, int]) -> None:
    """Every tier's model must have a price: a model without one would report $0."""
    table = config.price_table()
    for tier in ModelTier:
        model = config.model_for(tier)
        try:
            table.price_for(model)
        except PricingError:
            path = f"$.tier_defaults.{tier.value}"
            raise ConfigError(
                f"{_where(source, lines, path)}: {_dotted(path)}: no price for model {model!r}; "
                f"add it under 'pricing:' (input and output USD per million tokens)"
            ) from None


def _apply_env(config: EmpathyConfig) -> EmpathyConfig:
    """Environment variables of the seeds win over the file."""
    if os.environ.get("ANTHROPIC_API_KEY") and not config.api_key:
        config.api_key = os.environ["ANTHROPIC_API_KEY"]
    if os.environ.get("EMPATHY_LOG_LEVEL"):
        config.log_level = os.environ["EMPATHY_LOG_LEVEL"].upper()
    if os.environ.get("EMPATHY_REDIS_URL"):
        config.redis.url = os.environ["EMPATHY_REDIS_URL"]
    return config


def load_config(path: str | os.PathLike[str] | None = None) -> EmpathyConfig:
    """Find, read and validate the configuration; defaults when there is no file."""
    source = find_config(path)
    if source is None:
        return _apply_env(EmpathyConfig())
    try:
        text = source.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{source}: cannot read config file: {exc}") from None
    return parse_config(text, source)


def structure_settings(cls: type, data: Any, key_path: str, config: EmpathyConfig) -> Any:
    """Validate one plugin's ``plugins.settings.<name>`` mapping into ``cls``."""
    source = config.source or Path(CONFIG_FILENAME)
    try:
        return _converter.structure(data or {}, cls)
    except Exception as exc:
        path, leaf = _first_error(exc, key_path)
        if isinstance(leaf, ForbiddenExtraKeysError):
            key = sorted(leaf.extra_fields)[0]
            names = [f.name for f in attrs.fields(cls)] if path == key_path else []
            hint = difflib.get_close_matches(key, names, n=1)
            suggestion = f"; did you mean '{hint[0]}'?" if hint else ""
            full = f"{path}.{key}"
            raise ConfigError(
                f"{_where(source, config.lines, full)}: unknown key '{_dotted(full)}'{suggestion}"
            ) from None
        where = _where(source, config.lines, path)
        raise ConfigError(f"{where}: {_dotted(path)}: {_describe(leaf)}") from None


def redacted(data: Any) -> Any:
    """A copy of plain data with every secret-looking key's value replaced by ``***``."""
    if isinstance(data, dict):
        return {
            k: (REDACTED if v and isinstance(k, str) and _SECRET_KEYS.search(k) else redacted(v))
            for k, v in data.items()
        }
    if isinstance(data, list):
        return [redacted(v) for v in data]
    return data


def config_as_dict(config: EmpathyConfig, *, redact: bool = True) -> dict[str, Any]:
    """The configuration as plain data, secrets redacted unless ``redact=False``."""
    data = _unstructure(config)
    return redacted(data) if redact else data
