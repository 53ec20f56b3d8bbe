"""Moving a state between backends keeps everything and never overwrites."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import Backend

from reconciler.errors import StateError
from reconciler.state import ObjectRecord, StateDump, fingerprint
from reconciler.state.migrate import MigrationResult, migrate, migrate_urls
from reconciler.state.sqlite import SqliteStore


def _populate(backend: Backend) -> StateDump:
    store = backend.open()
    key = store.secret_key()
    integration = ObjectRecord(
        "integration.emea",
        "integration",
        "emea",
        {"oro": "12"},
        {"enabled": True, "username": "apiuser@apiconnector.com"},
        {"password": fingerprint(key, "correct horse")},
        "sha256:1",
        "2026-11-26T21:00:00.000000Z",
    )
    field = ObjectRecord(
        "integration.emea.data_field.LOYALTY",
        "data_field",
        "emea",
        {"dotmailer": "LOYALTY"},
        {"type": "String", "default": None},
        {},
        "sha256:2",
        "2026-11-26T21:00:01.000000Z",
    )
    store.write(0, [integration], [])
    store.write(1, [field], [])
    run = store.begin_run("apply", user="alice", git_sha="abc", plan_digest="sha256:p")
    done = store.journal_intent(run, "integration.emea", "create", {"name": "emea"})
    store.journal_outcome(done, "ok", {"id": "12"})
    store.journal_intent(run, "integration.emea.data_field.LOYALTY", "create", {})
    store.end_run(run, "interrupted", {"ok": 1, "pending": 1})
    return store.dump()


@pytest.mark.postgres
def test_sqlite_to_postgres_to_sqlite_round_trips(
    sqlite_backend: Backend, postgres_backend: Backend, tmp_path: Path
) -> None:
    original = _populate(sqlite_backend)
    result = migrate(sqlite_backend.open(), postgres_backend.open())
    assert result == MigrationResult(
        source=sqlite_backend.url,
        target=postgres_backend.url,
        lineage=original.lineage,
        serial=2,
        objects=2,
        runs=1,
        journal_entries=2,
    )
    assert postgres_backend.open().dump() == original

    back = tmp_path / "back" / "state.db"
    migrate_urls(postgres_backend.url, f"sqlite:///{back}", base_dir=tmp_path)
    returned = SqliteStore(back)
    assert returned.dump() == original
    # The journal keeps counting after the copied ids, and the key still matches fingerprints.
    assert (
        returned.journal_intent("r2", "x", "create", {}) == max(e.id for e in original.journal) + 1
    )
    assert returned.secret_key() == original.stored_key
    # Which scopes moved before the copy is unknown: a write older than the copied serial is stale.
    with pytest.raises(StateError) as stale:
        returned.write(1, [original.objects[0]], [])
    assert "another run changed * since it was read" in str(stale.value)
    returned.close()


def test_a_non_empty_target_is_never_overwritten(sqlite_backend: Backend, tmp_path: Path) -> None:
    _populate(sqlite_backend)
    target_path = tmp_path / "target.db"
    target = SqliteStore(target_path)
    target.write(0, [], [])
    before = target.dump()

    with pytest.raises(StateError) as caught:
        migrate(sqlite_backend.open(), target)

    assert str(caught.value) == (
        f"refusing to overwrite state {target.url}: it is not empty (lineage {before.lineage}, "
        "serial 1, 0 objects, 0 runs, 0 journal entries)"
    )
    assert target.dump() == before
    target.close()


def test_a_state_cannot_be_migrated_onto_itself(sqlite_backend: Backend) -> None:
    store = sqlite_backend.open()
    with pytest.raises(StateError) as caught:
        migrate(store, sqlite_backend.open())
    assert str(caught.value) == f"cannot migrate state {store.url} onto itself"
