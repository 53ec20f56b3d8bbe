"""Lock scopes and what both backends share about locks: the scope rules, the heartbeat thread
and the one "locked by" message.

A scope is "*" (the whole config) or "integration:<name>"; "*" conflicts with every scope and two
integration scopes only with themselves, so runs on two different integrations go side by side
(plan-apply-anchors.md §3 complaint 9). The same scopes key the compare-and-swap of a write (§4).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

from reconciler.errors import LockError, StateError
from reconciler.state.records import LockInfo

WHOLE_CONFIG = "*"
INTEGRATION_SCOPE_PREFIX = "integration:"


def validate_scope(scope: str) -> str:
    """'*' or 'integration:<name>'; anything else is a programming error in the caller."""
    if scope == WHOLE_CONFIG:
        return scope
    if scope.startswith(INTEGRATION_SCOPE_PREFIX) and len(scope) > len(INTEGRATION_SCOPE_PREFIX):
        return scope
    raise StateError(f"invalid lock scope {scope!r}: use '*' or 'integration:<name>'")


def scopes_conflict(a: str, b: str) -> bool:
    """'*' conflicts with everything; two integration scopes only when they are the same."""
    return WHOLE_CONFIG in (a, b) or a == b


class Heartbeat:
    """A daemon thread calling ``beat`` every ``interval`` seconds until stopped.

    ``beat`` returns False when the lock is gone (unlocked by force); the thread then stops and
    ``lost`` tells the holder. Errors in a beat are retried at the next tick.
    """

    def __init__(self, interval: float, beat: Callable[[], bool], name: str) -> None:
        self._interval = interval
        self._beat = beat
        self._stop = threading.Event()
        self.lost = False
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                if not self._beat():
                    self.lost = True
                    return
            except Exception:  # a busy database or a dropped connection: try at the next tick
                continue


def lock_error(url: str, scope: str, blocking: Sequence[LockInfo], timeout: float) -> LockError:
    """The one message for a lock we could not get: every holder, with what to do next."""
    holders = "; ".join(
        f"{info.holder()} (lock {info.id} on {info.scope}, heartbeat {info.heartbeat_at})"
        for info in sorted(blocking, key=lambda i: (i.scope, i.id))
    )
    return LockError(
        f"state {url} is locked for {scope} by {holders or 'another session'}; "
        f"gave up after {timeout:g}s. Wait with --lock-timeout, or run "
        "`reconciler state unlock ID` if the holder is gone."
    )
