"""What the three renderers share: reason words, secret masking, field rows, the summary line.

One piece of code serves text, JSON and Markdown (STYLE.md habit 8), so what is masked or counted
in one output is masked or counted the same way in the others.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from reconciler.plan.nested import ABSENT, moved
from reconciler.plan.ops import (
    AdoptOp,
    CreateOp,
    DeleteOp,
    FieldChange,
    Op,
    Plan,
    ReadOp,
    ReplaceOp,
    SyncOp,
    UpdateOp,
)

SENSITIVE = "(sensitive)"

# Reason codes (set by compare) in words. Unknown codes fall back to the code with spaces, so a
# new code shows up readable before anyone adds it here.
REASONS: dict[str, str] = {
    # The reason codes compare.py emits (reconciler/plan/compare.py).
    "config_changed": "configuration changed",
    "data_field_replaced": "a mapped data field is replaced",
    "drift": "changed outside reconciler",
    "exists_unmanaged": "exists live, not in state",
    "immutable_field_changed": "dotmailer cannot update a data field",
    "integration_removed": "its integration is removed; Oro keeps books, the dotmailer book stays",
    "missing_remote": "in state, gone from the live system",
    "not_in_state": "not in state",
    "orphaned_in_oro": "in Oro without its integration; re-linked",
    "owner_lookup": "resolved through Oro",
    "removed_from_config": "not in the configuration",
    "renamed": "renamed",
    "secrets_unknown": "imported; Oro keeps secrets write-only, so apply writes them once",
}

# The actions a summary counts, in the order every summary shows them.
SUMMARY_ACTIONS: tuple[str, ...] = ("create", "update", "replace", "delete", "adopt")


def reason_words(code: str) -> str:
    return REASONS.get(code, code.replace("_", " "))


def format_value(value: Any) -> str:
    """A value as JSON on one line (``"String"``, ``true``, ``null``, ``["a", "b"]``)."""
    # Scalars without json.dumps's per-call setup: it was a fifth of rendering 10,000 ops
    # (docs/performance.md). Same text: C string escaping, int repr, the three literals.
    if type(value) is str:
        return _encode_str(value)
    if value is None or type(value) is bool:
        return _LITERALS[value]
    if type(value) is int:
        return repr(value)
    return json.dumps(shown(value), ensure_ascii=False, sort_keys=True)


_encode_str = json.encoder.encode_basestring  # what json.dumps uses with ensure_ascii=False
_LITERALS = {None: "null", True: "true", False: "false"}


def sensitive_names(op: Op) -> frozenset[str]:
    """Fields whose values must never be shown: listed on the op or flagged on a change.

    Defence in depth (plan-apply-anchors.md §3 complaint 3): renderers mask these even when a
    faulty op carries a value for them.
    """
    return frozenset(op.sensitive) | {c.field for c in op.changes if c.sensitive}


def drift_sensitive_names(changes: Iterable[FieldChange]) -> frozenset[str]:
    return frozenset(c.field for c in changes if c.sensitive)


def shown(value: Any) -> Any:
    """A value as a reviewer reads it. Values stay structured until here; only a mapped data
    field's ``{"entity_fields": [...], "two_way_sync": bool}`` becomes its one-line text,
    ``firstName,lastName`` or ``firstName (two-way)`` (entity fields comma-joined as Oro
    stores them)."""
    if (
        type(value) is dict
        and value.keys() == {"entity_fields", "two_way_sync"}
        and isinstance(value["entity_fields"], list)
    ):
        text = ",".join(map(str, value["entity_fields"]))
        return text + (" (two-way)" if value["two_way_sync"] is True else "")
    return value


def without(values: Mapping[str, Any] | None, names: frozenset[str]) -> dict[str, Any] | None:
    """``values`` as shown, minus the sensitive keys (None stays None)."""
    if values is None:
        return None
    return {key: shown(value) for key, value in values.items() if key not in names}


def merged(
    base: Mapping[str, Any] | None, changes: Iterable[FieldChange], side: str
) -> dict[str, Any]:
    """``base`` with each change's ``before`` or ``after`` value laid over it."""
    result = dict(base or {})
    for change in changes:
        result[change.field] = change.before if side == "before" else change.after
    return result


def field_changes(op: Op) -> tuple[FieldChange, ...]:
    """The detail rows an op shows, sorted by field name: :func:`field_rows`, with each row
    whose two sides are structured split into the nested values that moved
    (:func:`nested_rows`)."""
    rows = field_rows(op)
    if not any(_splits(row) for row in rows):
        return rows  # already sorted by field: nothing to split (most ops; a tenth of rendering)
    return tuple(sorted(nested_rows(rows), key=lambda row: row.field))


def _splits(row: FieldChange) -> bool:
    """Whether :func:`nested_rows` may split ``row``: both sides objects, not sensitive."""
    return not row.sensitive and type(row.before) is dict and type(row.after) is dict


