"""The decisions a plan is made with (prune, caps, allowances, scope)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PlanOptions:
    prune: bool = False
    max_deletes: int = 10
    allow_empty: bool = False
    allow_replace: frozenset[str] = frozenset()
    integrations: tuple[str, ...] = ()  # --integration scope; empty = all
    refresh_only: bool = False
