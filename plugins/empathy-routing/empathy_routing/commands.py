"""``empathy routing stats|check|models`` and ``empathy feedback record|stats``.

Every command works on the runtime it receives (:func:`~empathy_core.pass_empathy`): the
configured telemetry store and the routing store. Bad input (a malformed name, a score
outside 0..1, an unknown tier, metadata that is not a JSON object, ``check`` without a
workflow or ``--all``) is one ``Error:`` line and exit code 2.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import click

from empathy_core import (
    EmpathyError,
    FiniteFloat,
    ModelTier,
    check_name,
    input_errors,
    pass_empathy,
    shorten,
    to_dict,
)

if TYPE_CHECKING:
    from empathy_core import Empathy

DAYS = FiniteFloat(0, 36500, "days", min_open=True)
QUALITY = FiniteFloat(0, 1, "(a quality score from 0.0 to 1.0)")
TIERS = ", ".join(t.value for t in ModelTier)


def _tier(ctx: click.Context, param: click.Parameter, value: str | None) -> ModelTier | None:
    if value is None:
        return None
    try:
        return ModelTier.parse(value)
    except ValueError:
        raise EmpathyError(
            f"--tier: unknown tier {shorten(value)} (expected one of: {TIERS})", exit_code=2
        ) from None


def _echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, default=str))


def check_strategy(empathy: Empathy) -> None:
    """``adaptive_routing.strategy`` names an installed strategy, else exit 2 naming it."""
    import difflib

    name = empathy.config.adaptive_routing.strategy
    installed = sorted(str(k) for k in empathy.strategies())
    if name not in installed:
        hint = difflib.get_close_matches(name, installed, n=1)
        more = f"; did you mean {hint[0]!r}?" if hint else f" (installed: {', '.join(installed) or 'none'})"
        raise EmpathyError(f"adaptive_routing.strategy: unknown router strategy {name!r}{more}", exit_code=2)


def _router(empathy: Empathy) -> Any:
    from empathy_core import UsageTracker
    from empathy_routing.router import AdaptiveModelRouter

    check_strategy(empathy)
    return AdaptiveModelRouter(UsageTracker(empathy))


# -- routing -----------------------------------------------------------------------------


@click.group("routing")
def routing() -> None:
    """Model routing: statistics, tier recommendations, models and prices."""


@routing.command("stats")
@click.argument("workflow")
@click.option("--stage", help="Only this stage.")
@click.option("--days", type=DAYS, default=7.0, show_default=True, help="Days of telemetry to look at.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@pass_empathy
@input_errors
def routing_stats(empathy: Empathy, workflow: str, stage: str | None, days: float, as_json: bool) -> None:
    """Calls, cost and success per model of WORKFLOW."""
    stats = _router(empathy).get_routing_stats(workflow, days=days, stage=stage)
    if as_json:
        _echo_json(stats)
        return
    from empathy_routing.render import console, stats_table

    console().print(stats_table(stats))


@routing.command("check")
@click.argument("workflow", required=False)
@click.option("--stage", help="Only this stage.")
@click.option("--all", "check_all", is_flag=True, help="Every workflow and stage with routing history.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@pass_empathy
@input_errors
def routing_check(
    empathy: Empathy, workflow: str | None, stage: str | None, check_all: bool, as_json: bool
) -> None:
    """Tier upgrade and downgrade recommendations for WORKFLOW's stages (or --all)."""
    if check_all == (workflow is not None):
        raise EmpathyError("give a WORKFLOW or --all (not both)", exit_code=2)
    if workflow is not None:
        check_name(workflow, "WORKFLOW")
    if stage is not None:
        check_name(stage, "--stage")
    router = _router(empathy)
    pairs = router.store.stages(workflow)
    if workflow is not None:
        entry = empathy.workflows().get(workflow)
        known = {s for _, s in pairs} | set(entry.cls.stage_names() if entry is not None else ())
        pairs = [(workflow, s) for s in sorted(known)]
    if stage is not None:
        pairs = [(w, s) for w, s in pairs if s == stage] or [(workflow or "", stage)]
    rows = []
    for wf, st in pairs:
        run = router.trailing_run(wf, st)
        up, up_why = router.recommend_tier_upgrade(wf, st, run=run)
        down, down_why = router.recommend_tier_downgrade(wf, st, run=run)
        action = "upgrade" if up else "downgrade" if down else "keep"
        tier = run.tier.value if run.tier else router.static_tier(wf, st).value
        rows.append(
            {
                "workflow": wf,
                "stage": st,
                "tier": tier,
                "recent_calls": len(run.calls),
                "action": action,
                "reason": up_why if up or not down else down_why,
            }
        )
    if as_json:
        _echo_json(rows)
        return
    from empathy_routing.render import check_table, console

    console().print(check_table(rows))


