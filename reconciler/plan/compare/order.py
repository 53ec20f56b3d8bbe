"""The order apply runs ops in, and the syncs a plan ends with (SPEC §4).

Forward kinds in order (owners -> integrations -> data fields -> address books -> mappings),
then deletes in reverse, then one sync per integration whose configuration changed.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence

from reconciler.model import DATAFIELD_CONNECTOR, Integration
from reconciler.plan.compare.common import KIND_ORDER
from reconciler.plan.ops import AdoptOp, AnyOp, DeleteOp, ReadOp, SyncOp, address
from reconciler.plan.steps import Kind


def order(ops: Sequence[AnyOp]) -> list[AnyOp]:
    """Forward kinds in order, then deletes in reverse order. A delete that frees a name another
    op of the same integration takes (a book renamed onto a removed book's name; dotmailer
    names are unique case-insensitively) goes first, or that op would fail every run."""
    forward = [op for op in ops if not isinstance(op, DeleteOp)]
    deletes = [op for op in ops if isinstance(op, DeleteOp)]
    taken = {
        (op.kind, op.integration, str(op.after["name"]).casefold())
        for op in forward
        if op.after and "name" in op.after
    }

    def frees_a_name(op: AnyOp) -> bool:
        name = str((op.before or {}).get("name", "")).casefold()
        return (op.kind, op.integration, name) in taken

    first: list[AnyOp] = [op for op in deletes if not op.blocked and frees_a_name(op)]
    rest: list[AnyOp] = [op for op in deletes if op not in first]
    forward.sort(key=lambda op: (KIND_ORDER[op.kind], op.integration or "", op.address))
    for group in (first, rest):
        group.sort(key=lambda op: (-KIND_ORDER[op.kind], op.integration or "", op.address))
    return first + forward + rest


def dedupe(ops: Iterable[ReadOp]) -> list[AnyOp]:
    seen: dict[str, ReadOp] = {}
    for op in ops:
        seen.setdefault(op.address, op)
    return [seen[a] for a in sorted(seen)]


def changed_integrations(ops: Iterable[AnyOp]) -> set[str]:
    return {op.integration for op in ops if op.integration is not None and _changes_config(op)}


def _changes_config(op: AnyOp) -> bool:
    """Whether ``op`` changes what its integration syncs (so a sync should follow)."""
    if isinstance(op, DeleteOp) and op.kind == Kind.INTEGRATION:
        return False  # nothing is left to sync
    if isinstance(op, AdoptOp):
        # An adopt records what exists. Writing the secrets Oro keeps write-only, which an
        # adopted integration's steps do once, changes nothing a sync would carry.
        return any(not c.sensitive for c in op.changes) or (bool(op.steps) and not op.changes)
    return op.is_change


def in_integration(object_address: str, name: str) -> bool:
    """True for the integration's own address and every address under it (its fields, books,
    mappings and sync), never for another integration whose name starts the same."""
    own = address(Kind.INTEGRATION, name)
    return object_address == own or object_address.startswith(own + ".")


def sync_ops(
    integrations: Sequence[Integration],
    ops: Sequence[AnyOp],
    interrupted: Collection[str] = (),
) -> list[SyncOp]:
    """SPEC §4: a sync for each integration whose config changed; connector ``datafield`` with
    force when only data fields changed, a full sync (forced when data fields changed too).

    An apply killed after its last write to an integration and before that integration's sync
    leaves nothing to change but the sync: the next run adopts what was made and would never
    schedule it. So an integration with journal entries left pending gets a full, forced sync
    (what the interrupted run changed is unknown)."""
    changed = changed_integrations(ops)
    resumed = {i.name for i in integrations if any(in_integration(a, i.name) for a in interrupted)}
    kinds_of: dict[str, set[Kind]] = {}  # one pass, not one per integration (docs/performance.md)
    for op in ops:
        if op.integration is not None and op.is_change and not isinstance(op, ReadOp):
            kinds_of.setdefault(op.integration, set()).add(op.kind)
    result: list[SyncOp] = []
    for integration in sorted(integrations, key=lambda i: i.name):
        in_changed = integration.name in changed
        if not (in_changed or integration.name in resumed) or not integration.sync_on_change:
            continue
        if not integration.enabled:
            continue
        kinds = kinds_of.get(integration.name, set())
        fields_changed = Kind.DATA_FIELD in kinds or not in_changed
        connector = DATAFIELD_CONNECTOR if kinds == {Kind.DATA_FIELD} else None
        result.append(
            SyncOp(
                address=address(Kind.SYNC, integration.name),
                kind=Kind.SYNC,
                integration=integration.name,
                reason="config_changed" if in_changed else "apply_interrupted",
                after={"connector": connector, "force": fields_changed},
                connector=connector,
                force=fields_changed,
            )
        )
    return result
