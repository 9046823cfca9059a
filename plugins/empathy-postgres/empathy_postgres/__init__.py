"""PostgreSQL storage backends for Empathy (``postgresql://``), through psycopg 3.

:mod:`empathy_postgres.database` connects and migrates; one module per role follows it
(:mod:`empathy_postgres.telemetry_store` for usage records).
"""

__version__ = "0.1.0"
