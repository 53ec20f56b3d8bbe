"""Lock scopes and the one "locked by" message both backends raise.

A scope is "*" (the whole config) or "integration:<name>"; "*" conflicts with every scope and two
integration scopes only with themselves, so runs on two different integrations go side by side
(plan-apply-anchors.md §3). The same scopes key the compare-and-swap of a write.
"""

from __future__ import annotations

from collections.abc import Sequence

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
