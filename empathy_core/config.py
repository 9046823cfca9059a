"""``empathy.config.yml``: search, ``${ENV}`` interpolation, validation into attrs classes.

Every mistake becomes one :class:`~empathy_core.errors.ConfigError` line naming the file, the
line and the key path (``FILE:LINE: key.path: what is wrong``); unknown keys get a did-you-mean.
Search order: ``--config`` > ``$EMPATHY_CONFIG`` > ``./empathy.config.yml`` > the user config file.

The loader cannot be made to crash or hang: the file is at most :data:`MAX_FILE_BYTES`, nesting
at most :data:`MAX_DEPTH` deep, aliases may not be recursive and may expand the document to at
most :data:`MAX_NODES` nodes and :data:`MAX_TEXT` characters; duplicate and non-string keys are
refused. Messages quote bad values shortened and with every secret value redacted.
"""

from __future__ import annotations

import difflib
import math
import os
import re
from collections.abc import Callable, Mapping, MutableMapping, MutableSequence
from contextvars import ContextVar
from pathlib import Path
from typing import Any, get_origin

import attrs
import cattrs
import yaml
from cattrs.cols import list_structure_factory, mapping_structure_factory
from cattrs.errors import ClassValidationError, ForbiddenExtraKeysError, IterableValidationError

from empathy_core.errors import ConfigError, PricingError
from empathy_core.paths import cache_dir, user_config_path
from empathy_core.pricing import ModelPrice, PriceTable, default_table
from empathy_core.records import ModelTier
from empathy_core.redaction import SECRET_NAME, add_secret, redact, redact_data, shorten

CONFIG_FILENAME = "empathy.config.yml"
_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
REDACTED = "***"

MAX_FILE_BYTES = 1024 * 1024
"""Largest config file accepted, in bytes (1 MiB)."""
MAX_DEPTH = 64
"""Deepest nesting of mappings and lists accepted, aliases expanded."""
MAX_NODES = 100_000
"""Most nodes (keys, values, list items) a document may have once its aliases are expanded."""
MAX_TEXT = 16 * 1024 * 1024
"""Most characters (scalars and key paths) a document may have once its aliases are expanded."""
MAX_INT_CHARS = 40
"""Longest integer literal accepted (a longer one is no config value, and slow to print)."""
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
"""Accepted ``log_level`` values (case-insensitive in the file and in ``$EMPATHY_LOG_LEVEL``)."""


# -- value checks ----------------------------------------------------------------------

_checking: ContextVar[bool] = ContextVar("empathy_config_checking", default=False)
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.:-]{0,99}")
_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")
Validator = Callable[[Any, "attrs.Attribute[Any]", Any], None]


