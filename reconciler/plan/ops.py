"""Typed operations and the frozen Plan (STYLE.md: alembic ops, sqlmesh Plan).

An op is data: what will change, at which address, from which value to which, and why. Renderers
and the apply executor dispatch on the op's class with an exhaustive ``match``; nothing dispatches
on strings. Values in ``before``/``after`` are JSON-able and never hold a secret: a secret field
is listed in ``sensitive`` and its value is ``None`` on both sides (renderers show
``(sensitive)``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Literal

FORMAT_VERSION = "1.0"

Kind = Literal["owner", "integration", "data_field", "address_book", "mapping", "sync"]
KINDS: tuple[Kind, ...] = ("owner", "integration", "data_field", "address_book", "mapping", "sync")

_BARE = re.compile(r"^[A-Za-z0-9_-]+$")


def _segment(value: str) -> str:
    """``.name`` for plain names, ``["Any name"]`` otherwise (JSON-quoted)."""
    return f".{value}" if _BARE.match(value) else f"[{json.dumps(value, ensure_ascii=False)}]"


def address(kind: Kind, integration: str | None = None, key: str | None = None) -> str:
    """The stable, human-readable address of an object, Terraform style.

    ``owner.marketing-ops``, ``integration.emea``, ``integration.emea.data_field.LOYALTY``,
    ``integration.emea.address_book["Newsletter EMEA"]``, ``integration.emea.mapping.contact``,
    ``integration.emea.sync``. Segments that are not ``[A-Za-z0-9_-]+`` are JSON-quoted.
    """
    if kind == "owner":
        assert key is not None
        return f"owner{_segment(key)}"
    assert integration is not None
    base = f"integration{_segment(integration)}"
    if kind == "integration":
        return base
    if kind == "sync":
        return f"{base}.sync"
    assert key is not None
    return f"{base}.{kind}{_segment(key)}"


@dataclass(frozen=True)
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

    @property
    def is_change(self) -> bool:
        return True


@dataclass(frozen=True, kw_only=True)
class CreateOp(Op):
    action = "create"
    symbol = "+"
    steps: tuple[str, ...] = ()  # which sides to write, e.g. ("dotmailer", "oro")


@dataclass(frozen=True, kw_only=True)
class UpdateOp(Op):
    action = "update"
    symbol = "~"
    steps: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class ReplaceOp(Op):
    """Delete then create (dotmailer cannot update a data field). Destructive and gated."""

    action = "replace"
    symbol = "-/+"
    allowed: bool = False  # replaceOnChange on the field, or --allow-replace NAME


@dataclass(frozen=True, kw_only=True)
class DeleteOp(Op):
    action = "delete"
    symbol = "-"
    steps: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class AdoptOp(Op):
    """A live object that matches a desired one but is not in state: recorded, not recreated.

    ``changes`` may be non-empty when the adopted object also needs an update (for example a
    password, which no API returns, is always written on adopt).
    """

    action = "adopt"
    symbol = "="
    steps: tuple[str, ...] = ()


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


OP_TYPES: tuple[type[Op], ...] = (
    CreateOp,
    UpdateOp,
    ReplaceOp,
    DeleteOp,
    AdoptOp,
    ReadOp,
    SyncOp,
)
_BY_ACTION: dict[str, type[Op]] = {cls.action: cls for cls in OP_TYPES}


@dataclass(frozen=True)
class Drift:
    """Live differs from what this tool last applied (a change made by hand)."""

    address: str
    integration: str | None
    changes: tuple[FieldChange, ...]
    reverted: bool  # apply will set it back to the declared value


@dataclass(frozen=True)
class Plan:
    """Everything apply needs and everything a reviewer reads. Frozen and serialisable."""

    ops: tuple[Op, ...]
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
    format_version: str = FORMAT_VERSION

    @property
    def changes(self) -> tuple[Op, ...]:
        return tuple(op for op in self.ops if op.is_change)

    @property
    def has_changes(self) -> bool:
        return bool(self.changes) and not self.refresh_only

    def counts(self) -> dict[str, int]:
        """Number of ops per action, every action present (for summaries)."""
        result = {cls.action: 0 for cls in OP_TYPES}
        for op in self.ops:
            result[op.action] += 1
        return result


def paired_ops(old: Plan, new: Plan) -> Iterator[tuple[str, Op | None, Op | None]]:
    """Every address of either plan, sorted, with its op in each (None where absent): the
    walk both the stale-plan check and ``ci compare`` make."""
    before = {op.address: op for op in old.ops}
    after = {op.address: op for op in new.ops}
    for where in sorted(set(before) | set(after)):
        yield where, before.get(where), after.get(where)


# --- serialisation (saved plans) --------------------------------------------------------


def op_to_dict(op: Op) -> dict[str, Any]:
    data = asdict(op)
    data["action"] = op.action
    data["changes"] = [asdict(change) for change in op.changes]
    data["sensitive"] = list(op.sensitive)
    for key in ("steps",):
        if key in data:
            data[key] = list(data[key])
    return data


def op_from_dict(data: Mapping[str, Any]) -> Op:
    cls = _BY_ACTION[data["action"]]
    names = {f.name for f in fields(cls)}
    kwargs: dict[str, Any] = {k: v for k, v in data.items() if k in names}
    kwargs["changes"] = tuple(FieldChange(**c) for c in data.get("changes", ()))
    kwargs["sensitive"] = tuple(data.get("sensitive", ()))
    if "steps" in names:
        kwargs["steps"] = tuple(data.get("steps", ()))
    kwargs["remote_ids"] = dict(data.get("remote_ids", {}))
    return cls(**kwargs)


def plan_to_dict(plan: Plan) -> dict[str, Any]:
    return {
        "format_version": plan.format_version,
        "config_path": plan.config_path,
        "config_digest": plan.config_digest,
        "git_sha": plan.git_sha,
        "state_lineage": plan.state_lineage,
        "state_serial": plan.state_serial,
        "created_at": plan.created_at,
        "refresh_only": plan.refresh_only,
        "integrations": list(plan.integrations),
        "warnings": list(plan.warnings),
        "ops": [op_to_dict(op) for op in plan.ops],
        "drift": [
            {
                "address": d.address,
                "integration": d.integration,
                "changes": [asdict(c) for c in d.changes],
                "reverted": d.reverted,
            }
            for d in plan.drift
        ],
    }


def plan_from_dict(data: Mapping[str, Any]) -> Plan:
    return Plan(
        ops=tuple(op_from_dict(op) for op in data["ops"]),
        drift=tuple(
            Drift(
                address=d["address"],
                integration=d["integration"],
                changes=tuple(FieldChange(**c) for c in d["changes"]),
                reverted=d["reverted"],
            )
            for d in data.get("drift", ())
        ),
        warnings=tuple(data.get("warnings", ())),
        config_path=data.get("config_path", ""),
        config_digest=data.get("config_digest", ""),
        git_sha=data.get("git_sha"),
        state_lineage=data.get("state_lineage", ""),
        state_serial=int(data.get("state_serial", 0)),
        created_at=data.get("created_at", ""),
        refresh_only=bool(data.get("refresh_only", False)),
        integrations=tuple(data.get("integrations", ())),
        format_version=data.get("format_version", FORMAT_VERSION),
    )
