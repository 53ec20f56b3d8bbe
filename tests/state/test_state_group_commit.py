"""Group commit in both backends: the journal entries and record writes of many threads share
transactions, keep the order of serials, and fail together when their flush fails."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from urllib.parse import parse_qs, urlsplit

import psycopg
import pytest
from conftest import PG_ADMIN_URL, Backend

from reconciler.errors import StaleStateError, StateError
from reconciler.state import ObjectRecord

SETTLE = 0.3  # seconds for a thread from its call to the committer (it needs microseconds)


def record(address: str, integration: str) -> ObjectRecord:
    return ObjectRecord(
        address=address,
        kind="data_field",
        integration=integration,
        remote_ids={"dotmailer": address},
        applied={"name": address},
        secret_fingerprints={},
        remote_fingerprint="",
        updated_at="2026-12-01T00:00:00Z",
    )


def _schema(backend: Backend) -> str:
    return parse_qs(urlsplit(backend.url).query)["schema"][0]


def _sqlite_path(backend: Backend) -> str:
    return backend.url.removeprefix("sqlite:///")


@contextmanager
def held_write_lock(backend: Backend) -> Iterator[None]:
    """Another connection holds what the store's next journal insert needs, until released."""
    if backend.name == "sqlite":
        db = sqlite3.connect(_sqlite_path(backend), isolation_level=None)
        db.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            db.execute("ROLLBACK")
            db.close()
        return
    with psycopg.connect(PG_ADMIN_URL) as conn:
        conn.execute(f'LOCK TABLE "{_schema(backend)}".reconciler_journal IN EXCLUSIVE MODE')
        try:
            yield
        finally:
            conn.rollback()


def refuse_step(backend: Backend, step: str) -> str:
    """Make the database refuse a journal insert of ``step``; the error the store reports."""
    if backend.name == "sqlite":
        with sqlite3.connect(_sqlite_path(backend)) as db:
            db.execute(
                "CREATE TRIGGER refuse BEFORE INSERT ON reconciler_journal "
                f"WHEN NEW.step = '{step}' BEGIN SELECT RAISE(ABORT, 'refused step'); END"
            )
        db.close()
        return f"cannot write state {backend.url}: refused step"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(
            f'ALTER TABLE "{_schema(backend)}".reconciler_journal '
            f"ADD CONSTRAINT refuse CHECK (step <> '{step}')"
        )
    return (
        f'state {backend.url}: new row for relation "reconciler_journal" violates check '
        'constraint "refuse"'
    )