def _checked(test: Callable[[Any], str | None]) -> Validator:
    """An attrs validator applying ``test`` (a problem phrase, or ``None`` when fine).

    It checks only while :func:`parse_config` structures a file: the bounds are the contract
    of what a config file may say, while code may set other values (tests poll every 10 ms).
    The error is ``ValueError(problem, attribute)``, which :func:`_first_error` locates.
    """

    def validate(_instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if _checking.get():
            problem = test(value)
            if problem is not None:
                raise ValueError(problem, attribute)

    return validate


def _number(value: float) -> str:
    """``value`` for a message: integral floats as integers, huge integers by their size."""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e16 else repr(value)
    if abs(value) >= 10**MAX_INT_CHARS:
        return f"a number of {int(value.bit_length() * math.log10(2)) + 1} digits"
    return str(value)


def _amount(quantity: float, unit: tuple[str, str]) -> str:
    """``1 second``, ``30 seconds``; ``unit`` is (singular, plural), empty for none."""
    word = unit[0] if quantity == 1 else unit[1]
    return f"{_number(quantity)} {word}".rstrip()


def _within(low: float, high: float, unit: tuple[str, str] = ("", ""), note: str = "") -> Validator:
    """A finite number in ``[low, high]``, the unit named in the message (``note`` after ``low``)."""

    def test(value: float) -> str | None:
        if isinstance(value, float) and not math.isfinite(value):
            return f"must be a finite number{' of ' + unit[1] if unit[1] else ''}, got {_number(value)}"
        if value < low:
            return f"must be at least {_amount(low, unit)}{note}, got {_number(value)}"
        if value > high:
            return f"must be at most {_amount(high, unit)}, got {_number(value)}"
        return None

    return _checked(test)


def _name(value: str) -> str | None:
    if _NAME.fullmatch(value):
        return None
    return f"must be a name (letters, digits, '_', '.', ':', '-'; not empty), got {shorten(value, 40)}"


def _url(*, empty: str | None) -> Validator:
    """A URL shape ``scheme://...``; ``empty``: what an empty value means (``None``: refused)."""

    def test(value: str) -> str | None:
        if _URL.match(value) or (empty is not None and not value):
            return None
        alternative = f", or empty for {empty}" if empty is not None else ""
        return f"must be a URL scheme://...{alternative}, got {shorten(value, 40)}"

    return _checked(test)


def _log_level(value: str) -> str | None:
    if value in LOG_LEVELS:
        return None
    return f"must be one of {', '.join(LOG_LEVELS)} (any case), got {shorten(value, 40)}"


_SECONDS = ("second", "seconds")


def _upper(value: Any) -> Any:
    return value.upper() if isinstance(value, str) else value


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
    store: str = attrs.field(default="", validator=_url(empty="the default"))
    """Store URL (``sqlite:///path``, ``postgresql://...``, ``jsonl:///path``: the scheme picks the
    storage plugin); empty: ``sqlite:///<cache dir>/empathy.db``."""
    retention_days: int = attrs.field(
        default=30, validator=_within(0, 36500, ("day", "days"), " (0: keep forever)")
    )
    """Days of usage records kept, 0 to 36500 (0: forever); the store writer and
    `empathy telemetry prune` enforce it."""
    export_format: str = attrs.field(default="csv", validator=_checked(_name))
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
    strategy: str = attrs.field(default="adaptive", validator=_checked(_name))
    """Router strategy, by the name a plugin registered it under."""
    min_samples: int = attrs.field(default=10, validator=_within(1, 10**9, ("call", "calls")))
    """Calls of a stage needed before its history is trusted."""
    quality_threshold: float = attrs.field(default=0.7, validator=_within(0, 1))
    """Quality score (0..1) below which a stage is upgraded."""
    failure_rate_threshold: float = attrs.field(default=0.2, validator=_within(0, 1))
    """Failure rate (0..1) above which a stage is upgraded."""


@attrs.define
class BatchConfig:
    """Message Batches polling (seconds)."""

    poll_interval: float = attrs.field(default=300.0, validator=_within(1, 86400, _SECONDS))
    """Seconds between two status checks of a submitted batch (1 to 86400)."""
    timeout: float = attrs.field(default=86400.0, validator=_within(1, 7 * 86400, _SECONDS))
    """Seconds after which waiting for a batch gives up, 1 to 604800 (a batch the API has
    not finished within 24 h expires, so more than a day only helps a batch submitted
    earlier)."""


@attrs.define
class RedisConfig:
    """Optional Redis for coordination and short-term memory."""

    url: str = attrs.field(default="redis://localhost:6379", validator=_url(empty=None))
    """Redis URL (``$EMPATHY_REDIS_URL`` wins)."""
    enabled: bool = False
    """Use Redis for coordination and short-term memory."""


@attrs.define
class CoordinationConfig:
    """Heartbeats, signals, events, approvals and short-term memory: where and how long."""

    store: str = attrs.field(default="", validator=_url(empty="the default"))
    """Store URL for every coordination role and short-term memory (``sqlite:///path``,
    ``redis://host:port/db``); empty: ``redis.url`` when ``redis.enabled``, else
    ``sqlite:///<cache dir>/coordination.db``."""
    heartbeats: bool = False
    """Every workflow run beats and publishes its progress events (as
    ``enable_heartbeat_tracking=True`` does for one workflow)."""
    heartbeat_ttl: float = attrs.field(default=30.0, validator=_within(1, 86400, _SECONDS))
    """Seconds without a beat after which a running agent is stale (1 to 86400)."""
    event_retention: int = attrs.field(default=10_000, validator=_within(1, 10**7, ("event", "events")))
    """Events kept per event type; older ones are dropped (1 to 10,000,000)."""


@attrs.define
class ApprovalRule:
    """A stage that waits for a human decision before it runs."""

    workflow: str = attrs.field(validator=_checked(_name))
    """Workflow name."""
    stage: str = attrs.field(validator=_checked(_name))
    """Stage name."""
    timeout: float = attrs.field(default=300.0, validator=_within(1, 7 * 86400, _SECONDS))
    """Seconds to wait; no answer by then is a rejection (1 to 604800)."""
    approval_type: str = ""
    """What is asked, shown to the approver; empty: ``run_<stage>``."""


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

    provider: str = attrs.field(default="anthropic", validator=_checked(_name))
    """LLM provider, by the name a plugin registered it under (``mock`` for offline runs)."""
    api_key: str | None = attrs.field(default=None, repr=False)
    """Provider API key; leave unset and use ``$ANTHROPIC_API_KEY``. Never printed."""
    log_level: str = attrs.field(default="WARNING", converter=_upper, validator=_checked(_log_level))
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
    coordination: CoordinationConfig = attrs.Factory(CoordinationConfig)
    """Agent coordination and short-term memory."""
    approvals: list[ApprovalRule] = attrs.Factory(list)
    """Stages that wait for a human approval before they run."""
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

    def coordination_url(self) -> str:
        """Where coordination roles and short-term memory live (see ``coordination.store``)."""
        if self.coordination.store:
            return self.coordination.store
        if self.redis.enabled:
            return self.redis.url
        return f"sqlite:///{cache_dir() / 'coordination.db'}"

    def approval_rule(self, workflow: str, stage: str) -> ApprovalRule | None:
        """The ``approvals:`` rule for ``stage`` of ``workflow``, if any."""
        return next((r for r in self.approvals if r.workflow == workflow and r.stage == stage), None)

    def price_table(self) -> PriceTable:
        """Shipped prices with ``pricing:`` overrides applied."""
        return default_table().with_overrides(self.pricing)

    def line_of(self, path: str) -> int | None:
        """Line (1-based) in ``source`` of the key at ``path`` (``"$.a.b"``), else of its nearest
        ancestor written in the file (a key inside aliased content: where the alias is), if known."""
        return _line(self.lines, path)


# -- strict structuring ----------------------------------------------------------------

_FILE_KEYS = {"source", "lines"}


def _type_name(value: Any) -> str:
    """The YAML-ish name of ``value``'s type: ``null``, ``mapping``, ``list``, ``str``..."""
    if value is None:
        return "null"
    if isinstance(value, Mapping):
        return "mapping"
    return "list" if isinstance(value, list | tuple) else type(value).__name__


def _got(value: Any) -> str:
    """``got <type> <short redacted value>``; containers by their type only."""
    if value is None or isinstance(value, Mapping | list | tuple | set | frozenset):
        return f"got {_type_name(value)}"
    return f"got {_type_name(value)} {shorten(value, 40)}"


def _strict(kind: type) -> Callable[[Any, Any], Any]:
    """A hook taking only ``kind`` (no bool for int or float; an int for a float is fine)."""

    def structure(value: Any, _: Any) -> Any:
        ok = isinstance(value, kind) and not (kind is not bool and isinstance(value, bool))
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            try:
                return float(value)
            except OverflowError:
                raise ValueError(f"must be a finite number, got {_number(value)}") from None
        if not ok:
            raise TypeError(f"expected {kind.__name__}, {_got(value)}")
        return value

    return structure


def _shaped(kinds: type | tuple[type, ...], expected: str, inner: Callable[[Any, Any], Any]) -> Any:
    """``inner`` after checking the value is one of ``kinds`` (a string is no list of letters)."""

    def structure(value: Any, cl: Any) -> Any:
        if not isinstance(value, kinds):
            raise TypeError(f"expected {expected}, got {_type_name(value)}")
        return inner(value, cl)

    return structure


def _origin_in(*origins: type) -> Callable[[Any], bool]:
    return lambda cl: cl in origins or get_origin(cl) in origins


def _make_converter() -> cattrs.Converter:
    """Strict types (no coercion from strings), no unknown keys, mappings and lists checked."""
    conv = cattrs.Converter(forbid_extra_keys=True, detailed_validation=True)
    for kind in (str, int, float, bool):
        conv.register_structure_hook(kind, _strict(kind))
    conv.register_structure_hook_factory(
        attrs.has, lambda cl: _shaped(Mapping, "a mapping of keys", conv.gen_structure_attrs_fromdict(cl))
    )
    conv.register_structure_hook_factory(
        _origin_in(list, MutableSequence),
        lambda cl: _shaped((list, tuple), "a list", list_structure_factory(cl, conv)),
    )
    conv.register_structure_hook_factory(
        _origin_in(dict, Mapping, MutableMapping),
        lambda cl: _shaped(
            Mapping, "a mapping of keys", mapping_structure_factory(cl, conv, dict, detailed_validation=True)
        ),
    )
    return conv


_converter = _make_converter()


def _unstructure(config: EmpathyConfig) -> dict[str, Any]:
    data = _converter.unstructure(config)
    for key in _FILE_KEYS:
        data.pop(key, None)
    return data


# -- messages --------------------------------------------------------------------------


def _printable(text: str) -> str:
    """``text`` on one line: line breaks and other unprintable characters escaped."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


def _tidy(text: str, limit: int, *, middle: bool = False) -> str:
    """``text`` redacted, on one line and at most ``limit`` characters (cut at the end or middle)."""
    text = _printable(redact(text)[: 4 * limit])
    if len(text) <= limit:
        return text
    if middle:
        half = (limit - 3) // 2
        return f"{text[:half]}...{text[len(text) - half :]}"
    return text[: limit - 3] + "..."


def _dotted(path: str) -> str:
    return path.removeprefix("$.").removeprefix("$")


def _show(path: str) -> str:
    """A key path (``$.a.b[0]``) for a message: ``a.b[0]``, at most 60 characters."""
    return _tidy(_dotted(path), 60, middle=True)


def _parent(path: str) -> str:
    """``$.a.b`` -> ``$.a``; ``$.a[3]`` -> ``$.a``; ``$`` for a top-level key."""
    cut = path.rfind("[") if path.endswith("]") else -1
    if cut <= 0:
        cut = path.rfind(".")
    return path[:cut] if cut > 0 else "$"


def _line(lines: Mapping[str, int], path: str) -> int | None:
    """The line of ``path``, else of its nearest ancestor with a known line."""
    line = lines.get(path)
    while line is None and path != "$":
        path = _parent(path)
        line = lines.get(path)
    return line


def _where(source: Path, lines: Mapping[str, int], path: str) -> str:
    line = _line(lines, path)
    return f"{source}:{line}" if line else str(source)


def _message(where: str, path: str | None, problem: str) -> str:
    """``WHERE: key.path: problem`` (no key path for the top level), tidied for one line."""
    shown = _show(path) if path else ""
    problem = _tidy(problem, 160)
    return f"{where}: {shown}: {problem}" if shown else f"{where}: {problem}"


def _error(source: Path, lines: Mapping[str, int], path: str, problem: str) -> ConfigError:
    """The :class:`ConfigError` for ``problem`` at key ``path`` of ``source``."""
    return ConfigError(_message(_where(source, lines, path), path, problem))


def _unknown_key(source: Path, lines: Mapping[str, int], path: str, hint: list[str]) -> ConfigError:
    suggestion = f"; did you mean '{hint[0]}'?" if hint else ""
    return ConfigError(f"{_where(source, lines, path)}: unknown key '{_show(path)}'{suggestion}")


# -- bounded YAML ----------------------------------------------------------------------

_TAG = "tag:yaml.org,2002:"
_FAST_EVENTS = bool(yaml.__with_libyaml__)
_KEY_TAGS = frozenset({_TAG + "str", _TAG + "value"})


class _Refused(Exception):
    """What :class:`_BoundedLoader` refuses: 1-based ``line``, key ``path`` and ``problem``."""

    def __init__(self, line: int | None, path: str, problem: str) -> None:
        super().__init__(problem)
        self.line = line
        self.path = path
        self.problem = problem


class _BoundedLoader(yaml.SafeLoader):
    """A SafeLoader that refuses, as :class:`_Refused`, what could crash or hang a loader.

    While composing it counts every node as if aliases were expanded (an alias costs what its
    anchored node cost, so a "billion laughs" stops after :data:`MAX_NODES` nodes, in
    microseconds), charges the characters of scalars and key paths against :data:`MAX_TEXT`,
    and refuses a recursive alias, nesting deeper than :data:`MAX_DEPTH` (aliases included),
    non-string and duplicate keys (checked before ``<<`` merges, which may override), and
    integer literals longer than :data:`MAX_INT_CHARS`. Keys are checked at composition, not in
    ``construct_mapping``, because merging rewrites mappings before they are constructed. Any
    error constructing a value is refused with its key path. :attr:`lines` maps each key path
    (``$.a.b``, ``$.a[0]``) written in the file to its line; aliased content is not repeated.

    With ``fast`` the events come from libyaml's parser (:data:`_FAST_EVENTS`: when PyYAML has it),
    several times faster than the pure-Python one; composing and constructing stay the same.
    """

    def __init__(self, text: str, *, fast: bool = False) -> None:
        super().__init__(text)  # the Reader refuses characters YAML does not allow, here
        self._fast: Any = None
        if fast:
            self._fast = yaml.cyaml.CParser(text)
            self.check_event = self._fast.check_event  # type: ignore[method-assign]
            self.peek_event = self._fast.peek_event  # type: ignore[method-assign]
            self.get_event = self._fast.get_event  # type: ignore[method-assign]
        self.lines: dict[str, int] = {}
        self._path = "$"
        self._paths: dict[int, str] = {}  # id(node) -> key path where it was written
        self._depth = 0
        self._deepest = 0
        self._nodes = 0
        self._text = 0
        self._open: set[str] = set()  # anchors of the nodes being composed
        self._sizes: dict[str, tuple[int, int, int]] = {}  # anchor -> nodes, text, height

    def load(self) -> Any:
        """The single document's data (``None`` for an empty document)."""
        node = self.get_single_node()
        return None if node is None else self.construct_document(node)

    def dispose(self) -> None:
        super().dispose()
        if self._fast is not None:
            self._fast.dispose()

    def _charge(self, nodes: int, text: int, depth: int, line: int) -> None:
        self._nodes += nodes
        self._text += text
        self._deepest = max(self._deepest, depth)
        if depth > MAX_DEPTH:
            raise _Refused(line, self._path, f"nested more than {MAX_DEPTH} levels deep (aliases expanded)")
        if self._nodes > MAX_NODES:
            raise _Refused(
                line,
                self._path,
                f"the document has more than {MAX_NODES} nodes (keys, values, items; aliases expanded)",
            )
        if self._text > MAX_TEXT:
            raise _Refused(
                line, self._path, f"the document has more than {MAX_TEXT} characters (aliases expanded)"
            )

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node:
        event = self.peek_event()
        line = event.start_mark.line + 1
        if isinstance(event, yaml.AliasEvent):
            if event.anchor in self._open:
                name = _tidy(event.anchor, 40)
                raise _Refused(line, self._path, f"recursive alias *{name} (it is inside the node it names)")
            nodes, text, height = self._sizes.get(event.anchor, (1, 0, 1))
            self._charge(nodes, text, self._depth + height, line)
            return super().compose_node(parent, index)
        depth = self._depth + 1
        nodes, text, outer_deepest = self._nodes, self._text, self._deepest
        scalar = event.value if isinstance(event, yaml.ScalarEvent) else ""
        self._charge(1, len(scalar) + len(self._path), depth, line)
        anchor = event.anchor
        if anchor is not None:
            self._open.add(anchor)
        self._depth = depth
        try:
            node = super().compose_node(parent, index)
        finally:
            self._depth = depth - 1
            self._open.discard(anchor)  # type: ignore[arg-type]
        if anchor is not None:
            self._sizes[anchor] = (self._nodes - nodes, self._text - text, self._deepest - depth + 1)
        self._deepest = max(outer_deepest, self._deepest)
        self._paths.setdefault(id(node), self._path)
        if node.tag == _TAG + "int" and len(scalar) > MAX_INT_CHARS:
            raise _Refused(line, self._path, f"integer of {len(scalar)} characters (at most {MAX_INT_CHARS})")
        return node

    def compose_sequence_node(self, anchor: str | None) -> yaml.SequenceNode:
        start = self.get_event()
        tag = start.tag
        if tag is None or tag == "!":
            tag = self.resolve(yaml.SequenceNode, None, start.implicit)
        node = yaml.SequenceNode(tag, [], start.start_mark, None, flow_style=start.flow_style)
        if anchor is not None:
            self.anchors[anchor] = node
        parent = self._path
        while not self.check_event(yaml.SequenceEndEvent):
            self._path = f"{parent}[{len(node.value)}]"
            self.lines[self._path] = self.peek_event().start_mark.line + 1
            node.value.append(self.compose_node(node, len(node.value)))
        self._path = parent
        node.end_mark = self.get_event().end_mark
        return node

    def compose_mapping_node(self, anchor: str | None) -> yaml.MappingNode:
        start = self.get_event()
        tag = start.tag
        if tag is None or tag == "!":
            tag = self.resolve(yaml.MappingNode, None, start.implicit)
        node = yaml.MappingNode(tag, [], start.start_mark, None, flow_style=start.flow_style)
        if anchor is not None:
            self.anchors[anchor] = node
        parent = self._path
        seen: dict[str, int] = {}
        while not self.check_event(yaml.MappingEndEvent):
            line = self.peek_event().start_mark.line + 1
            self._path = parent
            key_node = self.compose_node(node, None)
            key = self._key(key_node, line)
            if key is not None:
                self._path = f"{parent}.{key}"
                if key in seen:
                    raise _Refused(line, self._path, f"duplicate key (first at line {seen[key]})")
                seen[key] = line
                self.lines[self._path] = line
            node.value.append((key_node, self.compose_node(node, key_node)))
        self._path = parent
        node.end_mark = self.get_event().end_mark
        return node

    def _key(self, node: yaml.Node, line: int) -> str | None:
        """The string of key ``node``; ``None`` for a ``<<`` merge; refused when not a string."""
        if isinstance(node, yaml.ScalarNode):
            if node.tag in _KEY_TAGS:
                return str(node.value)
            if node.tag == _TAG + "merge":
                return None
            kind = node.tag.removeprefix(_TAG) if node.tag.startswith(_TAG) else f"tag {node.tag}"
            got = f"{kind} {_tidy(repr(node.value), 40)}"
        else:
            got = "a list" if isinstance(node, yaml.SequenceNode) else "a mapping"
        raise _Refused(line, self._path, f"keys must be strings, got {got} (quote a key meant as text)")

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep=deep)
        except _Refused:
            raise
        except yaml.MarkedYAMLError as exc:
            problem = _yaml_problem(exc)
            raise _Refused(node.start_mark.line + 1, self._paths.get(id(node), "$"), problem) from None
        except Exception as exc:  # e.g. ValueError from a timestamp such as 2024-13-45
            problem = f"invalid value: {exc}" if str(exc) else f"invalid value ({type(exc).__name__})"
            raise _Refused(node.start_mark.line + 1, self._paths.get(id(node), "$"), problem) from None


