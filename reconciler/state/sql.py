"""The part of a state store that is the same SQL on SQLite and PostgreSQL.

Both backends keep the same tables (``reconciler_*``, see :mod:`reconciler.state.tables`) and run
the same statements, written with ``%s`` placeholders; a backend supplies a transaction that
executes them (SQLite rewrites the placeholders to ``?``). Locks differ entirely and live in each
backend.

Journal entries and record writes go through one group commit
(:mod:`~reconciler.state.commit`): concurrent ones share a transaction, and each call returns
once the transaction holding its change has committed. The rest (reads, the run log, the key,
dump and restore) runs in a transaction of its own.
"""

from __future__ import annotations

import secrets
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Any

from reconciler.errors import StateError
from reconciler.state.clock import Clock, iso, utc_now
from reconciler.state.commit import GroupCommit, Pending
from reconciler.state.identity import key_from_environment
from reconciler.state.records import (
    OUTCOME_UNKNOWN,
    OUTCOMES,
    JournalEntry,
    ObjectRecord,
    RunRecord,
    Snapshot,
    StateDump,
    dumps,
)
from reconciler.state.tables import (
    JOURNAL_COLUMNS,
    OBJECT_COLUMNS,
    RUN_COLUMNS,
    Execute,
    journal_from_row,
    journal_to_row,
    object_from_row,
    object_to_row,
    run_from_row,
    run_to_row,
)
from reconciler.state.writes import SerialWriter, ensure_state


