"""Connect to PostgreSQL, pick the schema from the URL, and migrate one component.

URL: ``postgresql://user:password@host:port/dbname?schema=empathy`` (any libpq
parameter may follow; ``schema`` is ours and defaults to ``empathy``). Each store is a
*component* with a row in ``<schema>.empathy_schema`` and a list of forward migrations,
applied under an advisory lock so concurrent openers do the work once. A schema holding
tables but no ``empathy_schema`` table is foreign: we refuse it and never write to it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from empathy_core import StorageError, redact_url
from empathy_sql import schema as sql

DEFAULT_SCHEMA = "empathy"
CONNECT_TIMEOUT_S = 5
_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}\Z")

POSTGRES = sql.Dialect(
    param="%s",
    named="%({})s",
    integer="BIGINT",
    flag="SMALLINT",
    real="DOUBLE PRECISION",
    row_id="BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY",
    as_int="({})::int",
    qualify_upsert=True,
)
"""PostgreSQL's spelling of the shared schema (:mod:`empathy_sql.schema`). Migrations
run with the store's schema as ``search_path`` (functions should say
``SET search_path FROM CURRENT``)."""


def split_url(url: str) -> tuple[str, str]:
    """``(conninfo URL without our parameters, schema name)``; validates the schema name."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    schema = next((v for k, v in query if k == "schema"), DEFAULT_SCHEMA)
    if not _IDENTIFIER.match(schema):
        raise StorageError(
            f"store {redact_url(url)}: invalid schema name {schema!r} "
            "(lowercase letters, digits and '_', starting with a letter or '_')"
        )
    rest = urlencode([(k, v) for k, v in query if k != "schema"])
    return urlunsplit((parts.scheme, parts.netloc, parts.path, rest, parts.fragment)), schema


def connect(url: str, component: str, migrations: Sequence[sql.Migration]) -> tuple[Any, str]:
    """Open a connection on ``url``, refuse a foreign schema, migrate ``component``.

    Returns ``(connection, schema)``; the connection's ``search_path`` is the schema.
    Raises :class:`StorageError` naming the URL (password redacted) when the server is
    unreachable, the credentials are wrong, or the schema is foreign or newer.
    """
    import psycopg

    conninfo, schema = split_url(url)
    shown = redact_url(url)
    try:
        conn = psycopg.connect(conninfo, connect_timeout=CONNECT_TIMEOUT_S, autocommit=True)
    except psycopg.Error as exc:
        reason = " ".join(str(exc).split()) or type(exc).__name__
        raise StorageError(f"cannot connect to telemetry store {shown}: {reason}") from None
    try:
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"empathy:{schema}",))
            _refuse_foreign(conn, shown, schema)
            conn.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
            conn.execute(f"SET search_path TO {schema}")
            _migrate(conn, shown, component, migrations)
    except psycopg.Error as exc:
        conn.close()
        raise StorageError(f"telemetry store {shown}: {' '.join(str(exc).split())}") from None
    except BaseException:
        conn.close()
        raise
    return conn, schema


def _refuse_foreign(conn: Any, shown: str, schema: str) -> None:
    rows = conn.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = %s", (schema,)
    ).fetchall()
    tables = {name for (name,) in rows}
    if tables and sql.SCHEMA_TABLE not in tables:
        names = ", ".join(sorted(tables)[:5])
        raise StorageError(
            f"store {shown}: schema {schema!r} belongs to another application (tables: {names}) "
            f"and has no {sql.SCHEMA_TABLE} table; refusing to use it (pick another ?schema=)"
        )


def _migrate(conn: Any, shown: str, component: str, migrations: Sequence[sql.Migration]) -> None:
    current = sql.current_version(POSTGRES, conn, component)
    refusal = sql.newer_schema(shown, component, current, len(migrations))
    if refusal:
        raise StorageError(refusal)
    sql.upgrade(POSTGRES, conn, component, migrations, current)
