"""State stores (SPEC §5): open one by URL with :func:`open_store`; the names plan, apply and the
CLI use.

The layers, bottom up: :mod:`~reconciler.state.records` (what a state holds),
:mod:`~reconciler.state.store` (the interface), :mod:`~reconciler.state.locks`,
:mod:`~reconciler.state.identity`, :mod:`~reconciler.state.clock` and
:mod:`~reconciler.state.urls`; then the shared tables (:mod:`~reconciler.state.tables`) and SQL
(:mod:`~reconciler.state.sql`), and the two backends, :mod:`~reconciler.state.sqlite` and
:mod:`~reconciler.state.postgres`. Only this module knows the backends;
:mod:`~reconciler.state.migrate` copies a state from one to the other.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from reconciler.errors import ConfigError
from reconciler.state.identity import STATE_KEY_ENV, current_user, fingerprint
from reconciler.state.locks import WHOLE_CONFIG
from reconciler.state.records import (
    JournalEntry,
    LockInfo,
    ObjectRecord,
    RunRecord,
    Snapshot,
    StateDump,
)
from reconciler.state.store import StateStore
from reconciler.state.urls import DEFAULT_STATE_URL, display_url, environment_url, sqlite_path

__all__ = [
    "DEFAULT_STATE_URL",
    "STATE_KEY_ENV",
    "WHOLE_CONFIG",
    "JournalEntry",
    "LockInfo",
    "ObjectRecord",
    "RunRecord",
    "Snapshot",
    "StateDump",
    "StateStore",
    "current_user",
    "environment_url",
    "fingerprint",
    "open_store",
]


def open_store(url: str, *, base_dir: Path) -> StateStore:
    """Open the store a URL names: 'sqlite:///rel/or/abs.db' (relative to ``base_dir``) or
    'postgresql://user@host:port/db?schema=name'."""
    # The backends are imported here, not at the top, so a run on SQLite never loads psycopg
    # (about 0.1 s of start-up) and importing a record type loads no backend.
    scheme = urlsplit(url).scheme.lower()
    if scheme == "sqlite":
        from reconciler.state.sqlite import SqliteStore

        return SqliteStore(sqlite_path(url, base_dir=base_dir))
    if scheme in ("postgresql", "postgres"):
        from reconciler.state.postgres import PostgresStore

        return PostgresStore(url)
    raise ConfigError(
        f"unsupported state URL {display_url(url)!r}: use sqlite:///PATH or postgresql://..."
    )
