"""What only the PostgreSQL store does: schema version, URL handling, forced unlock record."""

from __future__ import annotations

import os
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import psycopg
import pytest
from conftest import PG_ADMIN_URL, Backend, needs_postgres

from reconciler.errors import CorruptStateError, LockError, StateError
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


@needs_postgres
def test_first_runs_at_once_on_a_fresh_state_share_one_key(pg_url: str) -> None:
    """Four shards starting together on a fresh state: each opens it and asks for the
    fingerprint key; a plain INSERT made all but one fail on reconciler_meta_pkey (exit 5)."""
    barrier = threading.Barrier(4)

    def first_run() -> bytes:
        store = PostgresStore(pg_url)
        try:
            barrier.wait()
            return store.secret_key()
        finally:
            store.close()

    with ThreadPoolExecutor(4) as pool:
        keys = list(pool.map(lambda _: first_run(), range(4)))
    assert len(set(keys)) == 1 and len(keys[0]) == 32


@needs_postgres
def test_a_run_refused_before_the_holder_wrote_its_row_still_names_it(
    postgres_backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A holder takes the advisory lock, then writes its row; refused in between, the error
    named "another session". docs/state.md promises the holder."""
    holder = postgres_backend.open()
    late = holder._collect_dead  # the step between the advisory lock and the row

    def slow(execute: Any, scope: str) -> Any:
        time.sleep(0.5)
        return late(execute, scope)

    monkeypatch.setattr(holder, "_collect_dead", slow)
    taken = threading.Event()

    def hold() -> None:
        with holder.lock("*", operation="apply", timeout=0):
            taken.set()
            time.sleep(0.5)

    thread = threading.Thread(target=hold)
    thread.start()
    time.sleep(0.2)  # inside the window: the advisory lock is held, the row not written
    late_run = postgres_backend.open()
    with pytest.raises(LockError) as refused, late_run.lock("*", operation="plan", timeout=0):
        pass
    thread.join()
    assert taken.is_set()
    message = str(refused.value)
    assert "another session" not in message
    assert f"@{socket.gethostname()} pid {os.getpid()}, since " in message
    assert "operation apply" in message
