"""Comparing two saved plans by what they would do (``reconciler ci compare``).

plan-apply-anchors.md §3 complaints 7 (at merge apply the reviewed plan, or re-plan and refuse
when the operations differ) and 10 (compare semantically).
"""

from __future__ import annotations

from typing import Any

from reconciler.plan.nested import ABSENT, moved
from reconciler.plan.ops import FieldChange, Op, Plan, ReplaceOp, paired_ops
from reconciler.plan.render.common import SENSITIVE, field_rows, format_value

__all__ = ["compare_plans"]


def compare_plans(reviewed: Plan, new: Plan) -> tuple[str, ...]:
    """How ``new`` differs from ``reviewed`` in what it would do; empty when the same.

    Semantic (plan-apply-anchors.md §3 complaint 10): operations by address, action and field
    changes (plus a replace's gate and a block). Creation time, git SHA, state lineage and
    serial, reasons, remote ids and fingerprints are ignored: they move without changing what
    apply does. A structured value (a mapped data field) is compared in depth: each nested path
    that moved is its own line (``field field.FULLNAME: after.entity_fields: ...``).
    """
    lines: list[str] = []
    for where, a, b in paired_ops(reviewed, new):
        if b is None:
            assert a is not None
            lines.append(f"{where}: only in the reviewed plan ({a.action})")
        elif a is None:
            lines.append(f"{where}: only in the new plan ({b.action})")
        elif a.action != b.action:
            lines.append(f"{where}: {_both('action', a.action, b.action)}")
        else:
            lines += [f"{where}: {line}" for line in _op_differences(a, b)]
    return tuple(lines)


def _op_differences(a: Op, b: Op) -> list[str]:
    lines: list[str] = []
    rows_a, rows_b = _rows(a), _rows(b)
    for name in sorted(set(rows_a) | set(rows_b)):
        ra, rb = rows_a.get(name), rows_b.get(name)
        if ra == rb:
            continue
        if ra is not None and rb is not None and _structured(ra) and _structured(rb):
            lines += [
                _both(f"field {name}: {item.text}", _nested(item.before), _nested(item.after))
                for item in moved(_sides(ra), _sides(rb))
            ]
        else:
            lines.append(_both(f"field {name}", _describe(ra), _describe(rb)))
    if isinstance(a, ReplaceOp) and isinstance(b, ReplaceOp) and a.allowed != b.allowed:
        lines.append(_both("replace allowed", _yes(a.allowed), _yes(b.allowed)))
    if a.blocked != b.blocked:
        lines.append(_both("blocked", a.blocked or "no", b.blocked or "no"))
    return lines


def _both(what: str, reviewed: str, new: str) -> str:
    return f"{what}: {reviewed} in the reviewed plan, {new} in the new plan"


def _rows(op: Op) -> dict[str, FieldChange]:
    return {row.field: row for row in field_rows(op)}


def _structured(row: FieldChange) -> bool:
    """A row holding an object or a list on either side, and no secret."""
    return not row.sensitive and any(type(v) in (dict, list) for v in (row.before, row.after))


def _sides(row: FieldChange) -> dict[str, Any]:
    return {"before": row.before, "after": row.after}


def _nested(value: Any) -> str:
    return "absent" if value is ABSENT else format_value(value)


def _describe(row: FieldChange | None) -> str:
    if row is None:
        return "unchanged"
    if row.sensitive:
        return f"{SENSITIVE} changes"
    return f"{format_value(row.before)} -> {format_value(row.after)}"


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"
