"""What only the SQLite file store does: file modes, refusing bad files, heartbeat takeover."""

from __future__ import annotations

import json
import sqlite3
import stat
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import Backend

from reconciler.errors import CorruptStateError, StaleStateError
from reconciler.state import ObjectRecord, open_store
from reconciler.state.clock import utc_now
from reconciler.state.sqlite import _SCHEMA as V1_TABLES
from reconciler.state.sqlite import SqliteStore
from reconciler.state.tables import MIGRATIONS, SCHEMA_VERSION


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _filled(path: Path) -> None:
    store = SqliteStore(path)
    record = ObjectRecord("a", "owner", None, {"oro": "1"}, {"x": "y" * 5000}, {}, "f", "t")
    store.write(0, [record], [])
    store.journal_intent("r", "a", "create", {})
    store.close()


def test_the_file_and_its_directory_are_private(tmp_path: Path) -> None:
    path = tmp_path / "project" / ".reconciler" / "state.db"
    store = SqliteStore(path)
    store.write(store.read().serial, [], [])

    assert _mode(path.parent) == 0o700
    modes = {p.name: _mode(p) for p in path.parent.iterdir()}
    assert modes == {"state.db": 0o600, "state.db-wal": 0o600, "state.db-shm": 0o600}
    assert sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_open_store_resolves_a_relative_url_against_the_base_dir(tmp_path: Path) -> None:
    store = open_store("sqlite:///.reconciler/state.db", base_dir=tmp_path)
    assert isinstance(store, SqliteStore)
    assert store.path == tmp_path / ".reconciler" / "state.db"
    assert store.url == f"sqlite:///{tmp_path}/.reconciler/state.db"
    store.close()


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda b: b[: len(b) // 2], "state file {path} is truncated: {size} bytes, its header"),
        (lambda b: b[:50], "{path} is not a reconciler state file (not an SQLite database)"),
        (lambda b: b"", "{path} is not a reconciler state file (not an SQLite database)"),
        (lambda b: b"name: emea\n" * 20, "{path} is not a reconciler state file (not an SQLite"),
        (
            lambda b: b[:100] + b"\xff" * (len(b) - 100),
            "state file {path} is corrupt: ",
        ),
    ],
    ids=["truncated", "header-only", "empty", "yaml", "garbage-pages"],
)
def test_a_damaged_file_is_refused_and_left_unchanged(
    tmp_path: Path, damage: object, message: str
) -> None:
    path = tmp_path / "state.db"
    _filled(path)
    broken = damage(path.read_bytes())  # type: ignore[operator]
    path.write_bytes(broken)

    with pytest.raises(CorruptStateError) as caught:
        SqliteStore(path)

    assert str(caught.value).startswith(message.format(path=path, size=len(broken)))
    assert path.read_bytes() == broken


def test_an_sqlite_file_that_is_not_a_state_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    sqlite3.connect(path).execute("CREATE TABLE notes (x)").connection.commit()
    before = path.read_bytes()

    with pytest.raises(CorruptStateError) as caught:
        SqliteStore(path)

    assert str(caught.value) == (
        f"{path} is an SQLite database but not a reconciler state file (no reconciler_meta table)"
    )
    assert path.read_bytes() == before


def test_a_state_from_a_newer_reconciler_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    SqliteStore(path).close()
    conn = sqlite3.connect(path)
    conn.execute("UPDATE reconciler_meta SET value = '99' WHERE key = 'schema_version'")
    conn.commit()
    conn.close()

    with pytest.raises(CorruptStateError) as caught:
        SqliteStore(path)
    assert str(caught.value) == (
        f"state file {path} has schema version 99, newer than this reconciler understands "
        f"({SCHEMA_VERSION}); "
        "upgrade reconciler"
    )


def test_a_lock_without_heartbeat_is_taken_over(sqlite_backend: Backend) -> None:
    holder = sqlite_backend.open(heartbeat_interval=3600)
    later = sqlite_backend.open(clock=lambda: utc_now() + timedelta(minutes=5))
    with (
        holder.lock("*", operation="apply", timeout=0) as stuck,
        later.lock("integration:emea", operation="plan", timeout=0) as mine,
    ):
        assert mine.took_over == (
            f"{stuck.holder()} (lock {stuck.id}; no heartbeat since {stuck.heartbeat_at})"
        )
        assert later.locks() == [mine]


def test_a_stale_lock_can_be_unlocked_without_force(sqlite_backend: Backend) -> None:
    holder = sqlite_backend.open(heartbeat_interval=3600)
    later = sqlite_backend.open(clock=lambda: utc_now() + timedelta(minutes=5))
    with holder.lock("*", operation="apply", timeout=0) as stuck:
        assert later.unlock(stuck.id) == stuck
        assert later.locks() == []


def test_a_version_1_state_is_upgraded_in_place(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    conn = sqlite3.connect(path)
    for statement in V1_TABLES:
        conn.execute(statement)
    conn.execute("INSERT INTO reconciler_meta VALUES ('schema_version', '1')")
    conn.execute("INSERT INTO reconciler_state VALUES (1, 'old-lineage', 3)")
    conn.commit()
    conn.close()

    store = SqliteStore(path)
    version = sqlite3.connect(path).execute(
        "SELECT value FROM reconciler_meta WHERE key = 'schema_version'"
    )
    assert version.fetchall() == [(str(SCHEMA_VERSION),)]
    # Which scopes moved before the upgrade is unknown, so any write older than 3 is stale.
    with pytest.raises(StaleStateError):
        store.write(2, [ObjectRecord("a", "owner", "emea", {}, {}, {}, "", "")], [])
    assert store.write(3, [], []) == 4


def test_a_version_2_state_gets_its_mapping_fields_structured(tmp_path: Path) -> None:
    """Schema 3: a mapping's last-applied fields were the reviewer's text; they are structured
    now, so a state written before does not show every mapping as drifted."""
    path = tmp_path / "state.db"
    conn = sqlite3.connect(path)
    for statement in (*V1_TABLES, *MIGRATIONS[2]):
        assert isinstance(statement, str)
        conn.execute(statement)
    conn.execute("INSERT INTO reconciler_meta VALUES ('schema_version', '2')")
    conn.execute("INSERT INTO reconciler_state VALUES (1, 'old-lineage', 3)")
    legacy = {
        "entity": "Oro\\Bundle\\ContactBundle\\Entity\\Contact",
        "sync_priority": 20,
        "field.FIRSTNAME": "firstName (two-way)",
        "field.FULLNAME": "firstName,lastName",
    }
    conn.execute(
        "INSERT INTO reconciler_objects VALUES (?, 'mapping', 'emea', '{}', ?, '{}', '', '')",
        ("integration.emea.mapping.contact", json.dumps(legacy)),
    )
    conn.commit()
    conn.close()

    record = SqliteStore(path).read().objects["integration.emea.mapping.contact"]
    assert record.applied == {
        "entity": "Oro\\Bundle\\ContactBundle\\Entity\\Contact",
        "sync_priority": 20,
        "field.FIRSTNAME": {"entity_fields": ["firstName"], "two_way_sync": True},
        "field.FULLNAME": {"entity_fields": ["firstName", "lastName"], "two_way_sync": False},
    }
