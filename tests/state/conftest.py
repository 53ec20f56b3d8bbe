"""Store fixtures parametrised over both backends; PostgreSQL tests skip when it is unreachable."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pgtools import PG_ADMIN_URL, fresh_schema_url, needs_postgres

from reconciler.state.postgres import PostgresStore
from reconciler.state.sqlite import SqliteStore

Store = SqliteStore | PostgresStore
__all__ = ["PG_ADMIN_URL", "Backend", "needs_postgres"]


@dataclass
class Backend:
    """Opens stores on one backing database; every store opened is closed at teardown."""

    name: str
    url: str  # what open_store and subprocesses take
    factory: Callable[..., Store]
    opened: list[Store]

    def open(self, **options: Any) -> Store:
        options.setdefault("poll_interval", 0.02)
        store = self.factory(**options)
        self.opened.append(store)
        return store


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh schema per test, dropped afterwards."""
    with fresh_schema_url() as url:
        yield url


def _sqlite_backend(tmp_path: Path) -> Backend:
    path = tmp_path / ".reconciler" / "state.db"
    return Backend("sqlite", f"sqlite:///{path}", lambda **o: SqliteStore(path, **o), opened=[])


def _postgres_backend(url: str) -> Backend:
    return Backend("postgres", url, lambda **o: PostgresStore(url, **o), opened=[])


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    if request.param == "sqlite":
        made = _sqlite_backend(tmp_path)
    else:
        made = _postgres_backend(request.getfixturevalue("pg_url"))
    yield made
    for store in made.opened:
        store.close()


@pytest.fixture
def sqlite_backend(tmp_path: Path) -> Iterator[Backend]:
    made = _sqlite_backend(tmp_path)
    yield made
    for store in made.opened:
        store.close()


@pytest.fixture
def postgres_backend(pg_url: str) -> Iterator[Backend]:
    made = _postgres_backend(pg_url)
    yield made
    for store in made.opened:
        store.close()


# A separate process that takes a lock or writes a journal intent, says so, then waits to be
# killed with SIGKILL: nothing of ours runs after that (no finally, no atexit).
_CHILD = """
import sys, time
from pathlib import Path
from reconciler.state import open_store
store = open_store(sys.argv[1], base_dir=Path.cwd())
if sys.argv[2] == "lock":
    held = store.lock(sys.argv[3], operation="apply", timeout=30)
    print(held.__enter__().id, flush=True)
else:
    print(store.journal_intent("run-1", "integration.emea", "create", {"name": "emea"}), flush=True)
time.sleep(120)
"""


@dataclass
class Child:
    process: subprocess.Popen[str]
    said: str  # the first line it printed: a lock id or a journal entry id

    def kill(self) -> None:
        self.process.kill()
        self.process.wait()  # reaped: its pid no longer exists


@pytest.fixture
def child() -> Iterator[Callable[..., Child]]:
    started: list[subprocess.Popen[str]] = []

    def start(*args: str) -> Child:
        process = subprocess.Popen(
            [sys.executable, "-c", _CHILD, *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        started.append(process)
        assert process.stdout is not None
        line = process.stdout.readline().strip()
        if not line:
            process.kill()
            raise AssertionError(f"child failed: {process.communicate()[1]}")
        return Child(process, line)

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait()
