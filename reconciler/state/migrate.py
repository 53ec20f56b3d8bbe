"""Copy a state from one backend to another (e.g. a laptop's SQLite file to the team's PostgreSQL).

Lineage and serial are kept, so saved plans made against the source still match the target, and
so are the objects, the run log, the journal (pending intents must survive the move) and the
stored secret key (fingerprints would otherwise all look changed). A target that holds anything
is never overwritten.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from reconciler.errors import StateError
from reconciler.state import WHOLE_CONFIG, StateStore, open_store


@dataclass(frozen=True)
class MigrationResult:
    source: str  # display URLs, no passwords
    target: str
    lineage: str
    serial: int
    objects: int
    runs: int
    journal_entries: int


def migrate(
    source: StateStore, target: StateStore, *, lock_timeout: float = 0.0
) -> MigrationResult:
    """Copy ``source`` into the empty ``target`` while holding the whole-config lock of both."""
    if source.url == target.url:
        raise StateError(f"cannot migrate state {source.url} onto itself")
    with (
        source.lock(WHOLE_CONFIG, operation="state migrate", timeout=lock_timeout),
        target.lock(WHOLE_CONFIG, operation="state migrate", timeout=lock_timeout),
    ):
        dump = source.dump()
        target.restore(dump)
    return MigrationResult(
        source=source.url,
        target=target.url,
        lineage=dump.lineage,
        serial=dump.serial,
        objects=len(dump.objects),
        runs=len(dump.runs),
        journal_entries=len(dump.journal),
    )


def migrate_urls(
    source_url: str, target_url: str, *, base_dir: Path, lock_timeout: float = 0.0
) -> MigrationResult:
    source = open_store(source_url, base_dir=base_dir)
    try:
        target = open_store(target_url, base_dir=base_dir)
        try:
            return migrate(source, target, lock_timeout=lock_timeout)
        finally:
            target.close()
    finally:
        source.close()