def _yaml_problem(exc: yaml.MarkedYAMLError) -> str:
    """PyYAML's context and problem as one phrase (``while scanning ... (line 2), found ...``)."""
    parts = []
    if exc.context:
        same = exc.context_mark is None or (
            exc.problem_mark and exc.problem_mark.line == exc.context_mark.line
        )
        parts.append(exc.context if same else f"{exc.context} (line {exc.context_mark.line + 1})")
    if exc.problem:
        parts.append(exc.problem)
    return "invalid YAML: " + (", ".join(parts) or type(exc).__name__)


def _too_large(source: Path, size: int) -> ConfigError:
    return ConfigError(
        f"{source}: config file is too large: {size} bytes, the limit is {MAX_FILE_BYTES} bytes (1 MiB)"
    )


def _load_yaml(text: str, source: Path) -> tuple[Any, dict[str, int]]:
    """The data of YAML ``text`` and the line of each key path; one-line ConfigError otherwise."""
    size = len(text) if len(text) > MAX_FILE_BYTES else len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_FILE_BYTES:
        raise _too_large(source, size)
    loader: _BoundedLoader | None = None
    try:
        loader = _BoundedLoader(text, fast=_FAST_EVENTS)
        return loader.load(), loader.lines
    except _Refused as exc:
        where = f"{source}:{exc.line}" if exc.line else str(source)
        raise ConfigError(_message(where, exc.path, exc.problem)) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{source}:{mark.line + 1}" if mark else str(source)
        raise ConfigError(_message(where, None, _yaml_problem(exc))) from None
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow, by position
        line = text.count("\n", 0, exc.position) + 1
        raise ConfigError(
            _message(f"{source}:{line}", None, f"invalid YAML: {str(exc).splitlines()[0]}")
        ) from None
    except Exception as exc:  # nothing known gets here; never a traceback for a config file
        raise ConfigError(
            _message(str(source), None, f"cannot load YAML ({type(exc).__name__}: {exc})")
        ) from None
    finally:
        if loader is not None:
            loader.dispose()