class SqlStore:
    """Snapshot, CAS write, journal, run log and key on the shared tables."""

    url: str

    def __init__(
        self,
        *,
        heartbeat_interval: float = 5.0,
        stale_after: float = 60.0,
        poll_interval: float = 0.5,
        clock: Clock = utc_now,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        """The lock timing, the one mutex and the group commit both backends share."""
        self.heartbeat_interval = heartbeat_interval
        self.stale_after = stale_after
        self.poll_interval = poll_interval
        self._clock = clock
        self._sleep = sleep
        self._mutex = threading.RLock()
        self._committer = GroupCommit(self._transaction)

    # --- what a backend provides ---------------------------------------------------------

    def _transaction(self) -> AbstractContextManager[Execute]:
        """A write transaction (SQLite: BEGIN IMMEDIATE) committed on normal exit."""
        raise NotImplementedError

    # --- snapshot and compare-and-swap ---------------------------------------------------

    def read(self) -> Snapshot:
        with self._transaction() as execute:
            lineage, serial = ensure_state(execute)
            rows = execute(f"SELECT {OBJECT_COLUMNS} FROM reconciler_objects").rows
        objects = {row[0]: object_from_row(row) for row in rows}
        return Snapshot(lineage=lineage, serial=serial, objects=dict(sorted(objects.items())))

    def write(
        self, expected_serial: int, upserts: Sequence[ObjectRecord], removals: Sequence[str]
    ) -> int:
        """Compare-and-swap, scoped like the locks: the write is refused when, since
        ``expected_serial``, another write touched a scope that conflicts with one this write
        touches ("*" for objects outside any integration, which conflicts with everything). So
        two runs holding the locks of two different integrations can both write; a write that
        touches nothing is refused whenever the serial moved."""
        return self.writer(expected_serial).write(upserts, removals)

    def writer(self, serial: int) -> SerialWriter:
        return SerialWriter(self._committer, self.url, serial)

    def scopes_written_since(self, serial: int) -> list[str]:
        """The lock scopes written after ``serial``, sorted: what moved for a saved plan."""
        with self._transaction() as execute:
            rows = execute(
                "SELECT scope FROM reconciler_scopes WHERE serial > %s ORDER BY scope", (serial,)
            ).rows
        return [str(row[0]) for row in rows]

    # --- journal -------------------------------------------------------------------------

    def journal_intent(
        self, run_id: str, address: str, step: str, intent: Mapping[str, Any]
    ) -> int:
        # plan-apply-anchors.md §2.12: the intent is committed before the remote call is made
        # (the group commit returns once the flush holding it has committed).
        row = (run_id, address, step, dumps(dict(intent)), self._now())

        def insert(execute: Execute) -> int:
            rows = execute(
                "INSERT INTO reconciler_journal (run_id, address, step, intent, started_at) "
                "VALUES (%s, %s, %s, %s, %s) RETURNING id",
                row,
            ).rows
            return int(rows[0][0])

        return self._committer.run(insert, atomic=True)  # one INSERT

    def journal_outcome(
        self, entry_id: int, outcome: str, result: Mapping[str, Any] | None
    ) -> None:
        self.journal_outcome_later(entry_id, outcome, result).wait()

    def journal_outcome_later(
        self, entry_id: int, outcome: str, result: Mapping[str, Any] | None
    ) -> Pending:
        if outcome not in OUTCOMES:
            raise StateError(f"unknown journal outcome {outcome!r}: use one of {list(OUTCOMES)}")
        values = (outcome, None if result is None else dumps(dict(result)), self._now(), entry_id)

        def update(execute: Execute) -> None:
            updated = execute(
                "UPDATE reconciler_journal SET outcome = %s, result = %s, finished_at = %s "
                "WHERE id = %s",
                values,
            )
            if updated.rowcount != 1:
                raise StateError(f"no journal entry {entry_id} in state {self.url}")

        # One UPDATE; when it matches no entry it wrote nothing before it raises.
        return self._committer.submit(update, atomic=True)

    def pending_journal(self) -> list[JournalEntry]:
        with self._transaction() as execute:
            rows = execute(
                f"SELECT {JOURNAL_COLUMNS} FROM reconciler_journal "
                "WHERE resolution IS NULL AND (outcome IS NULL OR outcome = %s) ORDER BY id",
                (OUTCOME_UNKNOWN,),
            ).rows
        return [journal_from_row(row) for row in rows]

    def resolve_journal(self, entry_ids: Sequence[int], resolution: str) -> None:
        now = self._now()

        def resolve(execute: Execute) -> None:
            for entry_id in sorted(set(entry_ids)):
                updated = execute(
                    "UPDATE reconciler_journal SET resolution = %s, resolved_at = %s WHERE id = %s",
                    (resolution, now, entry_id),
                )
                if updated.rowcount != 1:
                    raise StateError(f"no journal entry {entry_id} in state {self.url}")

        self._committer.run(resolve)

    # --- run log -------------------------------------------------------------------------

    def begin_run(
        self, command: str, *, user: str, git_sha: str | None, plan_digest: str | None
    ) -> str:
        run_id = str(uuid.uuid4())
        with self._transaction() as execute:
            execute(
                "INSERT INTO reconciler_runs (id, command, user_name, git_sha, plan_digest, "
                "started_at, summary) VALUES (%s, %s, %s, %s, %s, %s, %s)",
                (run_id, command, user, git_sha, plan_digest, self._now(), "{}"),
            )
        return run_id

    def end_run(self, run_id: str, status: str, summary: Mapping[str, int]) -> None:
        with self._transaction() as execute:
            updated = execute(
                "UPDATE reconciler_runs SET status = %s, summary = %s, finished_at = %s "
                "WHERE id = %s",
                (status, dumps(dict(summary)), self._now(), run_id),
            )
        if updated.rowcount != 1:
            raise StateError(f"no run {run_id} in state {self.url}")

    def runs(self, limit: int = 20) -> list[RunRecord]:
        with self._transaction() as execute:
            rows = execute(
                f"SELECT {RUN_COLUMNS} FROM reconciler_runs "
                "ORDER BY started_at DESC, id DESC LIMIT %s",
                (limit,),
            ).rows
        return [run_from_row(row) for row in rows]

    # --- secret key ----------------------------------------------------------------------

    def secret_key(self) -> bytes:
        configured = key_from_environment()
        if configured is not None:
            return configured
        with self._transaction() as execute:
            stored = self._stored_key(execute)
            if stored is None:
                # Two first runs at once both find none: the first insert wins, the other
                # reads it back (a plain INSERT made the second fail on reconciler_meta_pkey).
                execute(
                    "INSERT INTO reconciler_meta (key, value) VALUES ('secret_key', %s) "
                    "ON CONFLICT (key) DO NOTHING",
                    (secrets.token_bytes(32).hex(),),
                )
                stored = self._stored_key(execute)
                assert stored is not None
        return stored

    @staticmethod
    def _stored_key(execute: Execute) -> bytes | None:
        rows = execute("SELECT value FROM reconciler_meta WHERE key = 'secret_key'").rows
        return bytes.fromhex(str(rows[0][0])) if rows else None

    # --- dump and restore (migrate) ------------------------------------------------------

    def dump(self) -> StateDump:
        with self._transaction() as execute:
            lineage, serial = ensure_state(execute)
            objects = execute(
                f"SELECT {OBJECT_COLUMNS} FROM reconciler_objects ORDER BY address"
            ).rows
            runs = execute(f"SELECT {RUN_COLUMNS} FROM reconciler_runs ORDER BY started_at, id")
            journal = execute(f"SELECT {JOURNAL_COLUMNS} FROM reconciler_journal ORDER BY id")
            stored_key = self._stored_key(execute)
        return StateDump(
            lineage=lineage,
            serial=serial,
            objects=tuple(object_from_row(row) for row in objects),
            runs=tuple(run_from_row(row) for row in runs.rows),
            journal=tuple(journal_from_row(row) for row in journal.rows),
            stored_key=stored_key,
        )

    def restore(self, dump: StateDump) -> None:
        with self._transaction() as execute:
            lineage, serial = ensure_state(execute)
            counts = [
                int(execute(f"SELECT COUNT(*) FROM {table}").rows[0][0])
                for table in ("reconciler_objects", "reconciler_runs", "reconciler_journal")
            ]
            if serial != 0 or any(counts):
                raise StateError(
                    f"refusing to overwrite state {self.url}: it is not empty (lineage {lineage}, "
                    f"serial {serial}, {counts[0]} objects, {counts[1]} runs, "
                    f"{counts[2]} journal entries)"
                )
            execute(
                "UPDATE reconciler_state SET lineage = %s, serial = %s WHERE id = 1",
                (dump.lineage, dump.serial),
            )
            execute("DELETE FROM reconciler_scopes")
            execute(  # history unknown: the whole config counts as written at this serial
                "INSERT INTO reconciler_scopes (scope, serial) VALUES ('*', %s)", (dump.serial,)
            )
            for record in dump.objects:
                execute(
                    f"INSERT INTO reconciler_objects ({OBJECT_COLUMNS}) "
                    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                    object_to_row(record),
                )
            for run in dump.runs:
                execute(
                    f"INSERT INTO reconciler_runs ({RUN_COLUMNS}) "
                    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                    run_to_row(run),
                )
            for entry in dump.journal:
                execute(
                    f"INSERT INTO reconciler_journal ({JOURNAL_COLUMNS}) "
                    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                    journal_to_row(entry),
                )
            self._after_journal_restore(execute)
            if dump.stored_key is not None:
                execute("DELETE FROM reconciler_meta WHERE key = 'secret_key'")
                execute(
                    "INSERT INTO reconciler_meta (key, value) VALUES ('secret_key', %s)",
                    (dump.stored_key.hex(),),
                )

    def _after_journal_restore(self, execute: Execute) -> None:
        """Backends whose id sequence does not follow explicit ids move it here."""

    def _now(self) -> str:
        return iso(self._clock())
