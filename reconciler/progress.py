"""What long work says while it runs: the observer the library tells and the CLI shows.

The library never prints. Refresh, apply, the HTTP retry policy, the rate limiter and
``sync --wait`` tell the observer of the run what they are doing; the default does nothing.
``reconciler.cli.display`` supplies the two real ones: a rich display on a terminal, and one
plain line at most every 10 s elsewhere (CI logs). Observers are called from many threads
(refresh and apply are concurrent) and must be thread-safe::

    with observing(observer):          # the CLI, around one command
        current().begin(APPLY, total=len(plan.ops))
        current().advance(APPLY, failed=False)
        current().waiting(12.0, "for apiuser-emea@…'s rate limit")
        current().status(SYNC, "job 12: running (40%)")
        current().end(APPLY)
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Final, Protocol

__all__ = [
    "APPLY",
    "REFRESH",
    "SYNC",
    "NullObserver",
    "Observer",
    "account_name",
    "current",
    "observing",
]

# The tasks long work reports, and what their units are called.
REFRESH: Final = "refresh"  # dotmailer accounts (integrations) read
APPLY: Final = "apply"  # operations done
SYNC: Final = "sync"  # an Oro sync job waited for


class Observer(Protocol):
    def begin(self, task: str, total: int) -> None:
        """``task`` starts: ``total`` units to do."""

    def advance(self, task: str, *, failed: bool = False) -> None:
        """One unit of ``task`` is done (and failed, when ``failed``)."""

    def end(self, task: str) -> None:
        """``task`` is over, whether every unit was done or not."""

    def waiting(self, seconds: float, why: str) -> None:
        """A thread is about to sleep ``seconds``; ``why`` completes "waiting N s …"."""

    def status(self, task: str, text: str) -> None:
        """A free-form state of ``task`` (a sync job's status and progress)."""


class NullObserver:
    """The default: says nothing."""

    def begin(self, task: str, total: int) -> None:
        pass

    def advance(self, task: str, *, failed: bool = False) -> None:
        pass

    def end(self, task: str) -> None:
        pass

    def waiting(self, seconds: float, why: str) -> None:
        pass

    def status(self, task: str, text: str) -> None:
        pass


_NULL: Final = NullObserver()
_current: Observer = _NULL


def current() -> Observer:
    """The observer of the running command (the no-op one outside :func:`observing`)."""
    return _current


@contextmanager
def observing(observer: Observer) -> Iterator[Observer]:
    """Install ``observer`` for the whole process while the block runs (the worker threads of
    refresh and apply report to it too), then restore the previous one."""
    global _current
    previous, _current = _current, observer
    try:
        yield observer
    finally:
        _current = previous


def account_name(username: str) -> str:
    """A dotmailer API user as a wait names it: ``apiuser-emea@…`` (the address is not a
    secret, but its domain is the same for every API user: apiconnector.com)."""
    local, at, _ = username.partition("@")
    return f"{local}@…" if at else username
