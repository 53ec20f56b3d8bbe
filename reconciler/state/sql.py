"""The part of a state store that is the same SQL on SQLite and PostgreSQL.

Both backends keep the same tables (``reconciler_*``) and run the same statements, written with
``%s`` placeholders; a backend supplies a transaction that executes them (SQLite rewrites the
placeholders to ``?``). Locks differ entirely and live in each backend.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Protocol

from reconciler.errors import StaleStateError, StateError
from reconciler.state.clock import Clock, iso, utc_now
from reconciler.state.identity import key_from_environment
from reconciler.state.locks import INTEGRATION_SCOPE_PREFIX, WHOLE_CONFIG, scopes_conflict
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

SCHEMA_VERSION = 2
# The steps from version N-1 to N, the same SQL on both backends (version 1 is each backend's
# table list). Opening a state runs the steps it lacks; a newer version is refused.
MIGRATIONS: dict[int, tuple[str, ...]] = {
    2: (
        # The serial each lock scope was last written at, for scoped compare-and-swap.
        "CREATE TABLE reconciler_scopes (scope TEXT PRIMARY KEY, serial BIGINT NOT NULL)",
        # History unknown: count the whole config as written at the current serial.
        "INSERT INTO reconciler_scopes (scope, serial) SELECT '*', serial FROM reconciler_state",
    ),
}


@dataclass(frozen=True)
class Result:
    rows: list[tuple[Any, ...]]
    rowcount: int


class Execute(Protocol):
    def __call__(self, sql: str, params: Sequence[Any] = (), /) -> Result: ...


_OBJECT_COLUMNS = (
    "address, kind, integration, remote_ids, applied, secret_fingerprints, "
    "remote_fingerprint, updated_at"
)
_JOURNAL_COLUMNS = (
    "id, run_id, address, step, intent, outcome, result, started_at, finished_at, resolution"
)
_RUN_COLUMNS = (
    "id, command, user_name, git_sha, plan_digest, started_at, finished_at, status, summary"
)


def upgrade_schema(execute: Execute, version: int) -> None:
    """Run the migration steps after ``version`` and record the new version."""
    for step in range(version + 1, SCHEMA_VERSION + 1):
        for statement in MIGRATIONS[step]:
            execute(statement)
    if version < SCHEMA_VERSION:
        execute(
            "UPDATE reconciler_meta SET value = %s WHERE key = 'schema_version'",
            (str(SCHEMA_VERSION),),
        )


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
        """The lock timing and the one mutex both backends share."""
        self.heartbeat_interval = heartbeat_interval
        self.stale_after = stale_after
        self.poll_interval = poll_interval
        self._clock = clock
        self._sleep = sleep
        self._mutex = threading.RLock()

    # --- what a backend provides ---------------------------------------------------------

    def _transaction(self) -> AbstractContextManager[Execute]:
        """A write transaction (SQLite: BEGIN IMMEDIATE) committed on normal exit."""
        raise NotImplementedError

    # --- snapshot and compare-and-swap ---------------------------------------------------

    def read(self) -> Snapshot:
        with self._transaction() as execute:
            lineage, serial = self._ensure_state(execute)
            rows = execute(f"SELECT {_OBJECT_COLUMNS} FROM reconciler_objects").rows
        objects = {row[0]: _object_from_row(row) for row in rows}
        return Snapshot(lineage=lineage, serial=serial, objects=dict(sorted(objects.items())))

    def write(
        self, expected_serial: int, upserts: Sequence[ObjectRecord], removals: Sequence[str]
    ) -> int:
        """Compare-and-swap, scoped like the locks: the write is refused when, since
        ``expected_serial``, another write touched a scope that conflicts with one this write
        touches ("*" for objects outside any integration, which conflicts with everything). So
        two runs holding the locks of two different integrations can both write; a write that
        touches nothing is refused whenever the serial moved."""
        with self._transaction() as execute:
            lineage, serial = self._ensure_state(execute)
            touched = self._touched_scopes(execute, upserts, removals)
            if serial != expected_serial:
                self._check_moved(execute, lineage, serial, expected_serial, touched)
            execute(
                "UPDATE reconciler_state SET serial = serial + 1 WHERE id = 1 AND serial = %s",
                (serial,),
            )
            for address in sorted(set(removals)):
                execute("DELETE FROM reconciler_objects WHERE address = %s", (address,))
            for record in sorted(upserts, key=lambda r: r.address):
                execute(
                    f"INSERT INTO reconciler_objects ({_OBJECT_COLUMNS}) "
                    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (address) DO UPDATE SET "
                    "kind = excluded.kind, integration = excluded.integration, "
                    "remote_ids = excluded.remote_ids, applied = excluded.applied, "
                    "secret_fingerprints = excluded.secret_fingerprints, "
                    "remote_fingerprint = excluded.remote_fingerprint, "
                    "updated_at = excluded.updated_at",
                    _object_to_row(record),
                )
            for scope in sorted(touched):
                execute(
                    "INSERT INTO reconciler_scopes (scope, serial) VALUES (%s, %s) "
                    "ON CONFLICT (scope) DO UPDATE SET serial = excluded.serial",
                    (scope, serial + 1),
                )
        return serial + 1

    def scopes_written_since(self, serial: int) -> list[str]:
        """The lock scopes written after ``serial``, sorted: what moved for a saved plan."""
        with self._transaction() as execute:
            rows = execute(
                "SELECT scope FROM reconciler_scopes WHERE serial > %s ORDER BY scope", (serial,)
            ).rows
        return [str(row[0]) for row in rows]

    def _check_moved(
        self, execute: Execute, lineage: str, serial: int, expected: int, touched: set[str]
    ) -> None:
        """plan-apply-anchors.md §4: a stale writer never overwrites newer state of its scope."""
        clashes: list[str] = []
        if touched and expected < serial:
            rows = execute(
                "SELECT scope FROM reconciler_scopes WHERE serial > %s", (expected,)
            ).rows
            clashes = sorted(
                str(r[0]) for r in rows if any(scopes_conflict(str(r[0]), t) for t in touched)
            )
            if not clashes:
                return
        what = f"changed {', '.join(clashes)}" if clashes else "wrote it"
        raise StaleStateError(
            f"state {self.url} moved: expected serial {expected}, found {serial} "
            f"(lineage {lineage}); another run {what} since it was read. Run plan again."
        )

    @staticmethod
    def _touched_scopes(
        execute: Execute, upserts: Sequence[ObjectRecord], removals: Sequence[str]
    ) -> set[str]:
        integrations: set[str | None] = {record.integration for record in upserts}
        for address in sorted({r.address for r in upserts} | set(removals)):
            rows = execute(
                "SELECT integration FROM reconciler_objects WHERE address = %s", (address,)
            ).rows
            integrations.update(None if row[0] is None else str(row[0]) for row in rows)
        return {
            WHOLE_CONFIG if name is None else INTEGRATION_SCOPE_PREFIX + name
            for name in integrations
        }

    def _ensure_state(self, execute: Execute) -> tuple[str, int]:
        rows = execute("SELECT lineage, serial FROM reconciler_state WHERE id = 1").rows
        if not rows:
            lineage = str(uuid.uuid4())
            execute(
                "INSERT INTO reconciler_state (id, lineage, serial) VALUES (1, %s, 0) "
                "ON CONFLICT (id) DO NOTHING",
                (lineage,),
            )
            rows = execute("SELECT lineage, serial FROM reconciler_state WHERE id = 1").rows
        return str(rows[0][0]), int(rows[0][1])

    # --- journal -------------------------------------------------------------------------

    def journal_intent(
        self, run_id: str, address: str, step: str, intent: Mapping[str, Any]
    ) -> int:
        # plan-apply-anchors.md §2.12: the intent is committed before the remote call is made.
        with self._transaction() as execute:
            rows = execute(
                "INSERT INTO reconciler_journal (run_id, address, step, intent, started_at) "
                "VALUES (%s, %s, %s, %s, %s) RETURNING id",
                (run_id, address, step, dumps(dict(intent)), self._now()),
            ).rows
        return int(rows[0][0])

    def journal_outcome(
        self, entry_id: int, outcome: str, result: Mapping[str, Any] | None
    ) -> None:
        if outcome not in OUTCOMES:
            raise StateError(f"unknown journal outcome {outcome!r}: use one of {list(OUTCOMES)}")
        with self._transaction() as execute:
            updated = execute(
                "UPDATE reconciler_journal SET outcome = %s, result = %s, finished_at = %s "
                "WHERE id = %s",
                (outcome, None if result is None else dumps(dict(result)), self._now(), entry_id),
            )
        if updated.rowcount != 1:
            raise StateError(f"no journal entry {entry_id} in state {self.url}")

    def pending_journal(self) -> list[JournalEntry]:
        with self._transaction() as execute:
            rows = execute(
                f"SELECT {_JOURNAL_COLUMNS} FROM reconciler_journal "
                "WHERE resolution IS NULL AND (outcome IS NULL OR outcome = %s) ORDER BY id",
                (OUTCOME_UNKNOWN,),
            ).rows
        return [_journal_from_row(row) for row in rows]

    def resolve_journal(self, entry_ids: Sequence[int], resolution: str) -> None:
        with self._transaction() as execute:
            for entry_id in sorted(set(entry_ids)):
                updated = execute(
                    "UPDATE reconciler_journal SET resolution = %s, resolved_at = %s WHERE id = %s",
                    (resolution, self._now(), entry_id),
                )
                if updated.rowcount != 1:
                    raise StateError(f"no journal entry {entry_id} in state {self.url}")

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
                f"SELECT {_RUN_COLUMNS} FROM reconciler_runs "
                "ORDER BY started_at DESC, id DESC LIMIT %s",
                (limit,),
            ).rows
        return [_run_from_row(row) for row in rows]

    # --- secret key ----------------------------------------------------------------------

    def secret_key(self) -> bytes:
        configured = key_from_environment()
        if configured is not None:
            return configured
        with self._transaction() as execute:
            stored = self._stored_key(execute)
            if stored is None:
                stored = secrets.token_bytes(32)
                execute(
                    "INSERT INTO reconciler_meta (key, value) VALUES ('secret_key', %s)",
                    (stored.hex(),),
                )
        return stored

    @staticmethod
    def _stored_key(execute: Execute) -> bytes | None:
        rows = execute("SELECT value FROM reconciler_meta WHERE key = 'secret_key'").rows
        return bytes.fromhex(str(rows[0][0])) if rows else None

    # --- dump and restore (migrate) ------------------------------------------------------

    def dump(self) -> StateDump:
        with self._transaction() as execute:
            lineage, serial = self._ensure_state(execute)
            objects = execute(
                f"SELECT {_OBJECT_COLUMNS} FROM reconciler_objects ORDER BY address"
            ).rows
            runs = execute(f"SELECT {_RUN_COLUMNS} FROM reconciler_runs ORDER BY started_at, id")
            journal = execute(f"SELECT {_JOURNAL_COLUMNS} FROM reconciler_journal ORDER BY id")
            stored_key = self._stored_key(execute)
        return StateDump(
            lineage=lineage,
            serial=serial,
            objects=tuple(_object_from_row(row) for row in objects),
            runs=tuple(_run_from_row(row) for row in runs.rows),
            journal=tuple(_journal_from_row(row) for row in journal.rows),
            stored_key=stored_key,
        )

    def restore(self, dump: StateDump) -> None:
        with self._transaction() as execute:
            lineage, serial = self._ensure_state(execute)
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
                    f"INSERT INTO reconciler_objects ({_OBJECT_COLUMNS}) "
                    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                    _object_to_row(record),
                )
            for run in dump.runs:
                execute(
                    f"INSERT INTO reconciler_runs ({_RUN_COLUMNS}) "
                    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                    (
                        run.id,
                        run.command,
                        run.user,
                        run.git_sha,
                        run.plan_digest,
                        run.started_at,
                        run.finished_at,
                        run.status,
                        dumps(dict(run.summary)),
                    ),
                )
            for entry in dump.journal:
                execute(
                    f"INSERT INTO reconciler_journal ({_JOURNAL_COLUMNS}) "
                    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                    (
                        entry.id,
                        entry.run_id,
                        entry.address,
                        entry.step,
                        dumps(dict(entry.intent)),
                        entry.outcome,
                        None if entry.result is None else dumps(dict(entry.result)),
                        entry.started_at,
                        entry.finished_at,
                        entry.resolution,
                    ),
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


class Heartbeat:
    """A daemon thread calling ``beat`` every ``interval`` seconds until stopped.

    ``beat`` returns False when the lock is gone (unlocked by force); the thread then stops and
    ``lost`` tells the holder. Errors in a beat are retried at the next tick.
    """

    def __init__(self, interval: float, beat: Callable[[], bool], name: str) -> None:
        self._interval = interval
        self._beat = beat
        self._stop = threading.Event()
        self.lost = False
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                if not self._beat():
                    self.lost = True
                    return
            except Exception:  # a busy database or a dropped connection: try at the next tick
                continue


def _object_to_row(record: ObjectRecord) -> tuple[Any, ...]:
    data = record.to_json()
    return (
        record.address,
        record.kind,
        record.integration,
        dumps(data["remote_ids"]),
        dumps(data["applied"]),
        dumps(data["secret_fingerprints"]),
        record.remote_fingerprint,
        record.updated_at,
    )


def _object_from_row(row: Sequence[Any]) -> ObjectRecord:
    return ObjectRecord(
        address=str(row[0]),
        kind=str(row[1]),
        integration=None if row[2] is None else str(row[2]),
        remote_ids=json.loads(row[3]),
        applied=json.loads(row[4]),
        secret_fingerprints=json.loads(row[5]),
        remote_fingerprint=str(row[6]),
        updated_at=str(row[7]),
    )


def _journal_from_row(row: Sequence[Any]) -> JournalEntry:
    return JournalEntry(
        id=int(row[0]),
        run_id=str(row[1]),
        address=str(row[2]),
        step=str(row[3]),
        intent=json.loads(row[4]),
        outcome=None if row[5] is None else str(row[5]),
        result=None if row[6] is None else json.loads(row[6]),
        started_at=str(row[7]),
        finished_at=None if row[8] is None else str(row[8]),
        resolution=None if row[9] is None else str(row[9]),
    )


def _run_from_row(row: Sequence[Any]) -> RunRecord:
    return RunRecord(
        id=str(row[0]),
        command=str(row[1]),
        user=str(row[2]),
        git_sha=None if row[3] is None else str(row[3]),
        plan_digest=None if row[4] is None else str(row[4]),
        started_at=str(row[5]),
        finished_at=None if row[6] is None else str(row[6]),
        status=None if row[7] is None else str(row[7]),
        summary={str(k): int(v) for k, v in json.loads(row[8] or "{}").items()},
    )