def _interpolate(
    value: Any, path: str, source: Path, lines: Mapping[str, int], memo: dict[int, Any] | None = None
) -> Any:
    """Replace ``${VAR}`` / ``${VAR:-default}`` in every string; a missing VAR is an error.

    A container reached twice (through an alias) is interpolated once and stays shared.
    """
    memo = {} if memo is None else memo
    if isinstance(value, dict | list):
        done = memo.get(id(value))
        if done is None:
            if isinstance(value, dict):
                done = {k: _interpolate(v, f"{path}.{k}", source, lines, memo) for k, v in value.items()}
            else:
                done = [_interpolate(v, f"{path}[{i}]", source, lines, memo) for i, v in enumerate(value)]
            memo[id(value)] = done
        return done
    if not isinstance(value, str) or "${" not in value:
        return value

    def replace(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        if name in os.environ:
            return os.environ[name]
        if default is not None:
            return default
        name = _tidy(name, 40)
        raise _error(
            source,
            lines,
            path,
            f"environment variable ${{{name}}} is not set (set it, or write ${{{name}:-default}})",
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
        return f"missing required key {shorten(leaf.args[0], 40)}"
    if isinstance(leaf, AttributeError) and "items" in str(leaf):
        return "expected a mapping of keys"
    return str(leaf) or type(leaf).__name__


def _fields_at(path: str) -> list[str]:
    cls: Any = EmpathyConfig
    for part in _dotted(path).split(".") if _dotted(path) else []:
        fields = attrs.fields_dict(cls) if attrs.has(cls) else {}
        field_type: Any = fields[part].type if part in fields else None
        if field_type is None or not attrs.has(field_type):
            return []
        cls = field_type
    return [f for f in attrs.fields_dict(cls) if f not in _FILE_KEYS] if attrs.has(cls) else []


def _first_extra(leaf: ForbiddenExtraKeysError, path: str, lines: Mapping[str, int]) -> str:
    """The unknown key written first in the file."""
    return min(leaf.extra_fields, key=lambda k: (lines.get(f"{path}.{k}", math.inf), str(k)))


def _explain(exc: BaseException, source: Path, lines: Mapping[str, int]) -> ConfigError:
    path, leaf = _first_error(exc)
    if isinstance(leaf, ForbiddenExtraKeysError):
        key = _first_extra(leaf, path, lines)
        hint = difflib.get_close_matches(key, _fields_at(path), n=1) if len(key) < 100 else []
        return _unknown_key(source, lines, f"{path}.{key}", hint)
    return _error(source, lines, path, _describe(leaf))


# -- loading ---------------------------------------------------------------------------


def _is_file(path: Path, given: str) -> bool:
    """Whether ``path`` is a file; an unreadable directory or an absurd name is a ConfigError."""
    try:
        return path.is_file()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot access the config file ({given}): {exc.strerror or exc}") from None


def find_config(explicit: str | os.PathLike[str] | None = None) -> Path | None:
    """The config file to use, by search order; ``None`` when there is none.

    A file given with ``--config`` or ``$EMPATHY_CONFIG`` must exist (:class:`ConfigError`).
    """
    if explicit:
        path = Path(explicit)
        if not _is_file(path, "given with --config"):
            raise ConfigError(f"{path}: config file not found (given with --config)")
        return path
    env = os.environ.get("EMPATHY_CONFIG")
    if env:
        path = Path(env)
        if not _is_file(path, "given by EMPATHY_CONFIG"):
            raise ConfigError(f"{path}: config file not found (given by EMPATHY_CONFIG)")
        return path
    try:
        candidates = [Path.cwd() / CONFIG_FILENAME]
    except OSError:  # the working directory was removed
        candidates = []
    candidates.append(user_config_path())
    for candidate in candidates:
        if _is_file(candidate, "found by the search"):
            return candidate
    return None


def parse_config(text: str, source: Path) -> EmpathyConfig:
    """Validate YAML ``text`` (from ``source``) into an :class:`EmpathyConfig`.

    Returns the configuration or raises :class:`ConfigError` with one line
    ``FILE:LINE: key.path: what is wrong``; never another exception, whatever ``text`` is.
    """
    data, lines = _load_yaml(text, source)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{source}:1: the top level must be a mapping of keys, not {_type_name(data)}")
    bad = [k for k in data if k in _FILE_KEYS]
    if bad:
        raise _unknown_key(source, lines, "$." + bad[0], [])
    data = _interpolate(data, "$", source, lines)
    if isinstance(data.get("api_key"), str):
        add_secret(data["api_key"])  # before any message could quote it from another field
    token = _checking.set(True)
    try:
        config = _converter.structure(data, EmpathyConfig)
    except Exception as exc:
        raise _explain(exc, source, lines) from None
    finally:
        _checking.reset(token)
    config.source = source
    config.lines = lines
    _check_prices(config, source, lines)
    return _apply_env(config)


def _check_prices(config: EmpathyConfig, source: Path, lines: Mapping[str, int]) -> None:
    """Price overrides are finite and in range; every tier's model has a price (never $0)."""
    check = _within(0, 10_000, ("USD per million tokens", "USD per million tokens"))
    token = _checking.set(True)
    try:
        for model, price in config.pricing.items():
            for field in attrs.fields(type(price)):
                try:
                    check(price, field, getattr(price, field.name))
                except ValueError as exc:
                    raise _error(source, lines, f"$.pricing.{model}.{field.name}", exc.args[0]) from None
    finally:
        _checking.reset(token)
    table = config.price_table()
    for tier in ModelTier:
        model = config.model_for(tier)
        try:
            table.price_for(model)
        except PricingError:
            raise _error(
                source,
                lines,
                f"$.tier_defaults.{tier.value}",
                f"no price for model {shorten(model, 40)}; "
                "add it under 'pricing:' (input and output USD per million tokens)",
            ) from None


def _apply_env(config: EmpathyConfig) -> EmpathyConfig:
    """Environment variables of the seeds win over the file; the resolved key becomes a secret."""
    if os.environ.get("ANTHROPIC_API_KEY") and not config.api_key:
        config.api_key = os.environ["ANTHROPIC_API_KEY"]
    add_secret(config.api_key)
    level = os.environ.get("EMPATHY_LOG_LEVEL")
    if level:
        problem = _log_level(level.strip().upper())
        if problem is not None:
            raise ConfigError(f"environment variable EMPATHY_LOG_LEVEL: {_tidy(problem, 160)}")
        config.log_level = level.strip().upper()
    if os.environ.get("EMPATHY_REDIS_URL"):
        config.redis.url = os.environ["EMPATHY_REDIS_URL"]
    return config


def read_config_text(source: Path) -> str:
    """The text of config file ``source``: at most :data:`MAX_FILE_BYTES` of UTF-8 (a BOM is
    dropped); :class:`ConfigError` when it is larger, unreadable or not UTF-8."""
    try:
        with source.open("rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
            if len(raw) > MAX_FILE_BYTES:
                raise _too_large(source, max(os.fstat(handle.fileno()).st_size, len(raw)))
    except OSError as exc:
        raise ConfigError(f"{source}: cannot read config file: {exc.strerror or exc}") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise ConfigError(
            f"{source}:{line}: not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start})"
        ) from None


def load_config(path: str | os.PathLike[str] | None = None) -> EmpathyConfig:
    """Find, read and validate the configuration; defaults when there is no file.

    The one way a configuration is loaded: every problem is a one-line :class:`ConfigError`.
    """
    source = find_config(path)
    if source is None:
        return _apply_env(EmpathyConfig())
    return parse_config(read_config_text(source), source)


def structure_settings(cls: type, data: Any, key_path: str, config: EmpathyConfig) -> Any:
    """Validate one plugin's ``plugins.settings.<name>`` mapping into ``cls``."""
    source = config.source or Path(CONFIG_FILENAME)
    try:
        return _converter.structure(data or {}, cls)
    except Exception as exc:
        path, leaf = _first_error(exc, key_path)
        if isinstance(leaf, ForbiddenExtraKeysError):
            key = _first_extra(leaf, path, config.lines)
            names = [f.name for f in attrs.fields(cls)] if path == key_path else []
            hint = difflib.get_close_matches(key, names, n=1) if len(key) < 100 else []
            raise _unknown_key(source, config.lines, f"{path}.{key}", hint) from None
        raise _error(source, config.lines, path, _describe(leaf)) from None


def redacted(data: Any) -> Any:
    """A copy of plain data with every secret-looking key's value replaced by ``***``."""
    if isinstance(data, dict):
        return {
            k: (REDACTED if v and isinstance(k, str) and SECRET_NAME.search(k) else redacted(v))
            for k, v in data.items()
        }
    if isinstance(data, list | tuple):
        return [redacted(v) for v in data]
    return data


def config_as_dict(config: EmpathyConfig, *, redact: bool = True) -> dict[str, Any]:
    """The configuration as plain data; unless ``redact=False``, with the values of
    secret-named keys and every secret value (wherever it was placed) replaced by ``***``."""
    data = _unstructure(config)
    return redact_data(redacted(data)) if redact else data
