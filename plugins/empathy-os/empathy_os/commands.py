"""``empathy os interact|trust|state`` and ``empathy patterns list|show|contribute|validate|delete``.

The CLI keeps each user's collaboration state in ``<cache dir>/empathy-os/<user>.json``
(through ``save_state``/``load_state``, so the file format is the one users save), so
trust carries from one command to the next. Patterns go to the shared library named by
``plugins.settings.empathy-os.library``. Bad input (a malformed user id, JSON context,
level, tier) is one ``Error:`` line with exit code 2; a denied action exits 1.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from empathy_core import (
    LEVEL_NAMES,
    BoundedInt,
    EmpathyError,
    FiniteFloat,
    cache_dir,
    input_errors,
    pass_empathy,
    to_dict,
)

if TYPE_CHECKING:
    from empathy_core import Empathy
    from empathy_os.empathy import EmpathyOS
    from empathy_os.library import Pattern, PatternLibrary

LEVEL = BoundedInt(1, 5, "level")
FRACTION = FiniteFloat(0, 1, "")
TIERS = click.Choice(["observer", "contributor", "validator", "steward"], case_sensitive=False)


def echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, default=str))


def parse_context(text: str | None) -> dict[str, Any]:
    if not text:
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"--context: not JSON ({exc.msg} at column {exc.colno})") from None
    if not isinstance(value, dict):
        raise ValueError(f"--context: must be a JSON object, got {type(value).__name__}")
    return value


def state_path(user_id: str) -> Path:
    """Where the CLI keeps ``user_id``'s state (the id is checked before it becomes a name)."""
    from empathy_os.state import check_user_id

    return cache_dir() / "empathy-os" / f"{check_user_id(user_id, '--user')}.json"


def open_os(empathy: Empathy, user_id: str, target_level: int = 3, tier: str = "contributor") -> EmpathyOS:
    """The user's EmpathyOS with the CLI's saved state (if any) and the shared library."""
    from empathy_os.empathy import EmpathyOS
    from empathy_os.library import PatternLibrary

    state_path(user_id)  # validates --user first
    library = PatternLibrary(_library_name(empathy), empathy=empathy)
    os = EmpathyOS(user_id, target_level, shared_library=library, access_tier=tier, empathy=empathy)
    if state_path(user_id).exists():
        os.load_state(user_id, state_path(user_id))
    return os


def _library_name(empathy: Empathy) -> str:
    from empathy_os.settings import EmpathyOSSettings

    name: str = empathy.settings(EmpathyOSSettings).library
    return name


def library(empathy: Empathy, tier: str, agent: str) -> PatternLibrary:
    from empathy_os.library import PatternLibrary

    return PatternLibrary(_library_name(empathy), empathy=empathy, access_tier=tier, agent_id=agent)


_user = click.option("--user", "user_id", required=True, help="User id (letters, digits, _ . -; up to 64).")
_json = click.option("--json", "as_json", is_flag=True, help="Print JSON.")
_tier = click.option(
    "--tier", type=TIERS, default="contributor", show_default=True, help="Access tier in the shared library."
)
_agent = click.option("--agent", default="cli", show_default=True, help="Agent id recorded with the change.")


# -- empathy os --------------------------------------------------------------------------


@click.group("os")
def os_group() -> None:
    """EmpathyOS: interactions at the level trust has earned, trust and state files."""


@os_group.command("interact")
@_user
@click.argument("text")
@click.option("--level", type=LEVEL, help="Answer at this level whatever the trust (as level_N_* do).")
@click.option("--target", type=LEVEL, default=3, show_default=True, help="Highest level trust may reach.")
@click.option("--context", "context_json", help="Context as a JSON object.")
@_tier
@_json
@pass_empathy
@input_errors
def os_interact(
    empathy: Empathy,
    user_id: str,
    text: str,
    level: int | None,
    target: int,
    context_json: str | None,
    tier: str,
    as_json: bool,
) -> None:
    """Answer TEXT for --user at the level their trust has earned (or --level)."""
    context = parse_context(context_json)
    os = open_os(empathy, user_id, target, tier)
    response = os.run_level(level or os.get_current_level(), text, context)
    os.save_state(user_id, state_path(user_id))
    if as_json:
        echo_json({**to_dict(response), "trust": os.get_trust_level()})
        return
    click.echo(response.response)
    click.echo(
        f"\n[level {response.level} {LEVEL_NAMES[response.level]}, handler {response.handler}, "
        f"confidence {response.confidence:.0%}, trust {os.get_trust_level():.0%}]"
    )
    for title, items in (
        ("Questions", response.questions),
        ("Suggestions", response.suggestions),
        ("Predictions", response.predictions),
        ("Workflow changes", response.metadata.get("workflow_changes", [])),
    ):
        if items:
            click.echo(f"{title}:")
            for item in items:
                click.echo(f"  - {item}")


@os_group.command("trust")
@_user
@click.option("--record", type=click.Choice(["success", "failure"]), help="Record how the last answer went.")
@click.option("--target", type=LEVEL, default=3, show_default=True, help="Highest level trust may reach.")
@_json
@pass_empathy
@input_errors
def os_trust(empathy: Empathy, user_id: str, record: str | None, target: int, as_json: bool) -> None:
    """Show --user's trust and level; --record success|failure first changes it."""
    os = open_os(empathy, user_id, target)
    if record is not None:
        os.record_success(record == "success")
        os.save_state(user_id, state_path(user_id))
    state, level = os.state, os.get_current_level()
    if as_json:
        echo_json(
            {
                "user_id": user_id,
                "trust": state.trust,
                "level": level,
                "level_name": LEVEL_NAMES[level],
                "successes": state.successes,
                "failures": state.failures,
                "interactions": len(state.interactions),
            }
        )
        return
    click.echo(
        f"{user_id}: trust {state.trust:.0%}, level {level} ({LEVEL_NAMES[level]}), "
        f"{state.successes} successes, {state.failures} failures, {len(state.interactions)} interactions"
    )


