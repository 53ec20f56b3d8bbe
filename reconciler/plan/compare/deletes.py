"""Deletes: what left the config, if this tool made it, with every guard (SPEC §4).

Only objects recorded in state are deleted, only with prune on, never more than the cap per
run, never everything an integration held unless ``--allow-empty``, and never a data field a
mapping still uses (Oro would cascade-delete that mapping's config without a word).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from reconciler.errors import CorruptStateError
from reconciler.model import DesiredState, LiveWorld
from reconciler.plan.compare.common import Planned
from reconciler.plan.compare.data_fields import unmanaged_mapping_use
from reconciler.plan.ops import AnyOp, DeleteOp, address
from reconciler.plan.options import PlanOptions
from reconciler.plan.specs import DataFieldSpec, SpecError, mapping_key
from reconciler.plan.steps import (
    ADDRESS_BOOK_DELETE,
    ADDRESS_BOOK_UNLINK,
    DATA_FIELD_DELETE,
    INTEGRATION_DELETE,
    MAPPING_DELETE,
    Kind,
    Step,
    work_from_values,
)
from reconciler.state import ObjectRecord, Snapshot

_STEPS: dict[Kind, tuple[Step, ...]] = {
    Kind.INTEGRATION: INTEGRATION_DELETE,
    Kind.DATA_FIELD: DATA_FIELD_DELETE,
    Kind.ADDRESS_BOOK: ADDRESS_BOOK_DELETE,
    Kind.MAPPING: MAPPING_DELETE,
}


def declared_objects(desired: DesiredState) -> dict[str, tuple[Kind, str, str]]:
    """address -> (kind, integration, key) for every declared object (the key: integration
    name, data-field name, book name, mapping entity). Deletes and ``state import`` use it."""
    result: dict[str, tuple[Kind, str, str]] = {}
    for integration in desired.integrations:
        name = integration.name
        result[address(Kind.INTEGRATION, name)] = (Kind.INTEGRATION, name, name)
        for df in integration.data_fields:
            result[address(Kind.DATA_FIELD, name, df.key)] = (Kind.DATA_FIELD, name, df.name)
        for book in integration.address_books:
            result[address(Kind.ADDRESS_BOOK, name, book.name)] = (
                Kind.ADDRESS_BOOK,
                name,
                book.name,
            )
    for mapping in desired.mappings:
        key = mapping_key(mapping.entity)
        result[address(Kind.MAPPING, mapping.integration, key)] = (
            Kind.MAPPING,
            mapping.integration,
            mapping.entity,
        )
    return result


def plan_deletes(
    desired: DesiredState, state: Snapshot, scope: set[str], moved: set[str]
) -> list[DeleteOp]:
    """A delete for each state record that is no longer declared (``moved``: the previous
    addresses of renamed objects, which are not deleted).

    A removed integration's data fields and mappings go with it (Oro cascades them); its
    address books do not (SET NULL, oro-verified.md §4), so each gets a delete of its Oro
    record, which also frees its marketing list; the dotmailer objects are kept."""
    wanted = declared_objects(desired)
    desired_integrations = {i.name for i in desired.integrations}
    result: list[DeleteOp] = []
    for record in sorted(state.objects.values(), key=lambda r: r.address):
        if record.kind == Kind.OWNER or record.address in wanted or record.address in moved:
            continue
        if scope and record.integration not in scope:
            continue
        if record.kind == Kind.INTEGRATION or record.integration in desired_integrations:
            result.append(_delete(record, _STEPS[Kind(record.kind)], "removed_from_config"))
        elif record.kind == Kind.ADDRESS_BOOK:
            result.append(_delete(record, ADDRESS_BOOK_UNLINK, "integration_removed"))
    return result


def _delete(record: ObjectRecord, steps: tuple[Step, ...], why: str) -> DeleteOp:
    kind = Kind(record.kind)
    try:
        work = work_from_values(kind, dict(record.applied), [str(s) for s in steps])
    except (SpecError, ValueError, KeyError) as exc:
        raise CorruptStateError(
            f"{record.address}: the state's last-applied values cannot be read ({exc}); "
            f"`reconciler state rm {record.address}` forgets it without deleting it"
        ) from exc
    return DeleteOp(
        address=record.address,
        kind=kind,
        integration=record.integration,
        reason=why,
        work=work,
        remote_ids=dict(record.remote_ids),
        remote_fingerprint=record.remote_fingerprint,
    )


def _field_in_use(
    name: str, op: DeleteOp, desired: DesiredState, live: LiveWorld, deletes: Sequence[DeleteOp]
) -> str | None:
    """Why a data field cannot be deleted yet: a mapping that stays still uses it (Oro would
    silently cascade-delete its config, oro-dotmailer-bundle.md §2)."""
    key = name.upper()
    integration = op.integration or ""
    for mapping in desired.mappings:
        if mapping.integration == integration and any(
            f.data_field.upper() == key for f in mapping.fields
        ):
            return f"data field {key} is used by mapping {mapping.name!r}; remove it there first"
    deleted = {d.remote_ids.get("oro") for d in deletes if d.kind == Kind.MAPPING}
    return unmanaged_mapping_use(key, integration, desired.mappings, live, deleted)


def guard_deletes(
    ops: Sequence[AnyOp], desired: DesiredState, live: LiveWorld, options: PlanOptions
) -> Planned:
    """The ops with every delete checked: prune must be on; refuse an empty desired set; cap
    deletes; block fields still in use. Without prune, deletes become warnings."""
    deletes = [op for op in ops if isinstance(op, DeleteOp)]
    if not deletes:
        return Planned(ops=tuple(ops))
    if not options.prune:
        # Not an error: without prune, what left the config is left in place (and stays in
        # state, so enabling prune later deletes it). Argo CD's "requires pruning".
        return Planned(
            ops=tuple(op for op in ops if not isinstance(op, DeleteOp)),
            warnings=tuple(
                f"{op.address} is no longer declared; prune is disabled, so it is left in place"
                for op in deletes
            ),
        )
    by_integration = {i.name: i for i in desired.integrations}
    blocked: dict[str, str] = {}
    for op in deletes:
        integration = by_integration.get(op.integration or "")
        empty = integration is None and not desired.integrations
        if (
            integration is not None
            and not integration.data_fields
            and not integration.address_books
        ):
            empty = op.kind in (Kind.DATA_FIELD, Kind.ADDRESS_BOOK)
        if empty and not options.allow_empty:
            blocked[op.address] = (
                "the desired set is empty; pass --allow-empty to delete everything it held"
            )
            continue
        if op.work is not None and isinstance(op.work.spec, DataFieldSpec):
            why = _field_in_use(op.work.spec.name, op, desired, live, deletes)
            if why is not None:
                blocked[op.address] = why
    allowed = [op for op in deletes if op.address not in blocked]
    if len(allowed) > options.max_deletes:
        for op in allowed:
            blocked[op.address] = (
                f"{len(allowed)} deletes exceed the cap of {options.max_deletes} per run "
                "(prune.maxDeletes)"
            )
    return Planned(
        ops=tuple(
            dataclasses.replace(op, blocked=blocked[op.address]) if op.address in blocked else op
            for op in ops
        )
    )