def field_rows(op: Op) -> tuple[FieldChange, ...]:
    """The field rows of an op, whole values, sorted by field name.

    Create shows every field it writes, delete every field it removes, read the values it
    resolved, sync its connector and force flag; update, replace and adopt show their changes
    (or, if compare left ``changes`` empty, the keys whose values differ between before and
    after).
    """
    match op:
        case CreateOp() | ReadOp():
            after = merged(op.after, op.changes, "after")
            rows = [FieldChange(k, None, v) for k, v in after.items()]
        case DeleteOp():
            before = merged(op.before, op.changes, "before")
            rows = [FieldChange(k, v, None) for k, v in before.items()]
        case SyncOp():
            rows = [FieldChange(k, None, v) for k, v in sync_values(op).items()]
        case UpdateOp() | ReplaceOp() | AdoptOp():
            rows = list(op.changes) or _diff(op.before or {}, op.after or {})
        case _:
            rows = list(op.changes)
    # A create writes every secret it lists; an update or adopt only those whose fingerprint
    # changed, which compare puts in its changes: a secret is never shown as changed when it
    # is not (an ``enabled`` flip writes no password).
    if isinstance(op, CreateOp):
        known = {row.field for row in rows}
        rows += [
            FieldChange(name, None, None, sensitive=True) for name in sensitive_names(op) - known
        ]
    return tuple(sorted(rows, key=lambda row: row.field))


def nested_rows(rows: Iterable[FieldChange]) -> list[FieldChange]:
    """Each row whose before and after are both objects (a mapped data field's
    ``{"entity_fields": [...], "two_way_sync": bool}``) becomes one row per nested value that
    moved, named by its path as deepdiff finds it (``field.FULLNAME.entity_fields``); every
    other row stays as it is. A value absent on one side is null there."""
    result: list[FieldChange] = []
    for row in rows:
        inner = moved(row.before, row.after) if _splits(row) else ()
        if not inner:
            result.append(row)
            continue
        result += [
            replace(
                row,
                field=f"{row.field}.{item.text}",
                before=None if item.before is ABSENT else item.before,
                after=None if item.after is ABSENT else item.after,
            )
            for item in inner
        ]
    return result


def drift_rows(changes: Iterable[FieldChange]) -> list[FieldChange]:
    """A drifted object's rows, sorted, nested values split as in :func:`nested_rows`."""
    return sorted(nested_rows(changes), key=lambda row: row.field)


def sync_values(op: SyncOp) -> dict[str, Any]:
    values = dict(op.after or {})
    if op.connector is not None:
        values["connector"] = op.connector
    if op.force:
        values["force"] = True
    return values


def _diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[FieldChange]:
    return [
        FieldChange(key, before.get(key), after.get(key))
        for key in sorted(set(before) | set(after))
        if before.get(key) != after.get(key)
    ]


def forcing_fields(op: ReplaceOp) -> frozenset[str]:
    """Fields marked ``# forces replacement``: the flagged ones, or every change of a replace
    whose compare flagged none (a replace happens because of its changes)."""
    flagged = frozenset(c.field for c in op.changes if c.forces_replacement)
    return flagged or frozenset(c.field for c in field_rows(op))


def is_gated(op: Op) -> bool:
    """A destructive replace that apply refuses without an explicit allowance (SPEC §2.2)."""
    return isinstance(op, ReplaceOp) and not op.allowed


_LAST_SEGMENT = re.compile(r'(?:\.([A-Za-z0-9_-]+)|\[("(?:[^"\\]|\\.)*")\])$')


def address_key(address: str) -> str:
    """The name in an address's last segment: ``LOYALTY`` for ``…data_field.LOYALTY``."""
    match = _LAST_SEGMENT.search(address)
    if match is None:
        return address
    if match.group(1) is not None:
        return match.group(1)
    name: str = json.loads(match.group(2))
    return name


def gate_hint(op: Op) -> str:
    return f"needs --allow-replace {address_key(op.address)} or replaceOnChange: true"


def is_destructive(op: Op) -> bool:
    """A delete or a replace: something live (and the values on contacts) goes away."""
    return isinstance(op, DeleteOp | ReplaceOp)


@dataclass(frozen=True)
class Risk:
    """What a reviewer must see first: ops that destroy, that apply refuses (``blocked``), and
    replaces that apply refuses until allowed (``gated``). Counted over a plan's changes."""

    destructive: int
    blocked: int
    gated: int

    @classmethod
    def of(cls, plan: Plan) -> Risk:
        ops = plan.ops if plan.has_changes else ()
        return cls(
            destructive=sum(1 for op in ops if is_destructive(op)),
            blocked=sum(1 for op in ops if op.blocked is not None),
            gated=sum(1 for op in ops if is_gated(op)),
        )

    @property
    def needs_decision(self) -> bool:
        """Apply refuses the plan (SPEC §2.2): ``plan`` exits 3 for it."""
        return bool(self.blocked or self.gated)


def summary_line(plan: Plan) -> str:
    """The last line of every rendering (Terraform's ``Plan: …`` line), ending with the
    destructive, blocked and gated counts when any of them is not zero."""
    if plan.refresh_only:
        drifted = len(plan.drift)
        if drifted == 0:
            return "No drift. Live systems match the last applied state."
        objects = "object" if drifted == 1 else "objects"
        return (
            f"Refresh-only plan: {drifted} {objects} changed outside reconciler; "
            "nothing will be changed."
        )
    if not plan.has_changes:
        return "No changes. Live systems match the configuration."
    counts = plan.counts()
    parts = ", ".join(f"{counts[action]} to {action}" for action in SUMMARY_ACTIONS)
    syncs = counts["sync"]
    line = f"Plan: {parts}; {syncs} {'sync' if syncs == 1 else 'syncs'} to schedule"
    risk = Risk.of(plan)
    if risk.destructive or risk.needs_decision:
        line += f"; {risk.destructive} destructive, {risk.blocked} blocked, {risk.gated} gated"
    return line + "."


REFRESH_ONLY_NOTE = "This is a refresh-only plan: it reports drift and changes nothing."
