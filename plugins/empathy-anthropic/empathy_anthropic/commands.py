"""``empathy batch submit|status|results|wait|cancel``: Message Batches from the command line.

Every command receives the runtime (:func:`~empathy_core.pass_empathy`) and builds an
:class:`AnthropicBatchProvider` from its configuration and ``empathy-anthropic`` settings.
Usage records are collected from the provider and recorded through the runtime
(:meth:`~empathy_core.Empathy.record_usage`: the telemetry store, then every sink) only
by ``results`` and ``wait``, once per batch id and cache directory (see
:mod:`empathy_anthropic.batch_files`). API failures are
:class:`~empathy_core.ProviderError` (exit 1), bad input :class:`BatchInputError`
(exit 2): one line, no traceback. A batch id is matched whole before any request, and
``wait``'s ``--poll-interval`` (0-3600 s, polls at least 1 s apart) and ``--timeout``
(0-604800 s) are finite numbers: anything else is a usage error (exit 2).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any, TypeVar

import click

from empathy_anthropic import batch_files
from empathy_anthropic.batch import MIN_POLL_INTERVAL, AnthropicBatchProvider, BatchResult, BatchStatus
from empathy_anthropic.batch import check_batch_id as check_id
from empathy_anthropic.batch_files import (
    TIERS,
    BatchInputError,
    claim_recording,
    load_requests,
    result_rows,
    write_json_atomically,
)
from empathy_anthropic.settings import AnthropicSettings
from empathy_core import FiniteFloat, ProviderError, UsageRecord, pass_empathy

if TYPE_CHECKING:
    from empathy_core import Empathy

T = TypeVar("T")
COUNTS = ("processing", "succeeded", "errored", "canceled", "expired")
MAX_POLL_INTERVAL = 3600.0
MAX_WAIT = 7 * 86_400.0


def check_batch_id(batch_id: str) -> str:
    """``batch_id`` matched whole (a trailing newline is refused), else exit 2; nothing is sent."""
    try:
        check_id(batch_id)
    except ProviderError as exc:
        raise BatchInputError(exc.message) from None
    return batch_files.check_batch_id(batch_id)


def _run(
    empathy: Empathy, batch_id: str | None, work: Callable[[AnthropicBatchProvider], Coroutine[Any, Any, T]]
) -> tuple[T, list[UsageRecord]]:
    """``work(provider)`` on a fresh event loop -> (its value, the usage records it produced).

    A 404 on ``batch_id`` becomes a message saying the batch is unknown.
    """
    records: list[UsageRecord] = []
    provider = AnthropicBatchProvider(
        empathy.config, empathy.settings(AnthropicSettings), empathy=empathy, record_usage=records.append
    )
    try:
        value = asyncio.run(work(provider))
    except ProviderError as exc:
        if batch_id is None or exc.status != 404:
            raise
        raise ProviderError(
            f"unknown message batch {batch_id} (for this API key): {exc}",
            status=404,
            request_id=exc.request_id,
        ) from None
    return value, records


def _status_dict(status: BatchStatus) -> dict[str, Any]:
    return {
        "batch_id": status.batch_id,
        "processing_status": status.processing_status,
        "request_counts": status.request_counts,
        "created_at": status.created_at.isoformat() if status.created_at else None,
        "ended_at": status.ended_at.isoformat() if status.ended_at else None,
    }


def _echo_status(status: BatchStatus, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(_status_dict(status), indent=2))
        return
    counts = " ".join(f"{k}={status.request_counts[k]}" for k in COUNTS)
    click.echo(f"{status.batch_id}: {status.processing_status} ({counts})")


def _save_results(
    empathy: Empathy, batch_id: str, output: str, results: list[BatchResult], records: list[UsageRecord]
) -> None:
    """Write ``output``, record the usage if no earlier fetch did, and print a summary."""
    write_json_atomically(output, result_rows(results))
    recorded = claim_recording(batch_id, len(records))
    if recorded:
        for record in records:
            empathy.record_usage(record)
        empathy.flush()  # stored before "usage recorded" is printed
    succeeded = sum(r.success for r in results)
    cost = sum(r.cost for r in results)
    note = "usage recorded" if recorded else "usage already recorded by an earlier fetch"
    click.echo(f"{batch_id}: {succeeded}/{len(results)} succeeded, ${cost:.6f}; wrote {output} ({note})")


async def _ended_results(provider: AnthropicBatchProvider, batch_id: str) -> list[BatchResult]:
    status = await provider.status(batch_id)
    if not status.ended:
        raise ProviderError(
            f"message batch {batch_id} has not ended ({status.processing_status}, "
            f"{status.request_counts['processing']} requests processing): "
            f"run 'empathy batch wait {batch_id} OUTPUT.json'"
        )
    return await provider.results(batch_id)


@click.group()
def batch() -> None:
    """Submit Message Batches (50 % price) and fetch their results."""


@batch.command("submit")
@click.argument("requests_file", metavar="REQUESTS.json", type=click.Path(dir_okay=False))
@click.option(
    "--tier",
    type=click.Choice(TIERS),
    default="capable",
    show_default=True,
    help="Tier of the requests that name none.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of the bare batch id.")
@pass_empathy
def submit(empathy: Empathy, requests_file: str, tier: str, as_json: bool) -> None:
    """Submit the requests of REQUESTS.json as one batch; prints the batch id.

    REQUESTS.json is a JSON list of {"custom_id", "prompt", "system"?, "tier"?, "max_tokens"?}.
    """
    requests = load_requests(requests_file, tier)
    batch_id, _ = _run(empathy, None, lambda provider: provider.submit(requests))
    click.echo(json.dumps({"batch_id": batch_id, "requests": len(requests)}) if as_json else batch_id)


@batch.command("status")
@click.argument("batch_id")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_empathy
def status(empathy: Empathy, batch_id: str, as_json: bool) -> None:
    """Processing status and request counts of a batch."""
    current, _ = _run(empathy, check_batch_id(batch_id), lambda provider: provider.status(batch_id))
    _echo_status(current, as_json)


@batch.command("results")
@click.argument("batch_id")
@click.argument("output", metavar="OUTPUT.json", type=click.Path(dir_okay=False))
@pass_empathy
def results(empathy: Empathy, batch_id: str, output: str) -> None:
    """Write the results of an ended batch to OUTPUT.json and record their usage once."""
    fetched, records = _run(
        empathy, check_batch_id(batch_id), lambda provider: _ended_results(provider, batch_id)
    )
    _save_results(empathy, batch_id, output, fetched, records)


@batch.command("wait")
@click.argument("batch_id")
@click.argument("output", metavar="OUTPUT.json", type=click.Path(dir_okay=False))
@click.option(
    "--poll-interval",
    type=FiniteFloat(0, MAX_POLL_INTERVAL, "seconds", min_open=True),
    default=None,
    help=f"Seconds between polls, at least {MIN_POLL_INTERVAL:g} in effect (default: batch.poll_interval).",
)
@click.option(
    "--timeout",
    type=FiniteFloat(0, MAX_WAIT, "seconds"),
    default=None,
    help="Seconds to wait, at most 604800 (default: batch.timeout); then exit 1, the batch keeps running.",
)
@pass_empathy
def wait(
    empathy: Empathy, batch_id: str, output: str, poll_interval: float | None, timeout: float | None
) -> None:
    """Poll until the batch ends, then write its results like 'results'."""

    async def work(provider: AnthropicBatchProvider) -> list[BatchResult]:
        await provider.wait(batch_id, poll_interval=poll_interval, timeout=timeout)
        return await provider.results(batch_id)

    fetched, records = _run(empathy, check_batch_id(batch_id), work)
    _save_results(empathy, batch_id, output, fetched, records)


@batch.command("cancel")
@click.argument("batch_id")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_empathy
def cancel(empathy: Empathy, batch_id: str, as_json: bool) -> None:
    """Cancel a batch: requests not yet processed end 'canceled'."""
    current, _ = _run(empathy, check_batch_id(batch_id), lambda provider: provider.cancel(batch_id))
    _echo_status(current, as_json)
