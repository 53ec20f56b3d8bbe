"""Compare-and-swap writes of object records, the same SQL on both backends
(plan-apply-anchors.md §2.1, §4).

The state has a lineage and a serial; every write bumps the serial and records, per lock scope
it touched, the serial it wrote at (``reconciler_scopes``). A write is refused when, since the
serial it expects, another write touched a scope that conflicts with one this write touches, so
runs holding the locks of two different integrations both write. :class:`SerialWriter` applies
one run's writes in sequence through the group commit (:mod:`~reconciler.state.commit`).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from reconciler.errors import StaleStateError
from reconciler.state.commit import GroupCommit
from reconciler.state.locks import INTEGRATION_SCOPE_PREFIX, WHOLE_CONFIG, scopes_conflict
from reconciler.state.records import ObjectRecord
from reconciler.state.tables import OBJECT_COLUMNS, Execute, object_to_row


class SerialWriter:
    """Compare-and-swap writes in sequence (``StateStore.writer``): each expects the serial the
    last successful one left, the first the serial the writer was made with, as a caller that
    passed each write the serial the one before returned would. Writes of many threads may be
    in flight together; they are applied in the order they were submitted and committed in the
    same flushes as the journal entries around them."""

    def __init__(self, committer: GroupCommit, url: str, serial: int) -> None:
        self._committer = committer
        self._url = url
        self.serial = serial

    def write(self, upserts: Sequence[ObjectRecord], removals: Sequence[str]) -> int:
        """Write and return the new serial; StaleStateError when the serial moved."""
        expected: list[int] = []

        def work(execute: Execute) -> int:
            expected.append(self.serial)
            self.serial = compare_and_swap(execute, self._url, self.serial, upserts, removals)
            return self.serial

        def undo() -> None:  # the flush failed: this write never happened
            self.serial = expected[0]

        return self._committer.run(work, undo)


def compare_and_swap(
    execute: Execute,
    url: str,
    expected: int,
    upserts: Sequence[ObjectRecord],
    removals: Sequence[str],
) -> int:
    """One compare-and-swap write in an open transaction; returns the new serial."""
    lineage, serial = ensure_state(execute)
    touched = touched_scopes(execute, upserts, removals)
    if serial != expected:
        check_moved(execute, url, lineage, serial, expected, touched)
    execute(
        "UPDATE reconciler_state SET serial = serial + 1 WHERE id = 1 AND serial = %s", (serial,)
    )
    for address in sorted(set(removals)):
        execute("DELETE FROM reconciler_objects WHERE address = %s", (address,))
    for record in sorted(upserts, key=lambda r: r.address):
        execute(
            f"INSERT INTO reconciler_objects ({OBJECT_COLUMNS}) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (address) DO UPDATE SET "
            "kind = excluded.kind, integration = excluded.integration, "
            "remote_ids = excluded.remote_ids, applied = excluded.applied, "
            "secret_fingerprints = excluded.secret_fingerprints, "
            "remote_fingerprint = excluded.remote_fingerprint, "
            "updated_at = excluded.updated_at",
            object_to_row(record),
        )
    for scope in sorted(touched):
        execute(
            "INSERT INTO reconciler_scopes (scope, serial) VALUES (%s, %s) "
            "ON CONFLICT (scope) DO UPDATE SET serial = excluded.serial",
            (scope, serial + 1),
        )
    return serial + 1


def check_moved(
    execute: Execute, url: str, lineage: str, serial: int, expected: int, touched: set[str]
) -> None:
    """plan-apply-anchors.md §4: a stale writer never overwrites newer state of its scope."""
    clashes: list[str] = []
    if touched and expected < serial:
        rows = execute("SELECT scope FROM reconciler_scopes WHERE serial > %s", (expected,)).rows
        clashes = sorted(
            str(r[0]) for r in rows if any(scopes_conflict(str(r[0]), t) for t in touched)
        )
        if not clashes:
            return
    what = f"changed {', '.join(clashes)}" if clashes else "wrote it"
    raise StaleStateError(
        f"state {url} moved: expected serial {expected}, found {serial} "
        f"(lineage {lineage}); another run {what} since it was read. Run plan again."
    )


def touched_scopes(
    execute: Execute, upserts: Sequence[ObjectRecord], removals: Sequence[str]
) -> set[str]:
    """The lock scopes of the records written and of those they replace or remove."""
    integrations: set[str | None] = {record.integration for record in upserts}
    for address in sorted({r.address for r in upserts} | set(removals)):
        rows = execute(
            "SELECT integration FROM reconciler_objects WHERE address = %s", (address,)
        ).rows
        integrations.update(None if row[0] is None else str(row[0]) for row in rows)
    return {
        WHOLE_CONFIG if name is None else INTEGRATION_SCOPE_PREFIX + name for name in integrations
    }


def ensure_state(execute: Execute) -> tuple[str, int]:
    """The lineage and serial; a new lineage at serial 0 on first use."""
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
