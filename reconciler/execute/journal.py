"""The journal pattern, written once: intent -> call -> outcome, and "outcome unknown" resolved
by reading the list.

Every remote call writes its intent to the state's journal before it is made and its outcome
after, so a crash at any point leaves enough behind for the next run to adopt what was made
instead of making it again (dotdigital-api-v2.md §4, "Idempotency: none").

Only the intent is waited for: it must be committed before the call. The outcome is queued
(``journal_outcome_later``) and commits with the next change anyone waits for; the op's next
intent or its record write, each submitted after it, cannot commit before it. Before an op is
reported, :meth:`Journal.flush` waits for what is still queued, so nothing is reported that is
not durable. A kill before an outcome commits leaves its intent pending, as a kill during the
call does, and the next plan resolves it from the live list.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from reconciler.errors import AuthenticationError, NotFoundError, OutcomeUnknownError, RemoteError
from reconciler.state import StateStore
from reconciler.state.commit import Pending

T = TypeVar("T")


class Journal:
    """One apply's journal in the state store."""

    def __init__(self, store: StateStore, run_id: str) -> None:
        self.store = store
        self.run_id = run_id
        self._queued = threading.local()  # each thread's outcomes not yet waited for

    def _outcome(self, entry: int, outcome: str, result: Mapping[str, Any] | None) -> None:
        pending: list[Pending] = self._queued.__dict__.setdefault("pending", [])
        pending.append(self.store.journal_outcome_later(entry, outcome, result))

    def flush(self) -> None:
        """Wait until this thread's queued outcomes are committed; raise the first failure."""
        pending: list[Pending] = self._queued.__dict__.setdefault("pending", [])
        taken = pending[:]
        pending.clear()
        for ticket in taken:
            ticket.wait()

    def call(
        self,
        address: str,
        step: str,
        intent: Mapping[str, Any],
        call: Callable[[], T],
        find: Callable[[], T | None] | None = None,
    ) -> T:
        """Journal, call, journal. When a create's outcome is unknown (connection dropped
        after the request was sent), or it answers "already exists", or it fails after the
        client retried it (a 5xx whose change was in fact saved makes the retry a uniqueness
        error), ``find`` reads the list to learn whether the change happened, so nothing is
        made twice and nothing made is reported as failed."""
        entry = self.store.journal_intent(self.run_id, address, str(step), dict(intent))
        try:
            result = call()
        except RemoteError as exc:
            unknown = isinstance(exc, OutcomeUnknownError)
            found = None
            if find is not None and not isinstance(exc, AuthenticationError):
                found = find()
            if found is None:
                self._outcome(entry, "unknown" if unknown else "failed", {"error": str(exc)})
                raise
            # The answer did not say what happened; the list did.
            self._outcome(entry, "unknown", {"error": str(exc)})
            self.store.resolve_journal([entry], "found in the live list")
            return found
        except Exception as exc:
            self._outcome(entry, "failed", {"error": str(exc)})
            raise
        self._outcome(entry, "ok", None)
        return result

    def owe(self, address: str, step: str, intent: Mapping[str, Any]) -> int:
        """An intent with no call of its own (the sync an integration's ops end with)."""
        return self.store.journal_intent(self.run_id, address, str(step), dict(intent))

    def settle(self, entry: int) -> None:
        self.store.journal_outcome(entry, "ok", None)


def ignore_missing(call: Callable[[], object]) -> Callable[[], None]:
    """``call`` as a delete whose object may already be gone: that delete has done its job
    (a resumed apply)."""

    def run() -> None:
        try:
            call()
        except NotFoundError:
            return

    return run
