"""The SQLite state store: one file (default ``.reconciler/state.db``), single machine (SPEC §5).

The file is created atomically (built as a temporary file, then linked into place) with mode 0600
in a 0700 directory; SQLite gives its -wal and -shm files the same mode. WAL mode with
``synchronous=FULL``, so a committed journal intent survives a crash. Every write is a
``BEGIN IMMEDIATE`` transaction; the journal entries and record writes of concurrent threads
share one (group commit, :mod:`~reconciler.state.commit`). Locks are rows with a holder and a
heartbeat; a lock whose holder process is gone (same host) or whose heartbeat is older than
``stale_after`` is taken over (plan-apply-anchors.md §3 complaint 2).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

from reconciler.errors import CorruptStateError, LockError, StateError
from reconciler.state.clock import Clock, parse_iso, utc_now
from reconciler.state.identity import ci_run_url, current_host, current_user
from reconciler.state.locks import Heartbeat, lock_error, scopes_conflict, validate_scope
from reconciler.state.records import LockInfo
from reconciler.state.sql import SqlStore
from reconciler.state.tables import SCHEMA_VERSION, Execute, Result, upgrade_schema

_HEADER = b"SQLite format 3\x00"

_SCHEMA = (
    "CREATE TABLE reconciler_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE reconciler_state (id INTEGER PRIMARY KEY CHECK (id = 1), "
    "lineage TEXT NOT NULL, serial INTEGER NOT NULL)",
    "CREATE TABLE reconciler_objects (address TEXT PRIMARY KEY, kind TEXT NOT NULL, "
    "integration TEXT, remote_ids TEXT NOT NULL, applied TEXT NOT NULL, "
    "secret_fingerprints TEXT NOT NULL, remote_fingerprint TEXT NOT NULL, "
    "updated_at TEXT NOT NULL)",
    "CREATE TABLE reconciler_journal (id INTEGER PRIMARY KEY AUTOINCREMENT, "
    "run_id TEXT NOT NULL, address TEXT NOT NULL, step TEXT NOT NULL, intent TEXT NOT NULL, "
    "outcome TEXT, result TEXT, started_at TEXT NOT NULL, finished_at TEXT, resolution TEXT, "
    "resolved_at TEXT)",
    "CREATE TABLE reconciler_runs (id TEXT PRIMARY KEY, command TEXT NOT NULL, "
    "user_name TEXT NOT NULL, git_sha TEXT, plan_digest TEXT, started_at TEXT NOT NULL, "
    "finished_at TEXT, status TEXT, summary TEXT NOT NULL)",
    "CREATE TABLE reconciler_locks (id TEXT PRIMARY KEY, scope TEXT NOT NULL, "
    "user_name TEXT NOT NULL, host TEXT NOT NULL, pid INTEGER NOT NULL, run_url TEXT, "
    "started_at TEXT NOT NULL, heartbeat_at TEXT NOT NULL, operation TEXT NOT NULL)",
)
_LOCK_COLUMNS = "id, scope, user_name, host, pid, run_url, started_at, heartbeat_at, operation"


class SqliteStore(SqlStore):
    """A state store in one SQLite file. Thread-safe: one connection behind a lock."""

    def __init__(
        self,
        path: Path,
        *,
        heartbeat_interval: float = 5.0,
        stale_after: float = 60.0,
        poll_interval: float = 0.5,
        clock: Clock = utc_now,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        super().__init__(
            heartbeat_interval=heartbeat_interval,
            stale_after=stale_after,
            poll_interval=poll_interval,
            clock=clock,
            sleep=sleep,
        )
        self.path = Path(path)
        self.url = f"sqlite:///{self.path}"
        if not self.path.exists():
            _create(self.path)
        self._conn = _open_checked(self.path)
        _tighten_modes(self.path)

    # --- transactions --------------------------------------------------------------------

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[Execute]:
        with self._mutex:
            conn = self._conn
            execute = _executor(conn)
            try:
                conn.execute("BEGIN IMMEDIATE")
            except sqlite3.DatabaseError as exc:
                raise StateError(f"cannot write state {self.url}: {exc}") from exc
            try:
                yield execute
                conn.execute("COMMIT")
            except BaseException as exc:
                if conn.in_transaction:  # a failed COMMIT may leave it open
                    conn.execute("ROLLBACK")
                if isinstance(exc, sqlite3.Error):
                    raise StateError(f"cannot write state {self.url}: {exc}") from exc
                raise

    def close(self) -> None:
        with self._mutex:
            self._conn.close()

    # --- locks ---------------------------------------------------------------------------

    @contextlib.contextmanager
    def lock(
        self, scope: str, *, operation: str, timeout: float, run_url: str | None = None
    ) -> Iterator[LockInfo]:
        info = self._acquire(validate_scope(scope), operation, timeout, run_url or ci_run_url())
        heartbeat = Heartbeat(
            self.heartbeat_interval, lambda: self._beat(info.id), f"heartbeat {info.id}"
        )
        heartbeat.start()
        try:
            yield info
        finally:
            heartbeat.stop()
            with self._transaction() as execute:
                execute("DELETE FROM reconciler_locks WHERE id = %s", (info.id,))

    def _acquire(self, scope: str, operation: str, timeout: float, run_url: str | None) -> LockInfo:
        deadline = time.monotonic() + max(timeout, 0.0)
        took_over: list[str] = []
        while True:
            with self._transaction() as execute:
                blocking: list[LockInfo] = []
                for held in self._rows(execute):
                    if not scopes_conflict(scope, held.scope):
                        continue
                    reason = self._stale_reason(held)
                    if reason is None:
                        blocking.append(held)
                        continue
                    execute("DELETE FROM reconciler_locks WHERE id = %s", (held.id,))
                    took_over.append(f"{held.holder()} (lock {held.id}; {reason})")
                if not blocking:
                    now = self._now()
                    info = LockInfo(
                        id=str(uuid.uuid4()),
                        scope=scope,
                        user=current_user(),
                        host=current_host(),
                        pid=os.getpid(),
                        run_url=run_url,
                        started_at=now,
                        heartbeat_at=now,
                        operation=operation,
                        took_over="; ".join(took_over) or None,
                    )
                    execute(
                        f"INSERT INTO reconciler_locks ({_LOCK_COLUMNS}) "
                        "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                        (
                            info.id,
                            info.scope,
                            info.user,
                            info.host,
                            info.pid,
                            info.run_url,
                            info.started_at,
                            info.heartbeat_at,
                            info.operation,
                        ),
                    )
                    return info
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise lock_error(self.url, scope, blocking, timeout)
            self._sleep(min(self.poll_interval, remaining))

    def _beat(self, lock_id: str) -> bool:
        with self._transaction() as execute:
            updated = execute(
                "UPDATE reconciler_locks SET heartbeat_at = %s WHERE id = %s",
                (self._now(), lock_id),
            )
        return updated.rowcount == 1

    def locks(self) -> list[LockInfo]:
        with self._transaction() as execute:
            return sorted(self._rows(execute), key=lambda info: (info.scope, info.id))

    def unlock(self, lock_id: str, *, force: bool = False) -> LockInfo:
        with self._transaction() as execute:
            found = [info for info in self._rows(execute) if info.id == lock_id]
            if not found:
                raise LockError(f"no lock {lock_id} in state {self.url}")
            info = found[0]
            if not force and self._stale_reason(info) is None:
                # plan-apply-anchors.md §3 complaint 2: unlock refuses while the holder is alive.
                raise LockError(
                    f"lock {lock_id} on {info.scope} is held by {info.holder()} and its heartbeat "
                    f"is fresh ({info.heartbeat_at}); it is probably still running. "
                    "Use --force to remove it anyway."
                )
            execute("DELETE FROM reconciler_locks WHERE id = %s", (lock_id,))
        return info

    def _rows(self, execute: Execute) -> list[LockInfo]:
        rows = execute(f"SELECT {_LOCK_COLUMNS} FROM reconciler_locks").rows
        return [
            LockInfo(
                id=str(r[0]),
                scope=str(r[1]),
                user=str(r[2]),
                host=str(r[3]),
                pid=int(r[4]),
                run_url=None if r[5] is None else str(r[5]),
                started_at=str(r[6]),
                heartbeat_at=str(r[7]),
                operation=str(r[8]),
            )
            for r in rows
        ]

    def _stale_reason(self, info: LockInfo) -> str | None:
        """Why a held lock may be taken over, or None while its holder looks alive."""
        if info.host == current_host() and not _pid_alive(info.pid):
            return f"pid {info.pid} is no longer running on {info.host}"
        if self._clock() - parse_iso(info.heartbeat_at) > timedelta(seconds=self.stale_after):
            return f"no heartbeat since {info.heartbeat_at}"
        return None


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _create(path: Path) -> None:
    """Build the state in a private temporary file, then link it into place (never half-made)."""
    directory = path.parent
    if not directory.exists():
        directory.mkdir(parents=True, mode=0o700)
        directory.chmod(0o700)
    fd, tmp_name = tempfile.mkstemp(prefix=".state-", suffix=".tmp", dir=directory)  # 0600
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        conn = sqlite3.connect(tmp, isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("BEGIN")
            for statement in _SCHEMA:
                conn.execute(statement)
            conn.execute("INSERT INTO reconciler_meta (key, value) VALUES ('schema_version', '1')")
            upgrade_schema(_executor(conn), 1)
            conn.execute("COMMIT")
        finally:
            conn.close()
        with contextlib.suppress(FileExistsError):  # another process created it first
            os.link(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _open_checked(path: Path) -> sqlite3.Connection:
    """Open an existing state file read-write without creating anything; refuse a bad file."""
    _check_header(path)
    uri = f"file:{quote(str(path.resolve()))}?mode=rw"
    try:
        conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
    except sqlite3.DatabaseError as exc:
        raise CorruptStateError(f"cannot open state file {path}: {exc}") from exc
    try:
        conn.execute("PRAGMA busy_timeout = 30000")
        rows = conn.execute("SELECT value FROM reconciler_meta WHERE key = 'schema_version'")
        version_rows = rows.fetchall()
        check = conn.execute("PRAGMA quick_check").fetchall()
    except sqlite3.DatabaseError as exc:
        conn.close()
        if "no such table" in str(exc):
            raise CorruptStateError(
                f"{path} is an SQLite database but not a reconciler state file "
                "(no reconciler_meta table)"
            ) from exc
        raise CorruptStateError(f"state file {path} is corrupt: {exc}") from exc
    problem = _version_problem(path, version_rows)
    if problem is None and check != [("ok",)]:
        problem = f"state file {path} is corrupt: {'; '.join(str(r[0]) for r in check[:3])}"
    if problem is not None:
        conn.close()
        raise CorruptStateError(problem)
    conn.execute("PRAGMA synchronous = FULL")  # a committed journal intent survives power loss
    if int(version_rows[0][0]) < SCHEMA_VERSION:
        _upgrade(conn)
    return conn


def _upgrade(conn: sqlite3.Connection) -> None:
    conn.execute("BEGIN IMMEDIATE")
    try:
        execute = _executor(conn)
        rows = execute("SELECT value FROM reconciler_meta WHERE key = 'schema_version'").rows
        upgrade_schema(execute, int(rows[0][0]))  # read again: another process may have done it
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def _executor(conn: sqlite3.Connection) -> Execute:
    def execute(sql: str, params: Sequence[Any] = ()) -> Result:
        cursor = conn.execute(sql.replace("%s", "?"), tuple(params))
        return Result(rows=cursor.fetchall(), rowcount=cursor.rowcount)

    return execute


def _version_problem(path: Path, rows: list[Any]) -> str | None:
    if not rows or not str(rows[0][0]).isdigit():
        return f"state file {path} has no valid schema version"
    version = int(rows[0][0])
    if version > SCHEMA_VERSION:
        return (
            f"state file {path} has schema version {version}, newer than this reconciler "
            f"understands ({SCHEMA_VERSION}); upgrade reconciler"
        )
    return None


def _check_header(path: Path) -> None:
    """Not SQLite, or shorter than its header says (truncated): refuse before SQLite sees it."""
    with path.open("rb") as fh:
        header = fh.read(100)
    size = path.stat().st_size
    if len(header) < 100 or not header.startswith(_HEADER):
        raise CorruptStateError(f"{path} is not a reconciler state file (not an SQLite database)")
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big")
    if pages and size < page_size * pages:
        raise CorruptStateError(
            f"state file {path} is truncated: {size} bytes, its header says "
            f"{pages} pages of {page_size} bytes"
        )


def _tighten_modes(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        candidate = path.with_name(path.name + suffix)
        with contextlib.suppress(FileNotFoundError):
            if candidate.stat().st_mode & 0o077:
                candidate.chmod(0o600)
