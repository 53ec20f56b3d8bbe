"""Typed operations and the frozen Plan (STYLE.md: alembic ops, sqlmesh Plan).

An op is data: what will change, at which address, from which value to which, and why. A change
op carries its *work* (:mod:`reconciler.plan.steps`): the typed spec of its kind and the steps
apply runs. Renderers and the executor dispatch on the op's class and the work's type with
exhaustive ``match`` statements; nothing dispatches on strings.

``before``/``after`` are the reviewer's view, JSON-able: for a change op they are its spec's
values (the live or last-applied values for ``before``), so what is shown is what runs. They
never hold a secret: a secret field is listed in ``sensitive`` and has no value on either side
(renderers show ``(sensitive)``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from reconciler.plan.steps import Kind, Step, Work

KINDS: tuple[Kind, ...] = tuple(Kind)

_BARE = re.compile(r"^[A-Za-z0-9_-]+$")


@lru_cache(maxsize=8192)  # a pure function of its text; names repeat across integrations
def _segment(value: str) -> str:
    """``.name`` for plain names, ``["Any name"]`` otherwise (JSON-quoted)."""
    return f".{value}" if _BARE.match(value) else f"[{json.dumps(value, ensure_ascii=False)}]"


def address(kind: Kind, integration: str | None = None, key: str | None = None) -> str:
    """The stable, human-readable address of an object, Terraform style.

    ``owner.marketing-ops``, ``integration.emea``, ``integration.emea.data_field.LOYALTY``,
    ``integration.emea.address_book["Newsletter EMEA"]``, ``integration.emea.mapping.contact``,
    ``integration.emea.sync``. Segments that are not ``[A-Za-z0-9_-]+`` are JSON-quoted.
    """
    if kind == Kind.OWNER:
        assert key is not None
        return f"owner{_segment(key)}"
    assert integration is not None
    base = f"integration{_segment(integration)}"
    if kind == Kind.INTEGRATION:
        return base
    if kind == Kind.SYNC:
        return f"{base}.sync"
    assert key is not None
    return f"{base}.{kind}{_segment(key)}"


@dataclass(frozen=True, slots=True)  # slots: a 38,000-op plan holds ~270,000 of these
class FieldChange:
    """One declared field whose value changes. ``sensitive`` fields carry no values.

    ``forces_replacement`` marks a field that cannot change in place (dotmailer has no
    data-field update): renderers show ``# forces replacement`` and JSON ``replace_paths``.
    """

    field: str
    before: Any
    after: Any
    sensitive: bool = False
    forces_replacement: bool = False


@dataclass(frozen=True, kw_only=True)
class Op:
    """Fields every operation has. Use the subclasses; ``Op`` itself is never planned."""

    address: str
    kind: Kind
    integration: str | None
    reason: str  # a stable reason code, e.g. "not_in_state", "config_changed", "drift"
    before: Mapping[str, Any] | None = None
    after: Mapping[str, Any] | None = None
    changes: tuple[FieldChange, ...] = ()
    sensitive: tuple[str, ...] = ()  # names of fields whose values are secret
    remote_ids: Mapping[str, str] = field(default_factory=dict)
    remote_fingerprint: str = ""  # the live object this op was planned against ("" = absent)
    previous_address: str | None = None
    blocked: str | None = None  # why apply will refuse this op; shown in the plan

    action = "no-op"
    symbol = " "

    def __post_init__(self) -> None:
        if not isinstance(self.kind, Kind):
            object.__setattr__(self, "kind", Kind(self.kind))

    @property
    def is_change(self) -> bool:
        return True


@dataclass(frozen=True, kw_only=True)
class ChangeOp(Op):
    """An op that writes: its ``work`` says what to write and how. ``work`` is None only for an
    op built by hand to be shown (apply refuses it)."""

    work: Work | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.work is None:
            return
        if self.work.kind != self.kind:
            raise ValueError(f"{self.address}: a {self.kind} op cannot carry {self.work.kind} work")
        self._show(self.work)

    def _show(self, work: Work) -> None:
        """The work's values are what the op shows as ``after`` (unless given)."""
        if self.after is None:
            object.__setattr__(self, "after", work.spec.values())

    @property
    def steps(self) -> tuple[Step, ...]:
        """The remote calls apply makes, in order."""
        return self.work.steps if self.work is not None else ()