@routing.command("models")
@click.option("--provider", help="Only this provider's models (observed in telemetry).")
@click.option("--days", type=DAYS, default=30.0, show_default=True, help="Days of telemetry to look at.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@pass_empathy
@input_errors
def routing_models(empathy: Empathy, provider: str | None, days: float, as_json: bool) -> None:
    """Models: prices, tiers, observed latency and success."""
    from empathy_routing.models import model_rows

    if provider is not None:
        check_name(provider, "--provider")
    rows = model_rows(empathy, provider=provider, days=days)
    if as_json:
        _echo_json(rows)
        return
    from empathy_routing.render import console, models_table

    console().print(models_table(rows))


# -- feedback ----------------------------------------------------------------------------


@click.group("feedback")
def feedback() -> None:
    """Quality feedback on stage outputs, which the adaptive strategy routes by."""


@feedback.command("record")
@click.argument("workflow")
@click.argument("stage")
@click.option("--tier", required=True, callback=_tier, help=f"Tier the stage ran on ({TIERS}).")
@click.option("--quality", type=QUALITY, required=True, help="Quality score, 0.0 (bad) to 1.0 (excellent).")
@click.option("--metadata", default=None, help="A JSON object stored with the score.")
@pass_empathy
@input_errors
def feedback_record(
    empathy: Empathy, workflow: str, stage: str, tier: ModelTier, quality: float, metadata: str | None
) -> None:
    """Record one quality score of WORKFLOW's STAGE."""
    from empathy_routing.feedback import FeedbackLoop

    data: Any = {}
    if metadata is not None:
        try:
            data = json.loads(metadata)
        except json.JSONDecodeError as exc:
            raise ValueError(f"--metadata: not JSON ({exc.msg}): {shorten(metadata)}") from None
        if not isinstance(data, dict):
            raise ValueError(f"--metadata: expected a JSON object, got {shorten(metadata)}")
    FeedbackLoop(empathy).record_feedback(workflow, stage, tier, quality, data)
    click.echo(f"Recorded quality {quality:.2f} for {workflow}/{stage} on {tier.value}.")


@feedback.command("stats")
@click.argument("workflow")
@click.argument("stage")
@click.option("--tier", callback=_tier, help=f"Only this tier ({TIERS}); default: every tier.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@pass_empathy
@input_errors
def feedback_stats(
    empathy: Empathy, workflow: str, stage: str, tier: ModelTier | None, as_json: bool
) -> None:
    """Quality statistics and the tier recommendation of WORKFLOW's STAGE."""
    from empathy_routing.feedback import FeedbackLoop

    check_name(workflow, "WORKFLOW")
    check_name(stage, "STAGE")
    loop = FeedbackLoop(empathy)
    rows = []
    for level in [tier] if tier is not None else list(ModelTier):
        stats = loop.get_quality_stats(workflow, stage, level)
        if stats.sample_count or tier is not None:
            advice = loop.recommend_tier(workflow, stage, level)
            rows.append({**to_dict(stats), "recommendation": to_dict(advice)})
    if as_json:
        _echo_json(rows)
        return
    from empathy_routing.render import console, feedback_table

    console().print(feedback_table(workflow, stage, rows))
