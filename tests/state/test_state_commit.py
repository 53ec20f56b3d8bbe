"""The group committer (reconciler.state.commit) on its own: batches, order, failures.

The transaction here is a recorder of statements, not a database: what is under test is which
changes share a transaction, in what order, and who learns of a failure. The same committer
against SQLite and PostgreSQL is in test_state_group_commit.py.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest

from reconciler.errors import StaleStateError
from reconciler.state.commit import GroupCommit, Ticket
from reconciler.state.tables import Execute, Result


class Recorder:
    """A transaction factory that records each transaction's statements. A transaction can be
    held at its start (``hold``) and its commit refused (``refuse``), by its number."""

    def __init__(self) -> None:
        self.transactions: list[list[str]] = []
        self.started = threading.Event()
        self.hold: dict[int, threading.Event] = {}
        self.refuse: set[int] = set()

    @contextmanager
    def transaction(self) -> Iterator[Execute]:
        number = len(self.transactions)
        statements = ["BEGIN"]
        self.transactions.append(statements)
        self.started.set()
        if number in self.hold:
            assert self.hold[number].wait(10)

        def execute(sql: str, params: object = ()) -> Result:
            statements.append(sql)
            return Result(rows=[], rowcount=1)

        try:
            yield execute
            if number in self.refuse:
                raise OSError(5, "disk I/O error")
            statements.append("COMMIT")
        except BaseException:
            statements.append("ROLLBACK")
            raise


def change(name: str) -> Callable[[Execute], str]:
    def work(execute: Execute) -> str:
        execute(f"change {name}")
        return name

    return work


def stale(name: str) -> Callable[[Execute], str]:
    def work(execute: Execute) -> str:
        execute(f"change {name}")
        raise StaleStateError(f"{name} is stale")

    return work


def in_savepoint(name: str) -> list[str]:
    return ["SAVEPOINT change", f"change {name}", "RELEASE SAVEPOINT change"]


def test_many_threads_waiting_together_share_one_flush_in_submission_order() -> None:
    recorder = Recorder()
    committer = GroupCommit(recorder.transaction)
    submitted: list[str] = []
    order = threading.Lock()
    ready = threading.Barrier(32)
    results: dict[str, str] = {}

    def caller(name: str) -> None:
        with order:
            ticket = committer.submit(change(name))
            submitted.append(name)
        ready.wait()  # every change is queued before anyone waits
        results[name] = ticket.wait()

    threads = [threading.Thread(target=caller, args=(f"c{i:02d}",)) for i in range(32)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert recorder.transactions == [
        ["BEGIN", *(s for name in submitted for s in in_savepoint(name)), "COMMIT"]
    ]
    assert results == {f"c{i:02d}": f"c{i:02d}" for i in range(32)}


def test_changes_arriving_during_a_flush_wait_for_it_then_go_in_the_next() -> None:
    recorder = Recorder()
    recorder.hold[0] = threading.Event()
    committer = GroupCommit(recorder.transaction)
    results: dict[str, str] = {}

    def wait(name: str, ticket: Ticket[str]) -> threading.Thread:
        thread = threading.Thread(target=lambda: results.__setitem__(name, ticket.wait()))
        thread.start()
        return thread

    first = wait("a", committer.submit(change("a")))
    assert recorder.started.wait(10)  # the first flush has begun, and is held
    later = [wait(name, committer.submit(change(name))) for name in ("b", "c", "d")]
    assert results == {}  # nobody returns before their flush has committed
    recorder.hold[0].set()
    for thread in (first, *later):
        thread.join()

    assert recorder.transactions == [
        ["BEGIN", "change a", "COMMIT"],
        ["BEGIN", *in_savepoint("b"), *in_savepoint("c"), *in_savepoint("d"), "COMMIT"],
    ]
    assert results == {"a": "a", "b": "b", "c": "c", "d": "d"}


def test_a_failed_flush_fails_every_change_in_it_and_undoes_them_newest_first() -> None:
    recorder = Recorder()
    recorder.refuse.add(1)
    committer = GroupCommit(recorder.transaction)
    undone: list[str] = []
    first = committer.submit(change("a"))
    first.wait()
    tickets = [
        committer.submit(change(name), functools.partial(undone.append, name))
        for name in ("b", "c", "d")
    ]
    after = committer.submit(change("e"))

    with pytest.raises(OSError) as failed:
        tickets[0].wait()  # flushes b, c, d and e together: the commit is refused
    for ticket in (*tickets[1:], after):
        with pytest.raises(OSError) as also:
            ticket.wait()
        assert also.value is failed.value
    assert str(failed.value) == "[Errno 5] disk I/O error"
    assert undone == ["d", "c", "b"]
    assert committer.run(change("f")) == "f"  # the next flush is a fresh transaction
    assert recorder.transactions == [
        ["BEGIN", "change a", "COMMIT"],
        ["BEGIN", *(s for n in "bcde" for s in in_savepoint(n)), "ROLLBACK"],
        ["BEGIN", "change f", "COMMIT"],
    ]


def test_a_change_that_fails_on_its_own_is_rolled_back_to_its_savepoint_alone() -> None:
    recorder = Recorder()
    committer = GroupCommit(recorder.transaction)
    undone: list[str] = []
    good = committer.submit(change("a"))
    bad = committer.submit(stale("b"), lambda: undone.append("b"))
    also_good = committer.submit(change("c"))

    assert good.wait() == "a"
    with pytest.raises(StaleStateError) as caught:
        bad.wait()
    assert str(caught.value) == "b is stale"
    assert also_good.wait() == "c"
    assert undone == []  # it committed nothing, so there is nothing to put back
    assert recorder.transactions == [
        [
            "BEGIN",
            *in_savepoint("a"),
            "SAVEPOINT change",
            "change b",
            "ROLLBACK TO SAVEPOINT change",
            "RELEASE SAVEPOINT change",
            *in_savepoint("c"),
            "COMMIT",
        ]
    ]


def test_a_change_alone_needs_no_savepoint_and_its_failure_rolls_back_its_transaction() -> None:
    recorder = Recorder()
    committer = GroupCommit(recorder.transaction)

    assert committer.run(change("a")) == "a"
    with pytest.raises(StaleStateError) as caught:
        committer.run(stale("b"))

    assert str(caught.value) == "b is stale"
    assert recorder.transactions == [
        ["BEGIN", "change a", "COMMIT"],
        ["BEGIN", "change b", "ROLLBACK"],
    ]
