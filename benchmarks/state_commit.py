"""State-commit benchmark: journal entries and record writes per second from many threads.

    .venv/bin/python benchmarks/state_commit.py [--ops 600] [--threads 1,8,32]
        [--backends sqlite,postgres] [--call-ms 0] [--repeat 3]

Each thread does what an apply thread does for one op, ``--ops`` times in all (split between
the threads): ``journal_intent``, the remote call (``--call-ms`` of sleep; 0 by default, so the
store alone is measured), ``journal_outcome``, then ``write`` of the op's record
(compare-and-swap on the serial this thread last got; every thread writes its own integration,
so the scoped serial lets them all proceed, as an apply's integrations do). Those are three
entries per op. SQLite is a file in a temporary directory (WAL, ``synchronous=FULL``);
PostgreSQL is a fresh schema of the ``reconciler_bench`` database on 127.0.0.1:5432 (created
when missing).

Prints, per backend and thread count, the median of ``--repeat`` runs (by wall time): entries
per second (wall), the benchmark process's CPU seconds (all threads) beside the wall seconds,
the commits the database saw and commits per entry. Commits are counted by the database side
of each backend: SQLite's trace callback on the store's connection (every ``COMMIT``
statement), PostgreSQL's ``pg_stat_database.xact_commit`` of the benchmark database, less what
opening and closing a store costs. Asserts nothing; see docs/performance.md.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import psycopg
from table import table

from reconciler.state import ObjectRecord
from reconciler.state.postgres import PostgresStore
from reconciler.state.sqlite import SqliteStore

ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/test"
BENCH_DB = "reconciler_bench"
BENCH_URL = f"postgresql://postgres@127.0.0.1:5432/{BENCH_DB}"

Store = SqliteStore | PostgresStore


@dataclass(frozen=True)
class Figures:
    backend: str
    threads: int
    entries: int
    wall: float
    cpu: float
    commits: int

    def row(self) -> tuple[str, ...]:
        return (
            self.backend,
            str(self.threads),
            str(self.entries),
            f"{self.entries / self.wall:,.0f}",
            f"{self.wall:.2f} s",
            f"{self.cpu:.2f} s",
            str(self.commits),
            f"{self.commits / self.entries:.3f}",
        )


HEADER = (
    "backend",
    "threads",
    "entries",
    "entries/s",
    "wall",
    "CPU",
    "commits",
    "commits/entry",
)


def record(thread: int, index: int) -> ObjectRecord:
    name = f"bench-{thread:02d}"
    return ObjectRecord(
        address=f"integration.{name}.data_field.F{index:05d}",
        kind="data_field",
        integration=name,
        remote_ids={"dotmailer": f"F{index:05d}", "oro": str(index)},
        applied={"name": f"F{index:05d}", "type": "String", "default": "bronze"},
        secret_fingerprints={},
        remote_fingerprint="",
        updated_at="2026-12-01T00:00:00Z",
    )


def work(store: Store, thread: int, ops: int, serial: int, call_seconds: float) -> None:
    """One apply thread: intent, call, outcome, record, ``ops`` times."""
    for index in range(ops):
        address = f"integration.bench-{thread:02d}.data_field.F{index:05d}"
        entry = store.journal_intent("bench-run", address, "create", {"name": address})
        if call_seconds:
            time.sleep(call_seconds)
        store.journal_outcome(entry, "ok", {"id": index})
        serial = store.write(serial, [record(thread, index)], [])


def run(store: Store, threads: int, ops: int, call_seconds: float) -> tuple[float, float]:
    """Wall and CPU seconds of ``ops`` ops over ``threads`` threads."""
    serial = store.read().serial
    shares = [ops // threads + (1 if t < ops % threads else 0) for t in range(threads)]
    workers = [
        threading.Thread(target=work, args=(store, t, shares[t], serial, call_seconds))
        for t in range(threads)
    ]
    cpu, started = time.process_time(), time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return time.perf_counter() - started, time.process_time() - cpu


def sqlite_case(threads: int, ops: int, call_seconds: float) -> Figures:
    with tempfile.TemporaryDirectory() as tmp:
        store = SqliteStore(Path(tmp) / "state.db")
        commits = {"n": 0}

        def count(statement: str) -> None:
            if statement == "COMMIT":
                commits["n"] += 1

        try:
            store.read()
            # The store's connection (a private attribute: this measures it, it does not use it).
            store._conn.set_trace_callback(count)
            wall, cpu = run(store, threads, ops, call_seconds)
            store._conn.set_trace_callback(None)
            entries = _entries(store, ops)
        finally:
            store.close()
    return Figures("sqlite", threads, entries, wall, cpu, commits["n"] - 1)  # less run's read


def postgres_case(threads: int, ops: int, call_seconds: float) -> Figures:
    url = f"{BENCH_URL}?schema=bench_{time.time_ns()}"
    result: dict[str, float] = {}

    def session(ops: int) -> None:
        """Open, read, run ``ops`` ops (none: what opening and closing cost), check, close."""
        store = PostgresStore(url)
        try:
            result["wall"], result["cpu"] = run(store, threads, ops, call_seconds)
            result["entries"] = _entries(store, ops)
        finally:
            store.close()

    try:
        baseline = _xact_commits(lambda: session(0))
        commits = _xact_commits(lambda: session(ops)) - baseline
    finally:
        with psycopg.connect(url.split("?")[0], autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{url.split("schema=")[1]}" CASCADE')
    entries = int(result["entries"])
    return Figures("postgres", threads, entries, result["wall"], result["cpu"], commits)


def _entries(store: Store, ops: int) -> int:
    """Three entries per op; checks they all landed."""
    dump = store.dump()
    if len(dump.objects) != ops or len(dump.journal) != ops:
        raise SystemExit(f"lost entries: {len(dump.objects)} objects, {len(dump.journal)} journal")
    if any(entry.outcome != "ok" for entry in dump.journal):
        raise SystemExit("an outcome was not recorded")
    return 3 * ops


def _xact_commits(action: Callable[[], None]) -> int:
    """Commits of the benchmark database during ``action`` (its connections closed, so their
    statistics are flushed), read from another database once the counter stops moving."""
    before = _settled_count()
    action()
    return _settled_count() - before


def _settled_count() -> int:
    last = -1
    while True:
        with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
            row = conn.execute(
                "SELECT xact_commit FROM pg_stat_database WHERE datname = %s", (BENCH_DB,)
            ).fetchone()
        assert row is not None
        if int(row[0]) == last:
            return last
        last = int(row[0])
        time.sleep(0.6)


def ensure_bench_database() -> None:
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (BENCH_DB,))
        if found.fetchone() is None:
            conn.execute(f'CREATE DATABASE "{BENCH_DB}"')


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ops", type=int, default=600)
    parser.add_argument("--threads", default="1,8,32")
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--call-ms", type=float, default=0.0)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    cases = {"sqlite": sqlite_case, "postgres": postgres_case}
    backends = args.backends.split(",")
    if "postgres" in backends:
        ensure_bench_database()
    rows = [HEADER]
    for backend in backends:
        for threads in (int(t) for t in args.threads.split(",")):
            runs = [
                cases[backend](threads, args.ops, args.call_ms / 1000) for _ in range(args.repeat)
            ]
            rows.append(sorted(runs, key=lambda f: f.wall)[len(runs) // 2].row())
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
