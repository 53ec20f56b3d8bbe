"""The plan's risks as GitHub workflow commands, at the lines of the config they come from.

``plan --format github`` prints the text plan, then one line per op a reviewer must look at:
``::warning`` for a delete or an allowed replace, ``::error`` for what apply refuses (a
blocked op, a replace that needs ``--allow-replace``); under GITHUB_ACTIONS ``plan`` prints the
same lines on stderr. GitHub shows them on the pull request's
diff at the object's document (actions/toolkit ``command.ts`` for the syntax; the escaping is
:mod:`reconciler.config.diagnostics`'). An object no config declares any more (most deletes)
points at its integration's document, or at no file when that is gone too.
"""

from __future__ import annotations

from collections.abc import Mapping

from reconciler.config.diagnostics import Diagnostic, Severity, workflow_command
from reconciler.errors import Location
from reconciler.model import DesiredState
from reconciler.plan.ops import AnyOp, DeleteOp, Plan, ReplaceOp, address
from reconciler.plan.render.common import reason_words
from reconciler.plan.specs import mapping_key
from reconciler.plan.steps import Kind

__all__ = ["op_locations", "plan_annotations"]


def op_locations(desired: DesiredState) -> dict[str, Location]:
    """Where each object the config declares is written, by its plan address."""
    found: dict[str, Location | None] = {}
    for owner in desired.owners:
        found[address(Kind.OWNER, key=owner.name)] = owner.location
    for integration in desired.integrations:
        name = integration.name
        found[address(Kind.INTEGRATION, name)] = integration.location
        found[address(Kind.SYNC, name)] = integration.location
        for field in integration.data_fields:
            found[address(Kind.DATA_FIELD, name, field.key)] = field.location
        for book in integration.address_books:
            found[address(Kind.ADDRESS_BOOK, name, book.name)] = book.location
    for mapping in desired.mappings:
        key = mapping_key(mapping.entity)
        found[address(Kind.MAPPING, mapping.integration, key)] = mapping.location
    return {addr: where for addr, where in found.items() if where is not None}


def _finding(op: AnyOp) -> tuple[Severity, str] | None:
    """What a reviewer is told of ``op``, or None when it needs no attention."""
    if op.blocked is not None:
        return "error", f"{op.action} is blocked: {op.blocked}"
    if isinstance(op, ReplaceOp):
        name = (op.after or {}).get("name", op.address)
        if not op.allowed:
            return "error", (
                "replace destroys the values stored on contacts; apply refuses it without "
                f"replaceOnChange: true on the field or --allow-replace {name}"
            )
        return "warning", "replace destroys the values stored on contacts"
    if isinstance(op, DeleteOp):
        return "warning", f"delete ({reason_words(op.reason)})"
    return None


def _where(op: AnyOp, locations: Mapping[str, Location]) -> Location | None:
    own = locations.get(op.address)
    if own is not None or op.integration is None:
        return own
    return locations.get(address(Kind.INTEGRATION, op.integration))


def _diagnostics(
    plan: Plan, locations: Mapping[str, Location]
) -> list[tuple[Diagnostic | None, Severity, str, str]]:
    found = []
    for op in plan.ops if plan.has_changes else ():
        finding = _finding(op)
        if finding is None:
            continue
        severity, message = finding
        at = _where(op, locations)
        diagnostic = (
            Diagnostic(at.file, at.line, at.column, severity, op.address, message, "plan")
            if at is not None
            else None
        )
        found.append((diagnostic, severity, op.address, message))
    return found


def plan_annotations(
    plan: Plan, locations: Mapping[str, Location], workspace: str | None = None
) -> str:
    """One workflow command per delete, replace and refused op, in plan order."""
    lines = [
        diagnostic.github_annotation(workspace)
        if diagnostic is not None
        else workflow_command(severity, f"{addr}: {message}")
        for diagnostic, severity, addr, message in _diagnostics(plan, locations)
    ]
    return "".join(f"{line}\n" for line in lines)
