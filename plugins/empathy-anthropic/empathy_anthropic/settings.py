"""``plugins.settings.empathy-anthropic``: how the provider uses the SDK."""

from __future__ import annotations

import attrs


@attrs.define
class AnthropicSettings:
    """Settings of the Anthropic provider (no secrets: the key comes from the config).

    :param max_retries: retries the SDK makes on 408/409/429/5xx and connection errors
        (it honours ``retry-after``); then one ``ProviderError``.
    :param timeout: seconds per HTTP request.
    :param cache_ttl: prompt-cache TTL of the stable prefix, ``"5m"`` or ``"1h"``; a
        request asking for ``"1h"`` gets it either way.
    :param base_url: API endpoint; ``None`` means ``$ANTHROPIC_BASE_URL``, else Anthropic's.
    """

    max_retries: int = attrs.field(default=2, validator=attrs.validators.ge(0))
    timeout: float = attrs.field(default=600.0, validator=attrs.validators.gt(0))
    cache_ttl: str = attrs.field(default="5m", validator=attrs.validators.in_(("5m", "1h")))
    base_url: str | None = None
