"""What only the PostgreSQL store does: schema version, URL handling, forced unlock record."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest
from conftest import PG_ADMIN_URL, Backend, needs_postgres

from reconciler.errors import CorruptStateError, StateError
from reconciler.state import open_store
from reconciler.state.postgres import PostgresStore
from reconciler.state.tables import SCHEMA_VERSION


@needs_postgres
def test_open_store_picks_postgres_and_hides_the_password(pg_url: str) -> None:
    with_password = pg_url.replace("postgres@", "postgres:s3cret-pw@")
    store = open_store(with_password, base_dir=Path("."))
    assert isinstance(store, PostgresStore)
    assert store.url == pg_url
    assert "s3cret" not in store.url
    store.close()


def test_an_unreachable_server_is_a_state_error_without_credentials() -> None:
    with pytest.raises(StateError) as caught:
        PostgresStore("postgresql://postgres:s3cret-pw@127.0.0.1:1/test", connect_timeout=1)
    message = str(caught.value)
    assert message.startswith("cannot connect to state postgresql://postgres@127.0.0.1:1/test: ")
    assert "s3cret" not in message


def test_an_invalid_schema_name_is_refused() -> None:
    with pytest.raises(StateError) as caught:
        PostgresStore(f"{PG_ADMIN_URL}?schema=a;drop")
    assert (
        str(caught.value) == f"invalid schema 'a;drop' in state URL {PG_ADMIN_URL}?schema=a%3Bdrop"
    )


@needs_postgres
def test_a_schema_from_a_newer_reconciler_is_refused(postgres_backend: Backend) -> None:
    postgres_backend.open().read()
    schema = postgres_backend.url.rsplit("schema=", 1)[1]
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(
            f"UPDATE \"{schema}\".reconciler_meta SET value = '99' WHERE key = 'schema_version'"
        )
    with pytest.raises(CorruptStateError) as caught:
        postgres_backend.open()
    assert str(caught.value) == (
        f"state {postgres_backend.url} has schema version 99, newer than this reconciler "
        f"understands ({SCHEMA_VERSION}); upgrade reconciler"
    )


@needs_postgres
def test_forced_unlock_ends_the_holders_session_and_records_it(postgres_backend: Backend) -> None:
    holder, other = postgres_backend.open(), postgres_backend.open()
    schema = postgres_backend.url.rsplit("schema=", 1)[1]
    with holder.lock("*", operation="apply", timeout=0) as held:
        other.unlock(held.id, force=True)
        with psycopg.connect(PG_ADMIN_URL) as conn:
            row = conn.execute(
                f'SELECT unlocked_by, unlocked_at IS NOT NULL FROM "{schema}".reconciler_locks '
                "WHERE id = %s",
                (held.id,),
            ).fetchone()
        assert row is not None
        assert row[0].startswith(f"{held.user}@{held.host} pid {held.pid}: terminated backend ")
        assert row[1] is True
        assert other.locks() == []


@needs_postgres
def test_a_version_2_schema_gets_its_mapping_fields_structured(postgres_backend: Backend) -> None:
    """Schema 3 on PostgreSQL: the same value migration as on SQLite, in the upgrade's
    transaction."""
    postgres_backend.open().read()
    schema = postgres_backend.url.rsplit("schema=", 1)[1]
    legacy = '{"entity": "E", "field.FIRSTNAME": "firstName (two-way)", "sync_priority": 0}'
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'SET search_path TO "{schema}"')
        conn.execute("UPDATE reconciler_meta SET value = '2' WHERE key = 'schema_version'")
        conn.execute(
            "INSERT INTO reconciler_objects VALUES "
            "('integration.emea.mapping.e', 'mapping', 'emea', '{}', %s, '{}', '', '')",
            (legacy,),
        )
    store = postgres_backend.open()
    assert store.read().objects["integration.emea.mapping.e"].applied == {
        "entity": "E",
        "field.FIRSTNAME": {"entity_fields": ["firstName"], "two_way_sync": True},
        "sync_priority": 0,
    }
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        version = conn.execute(
            f"SELECT value FROM \"{schema}\".reconciler_meta WHERE key = 'schema_version'"
        ).fetchall()
    assert version == [(str(SCHEMA_VERSION),)]
