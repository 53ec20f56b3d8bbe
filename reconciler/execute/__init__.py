"""Apply: run a plan's ops through the providers, journaled into state.

``executor`` dispatches each op to its kind's module (``integrations``, ``data_fields``,
``address_books``, ``mappings``, ``syncs``); ``journal`` is the intent/call/outcome pattern they
all use; ``context`` holds what they share.
"""

from __future__ import annotations

from reconciler.execute.context import IntegrationSecrets, OpFailed
from reconciler.execute.executor import FAILED, OK, SKIPPED, ApplyResult, Executor, OpResult

__all__ = [
    "FAILED",
    "OK",
    "SKIPPED",
    "ApplyResult",
    "Executor",
    "IntegrationSecrets",
    "OpFailed",
    "OpResult",
]
