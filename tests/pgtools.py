"""The PostgreSQL server the tests use (127.0.0.1:5432, trust auth, database ``test``).

Tests that need it take a fresh schema per test and skip, with the reason, where the server is
unreachable (SPEC: "on a machine without it they skip with a clear reason").
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import pytest

PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/test"


def _problem() -> str | None:
    try:
        with psycopg.connect(PG_ADMIN_URL, connect_timeout=2):
            return None
    except psycopg.Error as exc:
        return str(exc).strip().splitlines()[0]


PG_PROBLEM = _problem()
SKIP_REASON = f"PostgreSQL at {PG_ADMIN_URL} is unreachable: {PG_PROBLEM}"
needs_postgres = pytest.mark.skipif(PG_PROBLEM is not None, reason=SKIP_REASON)


@contextmanager
def fresh_schema_url(prefix: str = "t") -> Iterator[str]:
    """A state URL on a new schema, dropped afterwards; skips the test without a server."""
    if PG_PROBLEM is not None:
        pytest.skip(SKIP_REASON)
    schema = f"{prefix}_{uuid.uuid4().hex}"
    try:
        yield f"{PG_ADMIN_URL}?schema={schema}"
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
