"""PostgreSQL store errors that need no server: bad URLs and unreachable hosts."""

from __future__ import annotations

import pytest

from empathy_core import StorageError

pytest.importorskip("psycopg", reason="psycopg is not installed")


def test_unreachable_server_is_one_error_with_the_password_redacted() -> None:
    from empathy_postgres.telemetry_store import PostgresTelemetryStore

    with pytest.raises(StorageError) as err:
        PostgresTelemetryStore("postgresql://alice:s3cret@127.0.0.1:1/test")
    message = str(err.value)
    assert message.startswith("cannot connect to telemetry store postgresql://alice:***@127.0.0.1:1/test")
    assert "s3cret" not in message


def test_invalid_schema_name_is_refused() -> None:
    from empathy_postgres.telemetry_store import PostgresTelemetryStore

    with pytest.raises(StorageError, match="invalid schema name"):
        PostgresTelemetryStore("postgresql://postgres@127.0.0.1:1/test?schema=x;DROP")