@os_group.group("state")
def os_state() -> None:
    """Save a user's collaboration state to a file, or load one."""


@os_state.command("save")
@_user
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@pass_empathy
@input_errors
def os_state_save(empathy: Empathy, user_id: str, file: Path) -> None:
    """Write --user's state to FILE (versioned JSON, atomically)."""
    os = open_os(empathy, user_id)
    click.echo(f"saved {user_id} (trust {os.get_trust_level():.0%}) to {os.save_state(user_id, file)}")


@os_state.command("load")
@_user
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@pass_empathy
@input_errors
def os_state_load(empathy: Empathy, user_id: str, file: Path) -> None:
    """Make FILE --user's state; a corrupt, foreign or newer file changes nothing."""
    os = open_os(empathy, user_id)
    os.load_state(user_id, file)
    os.save_state(user_id, state_path(user_id))
    click.echo(f"loaded {user_id} (trust {os.get_trust_level():.0%}) from {file}")


# -- empathy patterns --------------------------------------------------------------------


@click.group("patterns")
def patterns_group() -> None:
    """The shared pattern library: list, show, contribute, validate, delete."""


def _row(pattern: Pattern) -> str:
    mark = "validated" if pattern.validated else "unvalidated"
    content = pattern.content if len(pattern.content) <= 70 else pattern.content[:67] + "..."
    return f"{pattern.pattern_id}  {pattern.pattern_type}  {pattern.confidence:.2f}  {mark}  {content}"


@patterns_group.command("list")
@click.option("--type", "pattern_type", help="Only patterns of this type.")
@click.option("--query", help="Only patterns relevant to this text, most relevant first.")
@click.option("--min-confidence", type=FRACTION, default=0.0, show_default=True, help="With --query.")
@_json
@pass_empathy
@input_errors
def patterns_list(
    empathy: Empathy, pattern_type: str | None, query: str | None, min_confidence: float, as_json: bool
) -> None:
    """Patterns in the shared library."""
    shared = library(empathy, "observer", "cli")
    if query is None:
        found = shared.list_patterns(pattern_type)
    else:
        found = [
            p
            for p in shared.query_patterns(query, min_confidence, limit=100)
            if pattern_type in (None, p.pattern_type)
        ]
    if as_json:
        echo_json(to_dict(found))
        return
    if not found:
        click.echo(f"no patterns in library {shared.name!r}")
    for pattern in found:
        click.echo(_row(pattern))


@patterns_group.command("show")
@click.argument("pattern_id")
@_json
@pass_empathy
@input_errors
def patterns_show(empathy: Empathy, pattern_id: str, as_json: bool) -> None:
    """One pattern, every field."""
    pattern = library(empathy, "observer", "cli").require(pattern_id)
    if as_json:
        echo_json(to_dict(pattern))
        return
    for key, value in to_dict(pattern).items():
        click.echo(f"{key}: {json.dumps(value) if isinstance(value, dict) else value}")


@patterns_group.command("contribute")
@click.argument("content")
@click.option("--type", "pattern_type", default="general", show_default=True, help="Pattern type.")
@click.option("--context", "context_json", help="Where it applies, as a JSON object.")
@click.option("--confidence", type=FRACTION, default=0.5, show_default=True, help="0 to 1.")
@_tier
@_agent
@pass_empathy
@input_errors
def patterns_contribute(
    empathy: Empathy,
    content: str,
    pattern_type: str,
    context_json: str | None,
    confidence: float,
    tier: str,
    agent: str,
) -> None:
    """Add CONTENT to the shared library (contributor tier or higher); prints its id."""
    context = parse_context(context_json)
    pattern = library(empathy, tier, agent).contribute_pattern(content, pattern_type, context, confidence)
    click.echo(pattern.pattern_id)


@patterns_group.command("validate")
@click.argument("pattern_id")
@click.option("--confidence", type=FRACTION, help="A new confidence, 0 to 1.")
@_tier
@_agent
@pass_empathy
@input_errors
def patterns_validate(
    empathy: Empathy, pattern_id: str, confidence: float | None, tier: str, agent: str
) -> None:
    """Mark PATTERN_ID validated (validator tier or higher)."""
    pattern = library(empathy, tier, agent).validate_pattern(pattern_id, confidence)
    click.echo(f"validated {pattern.pattern_id} (confidence {pattern.confidence:.2f})")


@patterns_group.command("delete")
@click.argument("pattern_id")
@_tier
@_agent
@pass_empathy
@input_errors
def patterns_delete(empathy: Empathy, pattern_id: str, tier: str, agent: str) -> None:
    """Remove PATTERN_ID (steward tier)."""
    shared = library(empathy, tier, agent)
    shared.check("delete")
    if not shared.delete_pattern(pattern_id):
        raise EmpathyError(f"no pattern {pattern_id!r} in library {shared.name!r}", exit_code=2)
    click.echo(f"deleted {pattern_id}")
