"""The state store interface (SPEC §5) that plan and apply use and both backends implement.

The state is what this tool last wrote, with a lineage UUID and a serial; writes are
compare-and-swap on the serial (plan-apply-anchors.md §2.1, §4). Locks are per scope ("*" or
"integration:<name>"), visible (holder, run URL, heartbeat) and die with their holder
(plan-apply-anchors.md §3 complaints 2 and 9). A write-ahead journal records the intent of every
remote call before it is made and the outcome after (plan-apply-anchors.md §2.12, complaint 4).
Journal entries and writes of many threads are committed together (group commit); each call
returns once its change is committed, as if it had had a transaction of its own.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol

from reconciler.state.commit import Pending
from reconciler.state.records import (
    JournalEntry,
    LockInfo,
    ObjectRecord,
    RunRecord,
    Snapshot,
    StateDump,
)


class StateWriter(Protocol):
    """One run's compare-and-swap writes in sequence (:meth:`StateStore.writer`)."""

    serial: int  # the serial the last successful write left (at first: the one it was made with)

    def write(self, upserts: Sequence[ObjectRecord], removals: Sequence[str]) -> int:
        """Compare-and-swap against :attr:`serial`, as :meth:`StateStore.write`; the new
        serial. Threads may call it together: the writes are applied in the order they came."""
        ...


class StateStore(Protocol):
    """What plan and apply need from the state (SPEC §5)."""

    url: str  # display form, never a password

    def read(self) -> Snapshot:
        """The current snapshot; creates an empty state (new lineage, serial 0) on first use."""
        ...

    def write(
        self, expected_serial: int, upserts: Sequence[ObjectRecord], removals: Sequence[str]
    ) -> int:
        """Atomic compare-and-swap; raises StaleStateError when the serial moved. New serial."""
        ...

    def writer(self, serial: int) -> StateWriter:
        """Writes that each expect the serial the previous one left, the first ``serial``: an
        apply's writes, which its threads make concurrently and which commit together."""
        ...

    def scopes_written_since(self, serial: int) -> list[str]:
        """Lock scopes ('*', 'integration:<name>') written after ``serial``, sorted; a saved
        plan whose scopes do not conflict with these is still current."""
        ...

    def lock(
        self, scope: str, *, operation: str, timeout: float, run_url: str | None = None
    ) -> AbstractContextManager[LockInfo]:
        """Hold the lock for ``scope`` (polling up to ``timeout`` s); LockError names the holder."""
        ...

    def locks(self) -> list[LockInfo]:
        """Locks currently held, sorted by scope then id."""
        ...

    def unlock(self, lock_id: str, *, force: bool = False) -> LockInfo:
        """Remove a lock; refused while the holder's heartbeat is fresh unless ``force``."""
        ...

    def journal_intent(
        self, run_id: str, address: str, step: str, intent: Mapping[str, Any]
    ) -> int:
        """Record the intent durably (committed) BEFORE the remote call; returns the entry id."""
        ...

    def journal_outcome(
        self, entry_id: int, outcome: str, result: Mapping[str, Any] | None
    ) -> None: ...

    def journal_outcome_later(
        self, entry_id: int, outcome: str, result: Mapping[str, Any] | None
    ) -> Pending:
        """The outcome queued for the next flush, without waiting for it: any change submitted
        after it commits in the same flush or a later one, so once a later change has been
        waited for, this one is committed too (:meth:`Pending.wait` then returns at once, or
        raises what its flush raised). An outcome needs no wait of its own: a run killed before
        it commits leaves the intent pending, which the next plan resolves by reading the
        list, as it does for a run killed during the call."""
        ...

    def pending_journal(self) -> list[JournalEntry]:
        """Unresolved entries with no outcome or outcome 'unknown', oldest first."""
        ...

    def resolve_journal(self, entry_ids: Sequence[int], resolution: str) -> None: ...

    def begin_run(
        self, command: str, *, user: str, git_sha: str | None, plan_digest: str | None
    ) -> str: ...

    def end_run(self, run_id: str, status: str, summary: Mapping[str, int]) -> None: ...

    def runs(self, limit: int = 20) -> list[RunRecord]:
        """The newest runs first."""
        ...

    def secret_key(self) -> bytes:
        """$RECONCILER_STATE_KEY when set, else a random key stored once in the state."""
        ...

    def dump(self) -> StateDump:
        """Everything :mod:`reconciler.state.migrate` copies."""
        ...

    def restore(self, dump: StateDump) -> None:
        """Load a dump into this (empty) store; StateError when it already holds anything."""
        ...

    def close(self) -> None: ...
