"""State stores (SPEC §5): the interface in :mod:`reconciler.state.base`, SQLite and PostgreSQL."""

from __future__ import annotations

from reconciler.state.base import (
    DEFAULT_STATE_URL,
    WHOLE_CONFIG,
    JournalEntry,
    LockInfo,
    ObjectRecord,
    RunRecord,
    Snapshot,
    StateDump,
    StateStore,
    fingerprint,
    open_store,
)

__all__ = [
    "DEFAULT_STATE_URL",
    "WHOLE_CONFIG",
    "JournalEntry",
    "LockInfo",
    "ObjectRecord",
    "RunRecord",
    "Snapshot",
    "StateDump",
    "StateStore",
    "fingerprint",
    "open_store",
]
