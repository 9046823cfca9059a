"""``plugins.settings.empathy-anthropic``: how the provider uses the SDK."""

from __future__ import annotations

import math
from typing import Any

import attrs

DEFAULT_TIMEOUT = 60.0
DEFAULT_CONNECT_TIMEOUT = 10.0
MAX_TIMEOUT = 3600.0
MAX_RETRIES = 10


def _seconds(limit: float) -> Any:
    """An attrs validator: a finite number of seconds, more than 0 and at most ``limit``."""

    def check(instance: Any, attribute: attrs.Attribute, value: Any) -> None:
        ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
        if not (ok and 0 < value <= limit):
            raise ValueError(
                f"must be a number of seconds, more than 0 and at most {limit:g}, got {value!r}", attribute
            )

    return check


@attrs.define
class AnthropicSettings:
    """Settings of the Anthropic provider (no secrets: the key comes from the config).

    :param max_retries: retries the SDK makes on 408/409/429/5xx, timeouts and connection
        errors (it honours ``retry-after``), 0-10; then one ``ProviderError``.
    :param timeout: seconds one HTTP attempt may wait for the server (reading the reply,
        sending the body, a pooled connection), 60 by default and at most 3600: a stalled
        API fails after about ``timeout x (max_retries + 1)`` seconds. Raise it for
        replies of several thousand tokens, which the API sends only when complete.
    :param connect_timeout: seconds to open a connection to the API, 10 by default.
    :param cache_ttl: prompt-cache TTL of the stable prefix, ``"5m"`` or ``"1h"``; a
        request asking for ``"1h"`` gets it either way.
    :param base_url: API endpoint; ``None`` means ``$ANTHROPIC_BASE_URL``, else Anthropic's.
    """

    max_retries: int = attrs.field(
        default=2, validator=[attrs.validators.ge(0), attrs.validators.le(MAX_RETRIES)]
    )
    timeout: float = attrs.field(default=DEFAULT_TIMEOUT, validator=_seconds(MAX_TIMEOUT))
    connect_timeout: float = attrs.field(default=DEFAULT_CONNECT_TIMEOUT, validator=_seconds(MAX_TIMEOUT))
    cache_ttl: str = attrs.field(default="5m", validator=attrs.validators.in_(("5m", "1h")))
    base_url: str | None = None