def test_threads_writing_through_one_writer_get_every_serial_once_in_order(
    backend: Backend,
) -> None:
    store = backend.open()
    writer = store.writer(store.read().serial)
    serials: dict[str, list[int]] = {}

    def apply_thread(name: str) -> None:
        got = serials.setdefault(name, [])
        for index in range(10):
            address = f"integration.{name}.data_field.F{index}"
            entry = store.journal_intent("run-1", address, "create", {"index": index})
            store.journal_outcome(entry, "ok", {"id": index})
            got.append(writer.write([record(address, name)], []))

    names = [f"i{n:02d}" for n in range(16)]
    threads = [threading.Thread(target=apply_thread, args=(name,)) for name in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(s for got in serials.values() for s in got) == list(range(1, 161))
    assert all(got == sorted(got) for got in serials.values())  # each thread's in its order
    assert writer.serial == 160
    snapshot = store.read()
    assert snapshot.serial == 160
    assert sorted(snapshot.objects) == sorted(
        f"integration.{name}.data_field.F{index}" for name in names for index in range(10)
    )
    journal = store.dump().journal
    assert sorted((e.address, e.outcome, str(e.result)) for e in journal) == sorted(
        (f"integration.{name}.data_field.F{index}", "ok", str({"id": index}))
        for name in names
        for index in range(10)
    )
    for name in names:  # each scope records the serial of its last write
        last = serials[name][-1]
        assert f"integration:{name}" in store.scopes_written_since(last - 1)
        assert f"integration:{name}" not in store.scopes_written_since(last)


def test_a_writer_expects_the_serial_its_last_successful_write_left(backend: Backend) -> None:
    store, other = backend.open(), backend.open()
    writer = store.writer(store.read().serial)
    lineage = store.read().lineage

    assert writer.write([record("integration.emea", "emea")], []) == 1
    assert other.write(1, [record("integration.emea.data_field.X", "emea")], []) == 2
    with pytest.raises(StaleStateError) as caught:
        writer.write([record("integration.emea.data_field.Y", "emea")], [])
    assert str(caught.value) == (
        f"state {store.url} moved: expected serial 1, found 2 (lineage {lineage}); "
        "another run changed integration:emea since it was read. Run plan again."
    )
    assert writer.serial == 1
    assert writer.write([record("integration.apac", "apac")], []) == 3  # apac did not move
    assert writer.serial == 3
    assert sorted(store.read().objects) == [
        "integration.apac",
        "integration.emea",
        "integration.emea.data_field.X",
    ]


def test_a_flush_that_fails_fails_every_change_in_it_and_writes_none_of_them(
    backend: Backend,
) -> None:
    store = backend.open()
    writer = store.writer(store.read().serial)
    refused = refuse_step(backend, "refused")
    outcomes: dict[str, object] = {}

    def call(name: str, action: Callable[[], object]) -> threading.Thread:
        calling = threading.Event()

        def run() -> None:
            calling.set()
            try:
                outcomes[name] = action()
            except StateError as exc:
                outcomes[name] = exc

        thread = threading.Thread(target=run)
        thread.start()
        assert calling.wait(10)
        time.sleep(SETTLE)  # from calling to waiting in the committer
        return thread

    with held_write_lock(backend):
        # The first change's flush waits for the lock; the rest queue up behind it.
        threads = [
            call("first", lambda: store.journal_intent("r", "a", "create", {})),
            call("write", lambda: writer.write([record("integration.x", "x")], [])),
            call("intent", lambda: store.journal_intent("r", "b", "create", {})),
            call("refused", lambda: store.journal_intent("r", "c", "refused", {})),
        ]
    for thread in threads:
        thread.join()

    first = outcomes.pop("first")
    failed = outcomes.pop("refused")
    assert isinstance(failed, StateError)
    assert str(failed) == refused
    # The very error object of the refused insert: the three shared one transaction.
    assert outcomes == {"write": failed, "intent": failed}
    assert [(e.id, e.address) for e in store.dump().journal] == [(first, "a")]
    assert store.read().serial == 0
    assert store.read().objects == {}
    assert writer.serial == 0  # its write never happened
    assert writer.write([record("integration.x", "x")], []) == 1


def test_a_queued_outcome_commits_with_the_next_change_waited_for(backend: Backend) -> None:
    """journal_outcome_later returns before its flush; the next change a caller waits for,
    submitted after it, cannot commit before it, and then its wait returns at once."""
    store, other = backend.open(), backend.open()
    first = store.journal_intent("run-1", "integration.emea.data_field.A", "create", {"n": 1})
    queued = store.journal_outcome_later(first, "ok", {"id": "7"})

    def outcome_seen_by_another_session() -> str | None:
        return next(e.outcome for e in other.dump().journal if e.id == first)

    assert outcome_seen_by_another_session() is None  # queued, not committed
    second = store.journal_intent("run-1", "integration.emea.data_field.B", "create", {"n": 2})
    assert outcome_seen_by_another_session() == "ok"
    assert queued.wait() is None
    assert [(e.id, e.outcome) for e in other.pending_journal()] == [(second, None)]


def test_a_queued_outcome_for_no_entry_fails_alone_in_its_flush(backend: Backend) -> None:
    """An outcome needs no savepoint: one UPDATE, which writes nothing when it matches no
    entry; it fails in its own wait and the changes flushed with it commit."""
    store = backend.open()
    entry = store.journal_intent("run-1", "integration.emea.data_field.A", "create", {"n": 1})
    missing = store.journal_outcome_later(entry + 100, "ok", None)
    kept = store.journal_outcome_later(entry, "failed", {"error": "HTTP 500"})
    written = store.journal_intent("run-1", "integration.emea.data_field.B", "create", {"n": 2})
    with pytest.raises(StateError) as caught:
        missing.wait()
    assert str(caught.value) == f"no journal entry {entry + 100} in state {store.url}"
    assert kept.wait() is None
    assert [(e.id, e.outcome) for e in store.dump().journal] == [
        (entry, "failed"),
        (written, None),
    ]
