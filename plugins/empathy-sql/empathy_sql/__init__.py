"""Shared by the SQL telemetry stores (``empathy-sqlite``, ``empathy-postgres``): the schema,
queries and migrations (:mod:`empathy_sql.schema`) and records as rows
(:mod:`empathy_sql.rows`). A library, not a plugin: it has no entry point.
"""

__version__ = "0.1.0"
