"""The SDK boundary: the API key, the ``AsyncAnthropic`` client, and SDK errors as ``ProviderError``.

The ``anthropic`` package is imported here, inside functions, on the first API call.
The key is passed to the SDK and nowhere else: never into messages, logs or reprs.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

from empathy_anthropic.retry import (
    RetryAdvice,
    parse_retry_after,
    should_retry_status,
    will_retry,
    with_advice,
)
from empathy_core import ProviderError

if TYPE_CHECKING:
    from empathy_anthropic.settings import AnthropicSettings

MISSING_KEY = (
    "ANTHROPIC_API_KEY is missing or invalid: set the ANTHROPIC_API_KEY environment variable "
    "or 'api_key' in empathy.config.yml"
)
T = TypeVar("T")


def resolve_api_key(config: Any) -> str | None:
    """``config.api_key``, else ``$ANTHROPIC_API_KEY``, else ``None``."""
    return getattr(config, "api_key", None) or os.environ.get("ANTHROPIC_API_KEY") or None


def require_api_key(config: Any) -> str:
    """The API key, or the one clear :class:`ProviderError` saying how to set it."""
    key = resolve_api_key(config)
    if key is None:
        raise ProviderError(MISSING_KEY, status=None)
    return key


async def _close_with_loop(client: Any) -> AsyncGenerator[None, None]:
    """Stays suspended until its event loop shuts down, then closes ``client`` on that loop.

    ``asyncio.run`` finalises pending async generators before closing the loop, so the
    client's connections are closed while their loop still runs.
    """
    try:
        yield
    finally:
        await client.close()


class ClientHolder:
    """One ``AsyncAnthropic`` per event loop (an HTTP pool cannot outlive its loop)."""

    def __init__(self, config: Any, settings: AnthropicSettings) -> None:
        self._config = config
        self._settings = settings
        self._client: Any = None
        self._single: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lifetime: AsyncGenerator[None, None] | None = None

    def __repr__(self) -> str:
        return f"ClientHolder(base_url={self.base_url()!r})"

    def base_url(self) -> str:
        """Where requests go: settings, else ``$ANTHROPIC_BASE_URL``, else Anthropic's API."""
        return self._settings.base_url or os.environ.get("ANTHROPIC_BASE_URL") or "https://api.anthropic.com"

    async def get(self, *, single_attempt: bool = False) -> Any:
        """The client for the running loop, created (and the SDK imported) on first use.

        Each attempt waits at most ``settings.timeout`` seconds for the server and
        ``settings.connect_timeout`` seconds to connect; the SDK retries ``max_retries``
        times, or never with ``single_attempt`` (the same client and connection pool,
        for the retry middleware: :mod:`empathy_anthropic.retry`).
        """
        loop = asyncio.get_running_loop()
        if self._client is None or self._loop is not loop:
            import anthropic

            client = anthropic.AsyncAnthropic(
                api_key=require_api_key(self._config),
                base_url=self.base_url(),
                max_retries=self._settings.max_retries,
                timeout=anthropic.Timeout(self._settings.timeout, connect=self._settings.connect_timeout),
            )
            lifetime = _close_with_loop(client)
            await lifetime.asend(None)
            self._client, self._loop, self._lifetime = client, loop, lifetime
            self._single = client.with_options(max_retries=0)
        return self._single if single_attempt else self._client

    async def call(
        self, action: str, send: Callable[[Any], Awaitable[T]], *, attempt: int | None = None
    ) -> T:
        """``await send(client)``; SDK errors become one :class:`ProviderError` naming ``action``.

        ``attempt`` (retries made before, from the retry middleware) sends one HTTP attempt
        without the SDK's retries; ``None`` lets the SDK retry. Cancellation is not caught.
        """
        client = await self.get(single_attempt=attempt is not None)
        try:
            return await send(client)
        except Exception as exc:
            error = self.error(exc, action, attempt=attempt)
            if error is None:
                raise
        raise error

    async def aclose(self) -> None:
        """Close the HTTP pool of the current client, if any."""
        lifetime, self._lifetime, self._client, self._loop = self._lifetime, None, None, None
        self._single = None
        if lifetime is not None:
            await lifetime.aclose()

    def error(self, exc: BaseException, action: str, *, attempt: int | None = None) -> ProviderError | None:
        """The :class:`ProviderError` for an SDK exception raised by ``action``; ``None`` if not SDK.

        401 says how to set the key; statuses name the error type, the API's message and
        the request id; timeouts and connection failures name the endpoint. ``attempt`` is
        ``None`` when the SDK made the retries, else the retries the retry middleware made
        before this attempt; a retryable failure says ``after N retries`` once they are used
        up, else ``attempt n of N, retrying``. The error carries its :class:`RetryAdvice`
        for the middleware.
        """
        import anthropic

        if isinstance(exc, anthropic.APIStatusError):
            headers = exc.response.headers
            advice = RetryAdvice(should_retry_status(exc.status_code, headers), parse_retry_after(headers))
        elif isinstance(exc, anthropic.APIConnectionError):  # timeouts included
            advice = RetryAdvice(True)
        elif isinstance(exc, anthropic.AnthropicError):
            advice = RetryAdvice(False)
        else:
            return None
        return with_advice(self._describe(exc, action, self._tried(advice, attempt)), advice)

    def _tried(self, advice: RetryAdvice, attempt: int | None) -> str:
        """What a message says about retries (nothing for a failure that is not retried)."""
        if not advice.retryable:
            return ""
        retries = self._settings.max_retries
        if attempt is not None and will_retry(advice, attempt, retries):
            return f", attempt {attempt + 1} of {retries + 1}, retrying"
        return f" after {retries if attempt is None else attempt} retries"

    def _describe(self, exc: BaseException, action: str, tried: str) -> ProviderError:
        import anthropic

        if isinstance(exc, anthropic.APIStatusError):
            status, request_id = exc.status_code, exc.request_id
            if status == 401:
                return ProviderError(
                    f"{MISSING_KEY} (Anthropic answered 401 authentication_error to {action}, "
                    f"request id {request_id})",
                    status=401,
                    request_id=request_id,
                )
            detail = f": {exc.api_message}" if exc.api_message else ""
            return ProviderError(
                f"Anthropic API error {status} {exc.type or 'error'} on {action}{tried}{detail} "
                f"(request id {request_id})",
                status=status,
                request_id=request_id,
            )
        if isinstance(exc, anthropic.APITimeoutError):
            return ProviderError(
                f"Anthropic API timed out on {action}{tried} "
                f"({self._settings.timeout:g} s per attempt, {self._settings.connect_timeout:g} s to "
                f"connect, {self.base_url()}; raise plugins.settings.empathy-anthropic.timeout for "
                f"long replies)"
            )
        if isinstance(exc, anthropic.APIConnectionError):
            return ProviderError(
                f"cannot reach the Anthropic API at {self.base_url()} on {action}{tried}: {exc.message}"
            )
        return ProviderError(f"Anthropic SDK error on {action}: {type(exc).__name__}: {exc}")