@dataclass(frozen=True, kw_only=True)
class CreateOp(ChangeOp):
    action = "create"
    symbol = "+"


@dataclass(frozen=True, kw_only=True)
class UpdateOp(ChangeOp):
    action = "update"
    symbol = "~"


@dataclass(frozen=True, kw_only=True)
class ReplaceOp(ChangeOp):
    """Delete then create (dotmailer cannot update a data field). Destructive and gated."""

    action = "replace"
    symbol = "-/+"
    allowed: bool = False  # replaceOnChange on the field, or --allow-replace NAME


@dataclass(frozen=True, kw_only=True)
class DeleteOp(ChangeOp):
    """Remove an object this tool made. Its work's spec is the object as last applied, and
    ``before`` shows it (a delete has no ``after``)."""

    action = "delete"
    symbol = "-"

    def _show(self, work: Work) -> None:
        if self.before is None:
            object.__setattr__(self, "before", work.spec.values())


@dataclass(frozen=True, kw_only=True)
class AdoptOp(ChangeOp):
    """A live object that matches a desired one but is not in state: recorded, not recreated.

    ``changes`` may be non-empty when the adopted object also needs an update (for example a
    password, which no API returns, is always written on adopt).
    """

    action = "adopt"
    symbol = "="


@dataclass(frozen=True, kw_only=True)
class ReadOp(Op):
    """An owner resolved through Oro (read, never created)."""

    action = "read"
    symbol = "<="

    @property
    def is_change(self) -> bool:
        return False


@dataclass(frozen=True, kw_only=True)
class SyncOp(Op):
    """Schedule an Oro sync for an integration whose configuration changed."""

    action = "sync"
    symbol = ">"
    connector: str | None = None
    force: bool = False


AnyOp = CreateOp | UpdateOp | ReplaceOp | DeleteOp | AdoptOp | ReadOp | SyncOp

OP_TYPES: tuple[type[AnyOp], ...] = (
    CreateOp,
    UpdateOp,
    ReplaceOp,
    DeleteOp,
    AdoptOp,
    ReadOp,
    SyncOp,
)
BY_ACTION: dict[str, type[AnyOp]] = {cls.action: cls for cls in OP_TYPES}


@dataclass(frozen=True)
class Drift:
    """Live differs from what this tool last applied (a change made by hand)."""

    address: str
    integration: str | None
    changes: tuple[FieldChange, ...]
    reverted: bool  # apply will set it back to the declared value
    gone: bool = False  # deleted outside reconciler: apply re-creates it


@dataclass(frozen=True)
class Plan:
    """Everything apply needs and everything a reviewer reads. Frozen and serialisable."""

    ops: tuple[AnyOp, ...]
    drift: tuple[Drift, ...] = ()
    warnings: tuple[str, ...] = ()
    config_path: str = ""
    config_digest: str = ""
    git_sha: str | None = None
    state_lineage: str = ""
    state_serial: int = 0
    created_at: str = ""
    refresh_only: bool = False
    integrations: tuple[str, ...] = ()  # the --integration scope; empty = all
    environment: str | None = None  # the --env the plan was made in (docs/environments.md)

    @property
    def changes(self) -> tuple[AnyOp, ...]:
        return tuple(op for op in self.ops if op.is_change)

    @property
    def has_changes(self) -> bool:
        # any(), not bool(self.changes): renderers ask often, and the first op usually answers
        return not self.refresh_only and any(op.is_change for op in self.ops)

    def counts(self) -> dict[str, int]:
        """Number of ops per action, every action present (for summaries)."""
        result = {cls.action: 0 for cls in OP_TYPES}
        for op in self.ops:
            result[op.action] += 1
        return result


def paired_ops(old: Plan, new: Plan) -> Iterator[tuple[str, AnyOp | None, AnyOp | None]]:
    """Every address of either plan, sorted, with its op in each (None where absent): the
    walk both the stale-plan check and ``ci compare`` make."""
    before = {op.address: op for op in old.ops}
    after = {op.address: op for op in new.ops}
    for where in sorted(set(before) | set(after)):
        yield where, before.get(where), after.get(where)
