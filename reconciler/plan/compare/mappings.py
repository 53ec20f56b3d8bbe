"""Data-field mappings: one Oro mapping per (integration, entity), compared field by field.

Only declared mappings are compared: the FIRSTNAME/LASTNAME/FULLNAME mappings Oro makes on its
own after the first data-field sync are not ours and are left alone (SPEC §2.3).
"""

from __future__ import annotations

from collections.abc import Sequence

from reconciler.model import DataFieldMapping, Integration, LiveIntegration
from reconciler.plan import values as v
from reconciler.plan.compare.common import Planned, changes, create, drift, reason
from reconciler.plan.ops import AdoptOp, AnyOp, Drift, ReplaceOp, UpdateOp, address
from reconciler.plan.specs import MappingSpec, mapping_key
from reconciler.plan.steps import DataFieldWork, Kind, MappingStep, MappingWork
from reconciler.state import Snapshot


def plan_mappings(
    integration: Integration,
    mappings: Sequence[DataFieldMapping],
    live: LiveIntegration,
    state: Snapshot,
    own_ops: Sequence[AnyOp],
) -> Planned:
    """``mappings`` are this integration's; ``own_ops`` the ops planned for it so far (both
    passed in: scanning every mapping and op per integration was O(N^2), docs/performance.md).
    A mapping that uses a data field replaced in the same apply is updated after it, since
    Oro's cascade removed its config with the old field."""
    fields_by_id = {f.id: f.name for f in live.oro_fields}
    oro_by_entity = {m.entity: m for m in live.oro_mappings}
    replaced = {
        op.work.spec.key
        for op in own_ops
        if isinstance(op, ReplaceOp) and isinstance(op.work, DataFieldWork)
    }
    ops: list[AnyOp] = []
    drifted: list[Drift] = []
    for mapping in sorted(mappings, key=lambda m: m.entity):
        addr = address(Kind.MAPPING, integration.name, mapping_key(mapping.entity))
        record = state.objects.get(addr)
        spec = MappingSpec.of(mapping)
        wanted = spec.values()
        oro = oro_by_entity.get(mapping.entity)
        if oro is None:
            work = MappingWork(spec, (MappingStep.ORO_CREATE,))
            ops.append(create(addr, integration.name, record, work))
            continue
        current = v.live_mapping(oro, fields_by_id).values()
        keys = set(current) | set(wanted)  # a field dropped from the mapping is a change too
        drifted += drift(addr, integration.name, record, current, wanted)
        changed = changes(current, wanted, keys)
        uses_replaced = bool(spec.data_fields() & replaced)
        steps = (MappingStep.ORO_UPDATE,) if changed or uses_replaced else ()
        if record is not None and not steps:
            continue
        if record is None:
            why = "exists_unmanaged"
        else:
            why = "data_field_replaced" if not changed else reason(record, wanted, changed)
        cls: type[AdoptOp] | type[UpdateOp] = AdoptOp if record is None else UpdateOp
        ops.append(
            cls(
                address=addr,
                kind=Kind.MAPPING,
                integration=integration.name,
                reason=why,
                before=current,
                work=MappingWork(spec, steps),
                changes=changed,
                remote_ids={"oro": oro.id},
                remote_fingerprint=v.remote_fingerprint(v.canonical_json(current)),
            )
        )
    return Planned(ops=tuple(ops), drift=tuple(drifted))
