"""Anthropic-shaped errors of the fake server: status code, error type, message."""

from __future__ import annotations

from typing import Any

ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    529: "overloaded_error",
}
DEFAULT_MESSAGES = {
    401: "invalid x-api-key",
    429: "Number of requests has exceeded your rate limit",
    500: "Internal server error",
    529: "Overloaded",
}


class FakeAPIError(Exception):
    """An error the fake server answers with; ``status`` picks the Anthropic error type.

    ``headers`` are added to the response (``retry-after`` on scripted faults).
    """

    def __init__(
        self, status: int, message: str | None = None, *, headers: dict[str, str] | None = None
    ) -> None:
        self.status = status
        self.headers = dict(headers or {})
        self.error_type = ERROR_TYPES.get(status, "api_error")
        self.message = message or DEFAULT_MESSAGES.get(status, self.error_type)
        super().__init__(f"{status} {self.error_type}: {self.message}")

    def body(self, request_id: str | None = None) -> dict[str, Any]:
        """The JSON error body: ``{"type": "error", "error": {...}, "request_id": ...}``."""
        return {
            "type": "error",
            "error": {"type": self.error_type, "message": self.message},
            "request_id": request_id,
        }
