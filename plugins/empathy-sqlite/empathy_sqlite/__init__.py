"""SQLite storage backends for Empathy (``sqlite:///path``): WAL mode, versioned schema.

One module per role: :mod:`empathy_sqlite.telemetry_store` for usage records;
:mod:`empathy_sqlite.database` opens files safely and migrates schemas for all of them.
"""

__version__ = "0.1.0"
