"""The tables both backends share: their schema version and migrations, the ``Execute`` a
backend runs statements through, and how records become rows and back.

Statements are written with ``%s`` placeholders (SQLite's executor rewrites them to ``?``). JSON
columns hold :func:`~reconciler.state.records.dumps` text, so the same record is the same bytes
on either backend.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from reconciler.state.records import JournalEntry, ObjectRecord, RunRecord, dumps


@dataclass(frozen=True)
class Result:
    rows: list[tuple[Any, ...]]
    rowcount: int


class Execute(Protocol):
    def __call__(self, sql: str, params: Sequence[Any] = (), /) -> Result: ...


def _structured_mapping_fields(execute: Execute) -> None:
    """Version 3: a mapping's last-applied fields were kept as the reviewer's text,
    ``"firstName,lastName (two-way)"``; they are structured now, as compare makes them
    (``{"entity_fields": [...], "two_way_sync": bool}``). Read once here, never again."""
    rows = execute("SELECT address, applied FROM reconciler_objects WHERE kind = 'mapping'").rows
    for address, text in rows:
        applied = json.loads(text)
        legacy = {k: v for k, v in applied.items() if k.startswith("field.") and isinstance(v, str)}
        if not legacy:
            continue
        for key, value in legacy.items():
            two_way = value.endswith(" (two-way)")
            fields = value.removesuffix(" (two-way)").split(",")
            applied[key] = {"entity_fields": fields, "two_way_sync": two_way}
        execute(
            "UPDATE reconciler_objects SET applied = %s WHERE address = %s",
            (dumps(applied), address),
        )


SCHEMA_VERSION = 3
# The steps from version N-1 to N, the same on both backends (version 1 is each backend's table
# list): SQL, or a function over the executor for a change of values. Opening a state runs the
# steps it lacks, in one transaction; a newer version is refused.
MIGRATIONS: dict[int, tuple[str | Callable[[Execute], None], ...]] = {
    2: (
        # The serial each lock scope was last written at, for scoped compare-and-swap.
        "CREATE TABLE reconciler_scopes (scope TEXT PRIMARY KEY, serial BIGINT NOT NULL)",
        # History unknown: count the whole config as written at the current serial.
        "INSERT INTO reconciler_scopes (scope, serial) SELECT '*', serial FROM reconciler_state",
    ),
    3: (_structured_mapping_fields,),
}


OBJECT_COLUMNS = (
    "address, kind, integration, remote_ids, applied, secret_fingerprints, "
    "remote_fingerprint, updated_at"
)
JOURNAL_COLUMNS = (
    "id, run_id, address, step, intent, outcome, result, started_at, finished_at, resolution"
)
RUN_COLUMNS = (
    "id, command, user_name, git_sha, plan_digest, started_at, finished_at, status, summary"
)


def upgrade_schema(execute: Execute, version: int) -> None:
    """Run the migration steps after ``version`` and record the new version."""
    for step in range(version + 1, SCHEMA_VERSION + 1):
        for statement in MIGRATIONS[step]:
            if isinstance(statement, str):
                execute(statement)
            else:
                statement(execute)
    if version < SCHEMA_VERSION:
        execute(
            "UPDATE reconciler_meta SET value = %s WHERE key = 'schema_version'",
            (str(SCHEMA_VERSION),),
        )


def object_to_row(record: ObjectRecord) -> tuple[Any, ...]:
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


def object_from_row(row: Sequence[Any]) -> ObjectRecord:
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


def journal_to_row(entry: JournalEntry) -> tuple[Any, ...]:
    return (
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
    )


def journal_from_row(row: Sequence[Any]) -> JournalEntry:
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


def run_to_row(run: RunRecord) -> tuple[Any, ...]:
    return (
        run.id,
        run.command,
        run.user,
        run.git_sha,
        run.plan_digest,
        run.started_at,
        run.finished_at,
        run.status,
        dumps(dict(run.summary)),
    )


def run_from_row(row: Sequence[Any]) -> RunRecord:
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
