"""Group commit: the state changes of many threads flushed together, in one transaction.

A change (a journal intent or outcome, a resolution, a record write) is submitted as *work*: a
function of the transaction's ``Execute``. Whoever waits first while no flush is running becomes
the committer: it takes every change waiting, runs them in submission order in one transaction,
each inside its own savepoint (a change alone needs none), and commits; the others wait. Every
caller returns (or raises) only once the transaction that holds its change has committed, so a
change is as durable when its call returns as it was with a transaction of its own: an intent
is still committed before its remote call. While one flush commits, the next changes queue up,
so under load one commit carries many; a lone caller commits alone, without waiting for
company.

A change that fails on its own (it raises a :class:`~reconciler.errors.ReconcilerError`: a
stale serial, an unknown journal entry) is rolled back to its savepoint and raises in its
caller; the rest of the flush commits. A flush that fails (the database refuses a statement or
the commit, or anything else goes wrong) is rolled back whole and fails every caller in it:
nothing of it is half-written, and each change's ``undo`` puts back what it changed in memory.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any, Generic, Protocol, TypeVar, cast

from reconciler.errors import ReconcilerError
from reconciler.state.tables import Execute

T = TypeVar("T")


class Pending(Protocol):
    """A submitted change not yet waited for."""

    def wait(self) -> object:
        """Block until the flush holding the change has committed; raise what it raised."""
        ...


class Ticket(Generic[T]):
    """One submitted change; :meth:`wait` returns its result once it is committed."""

    def __init__(
        self,
        committer: GroupCommit,
        work: Callable[[Execute], T],
        undo: Callable[[], None] | None,
    ) -> None:
        self.work = work
        self.undo = undo
        self._committer = committer
        self.done = False
        self.atomic = False  # needs no savepoint (GroupCommit.submit)
        self.waiting = False  # its caller sleeps on ``wake`` (set when done or when its turn)
        self.wake = threading.Event()
        self.result: T | None = None
        self.error: BaseException | None = None

    def wait(self) -> T:
        """Block until the flush holding this change has committed (or failed)."""
        self._committer.wait_for(self)
        if self.error is not None:
            raise self.error
        return cast(T, self.result)


class GroupCommit:
    """Flushes submitted changes in batches through ``transaction`` (one per flush)."""

    def __init__(self, transaction: Callable[[], AbstractContextManager[Execute]]) -> None:
        self._transaction = transaction
        self._lock = threading.Lock()
        self._queue: list[Ticket[Any]] = []
        self._flushing = False

    def submit(
        self,
        work: Callable[[Execute], T],
        undo: Callable[[], None] | None = None,
        *,
        atomic: bool = False,
    ) -> Ticket[T]:
        """Queue a change for the next flush; ``undo`` reverts what ``work`` changed in memory
        when its flush fails. ``atomic``: the change is one statement, or raises its
        ReconcilerError before it writes anything, so it needs no savepoint of its own (two
        statements fewer; a journal entry's insert or outcome)."""
        ticket = Ticket(self, work, undo)
        ticket.atomic = atomic
        with self._lock:
            self._queue.append(ticket)
        return ticket

    def run(
        self,
        work: Callable[[Execute], T],
        undo: Callable[[], None] | None = None,
        *,
        atomic: bool = False,
    ) -> T:
        """Submit and wait: the change, committed."""
        return self.submit(work, undo, atomic=atomic).wait()

    def wait_for(self, ticket: Ticket[Any]) -> None:
        """Wait until ``ticket`` is done, flushing the queue when no one else is. A caller
        sleeps on its own event; a flush ends by waking its own callers and the first sleeper
        still queued, who flushes next (waking all of them, 32 threads for each flush, cost
        more CPU under the GIL than the flushes)."""
        while True:
            with self._lock:
                if ticket.done:
                    return
                if not self._flushing:
                    # Not done and no flush running: the ticket is in the queue; take it all.
                    batch, self._queue = self._queue, []
                    self._flushing = True
                    break
                ticket.waiting = True
                ticket.wake.clear()
            ticket.wake.wait()
        try:
            self._flush(batch)
        finally:
            with self._lock:
                for queued in batch:
                    queued.done = True
                self._flushing = False
                after = next((queued for queued in self._queue if queued.waiting), None)
            for queued in batch:
                if queued.waiting:
                    queued.wake.set()
            if after is not None:
                after.wake.set()

    def _flush(self, batch: list[Ticket[Any]]) -> None:
        ran: list[Ticket[Any]] = []
        alone = len(batch) == 1  # then its own failure may roll back the whole transaction
        try:
            with self._transaction() as execute:
                for ticket in batch:
                    if alone:
                        ticket.result = ticket.work(execute)
                        ran.append(ticket)
                        continue
                    if ticket.atomic:  # fails before it writes, if at all: no savepoint
                        try:
                            ticket.result = ticket.work(execute)
                        except ReconcilerError as exc:
                            ticket.error = exc
                        else:
                            ran.append(ticket)
                        continue
                    execute("SAVEPOINT change")
                    try:
                        ticket.result = ticket.work(execute)
                    except ReconcilerError as exc:  # this change alone fails
                        execute("ROLLBACK TO SAVEPOINT change")
                        ticket.error = exc
                    else:
                        ran.append(ticket)
                    execute("RELEASE SAVEPOINT change")
        except BaseException as exc:
            for ticket in reversed(ran):
                if ticket.undo is not None:
                    ticket.undo()
            for ticket in batch:
                ticket.result, ticket.error = None, exc
