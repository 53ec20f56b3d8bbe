"""Data fields: create, adopt, notes update, and the replace dotmailer forces (SPEC §2.2).

dotmailer cannot update a data field, so a change of type, visibility or default is a replace
(delete + create) that destroys the values stored on contacts: planned as destructive, and
gated unless the field says ``replaceOnChange`` or the run passes ``--allow-replace``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Iterable

from reconciler.model import DataFieldMapping, Integration, LiveIntegration, LiveWorld
from reconciler.plan import values as v
from reconciler.plan.compare.common import Planned, changes, create, drift, reason
from reconciler.plan.ops import AdoptOp, AnyOp, Drift, ReplaceOp, UpdateOp, address
from reconciler.plan.options import PlanOptions
from reconciler.plan.specs import DATA_FIELD_REPLACE_FIELDS, DataFieldSpec
from reconciler.plan.steps import REPLACE_STEPS, DataFieldStep, DataFieldWork, Kind
from reconciler.state import Snapshot


def plan_data_fields(
    integration: Integration,
    live: LiveIntegration,
    state: Snapshot,
    options: PlanOptions,
    mappings: Iterable[DataFieldMapping],
    world: LiveWorld,
) -> Planned:
    remote = {f.name.upper(): f for f in live.remote_fields or ()}
    oro = {f.name.upper(): f for f in live.oro_fields}
    ops: list[AnyOp] = []
    drifted: list[Drift] = []
    for df in sorted(integration.data_fields, key=lambda d: d.key):
        addr = address(Kind.DATA_FIELD, integration.name, df.key)
        record = state.objects.get(addr)
        spec = DataFieldSpec.of(df)
        wanted = spec.values()
        found = v.live_data_field(remote.get(df.key), oro.get(df.key))
        if found is None:
            work = DataFieldWork(spec, (DataFieldStep.DOTMAILER_CREATE, DataFieldStep.ORO_CREATE))
            ops.append(create(addr, integration.name, record, work))
            continue
        current = found.values()
        drifted += drift(addr, integration.name, record, current, wanted)
        changed = changes(current, wanted, wanted)
        remote_ids = {"oro": oro[df.key].id} if df.key in oro else {}
        fingerprint = v.remote_fingerprint(remote.get(df.key), oro.get(df.key))
        if df.key in remote and any(c.field in DATA_FIELD_REPLACE_FIELDS for c in changed):
            allowed = df.replace_on_change or bool(
                {df.name, df.key, addr} & set(options.allow_replace)
            )
            ops.append(
                ReplaceOp(
                    address=addr,
                    kind=Kind.DATA_FIELD,
                    integration=integration.name,
                    reason="immutable_field_changed",
                    before=current,
                    work=DataFieldWork(spec, REPLACE_STEPS),
                    changes=tuple(
                        dataclasses.replace(
                            c, forces_replacement=c.field in DATA_FIELD_REPLACE_FIELDS
                        )
                        for c in changed
                    ),
                    remote_ids=remote_ids,
                    remote_fingerprint=fingerprint,
                    allowed=allowed,
                    blocked=unmanaged_mapping_use(df.key, integration.name, mappings, world),
                )
            )
            continue
        steps: list[DataFieldStep] = []
        if df.key not in remote:
            steps.append(DataFieldStep.DOTMAILER_CREATE)
        if df.key not in oro:
            steps.append(DataFieldStep.ORO_CREATE)
        elif _differs(v.oro_data_field(oro[df.key]), spec):
            steps += [DataFieldStep.ORO_DELETE, DataFieldStep.ORO_CREATE]
        elif any(c.field == "notes" for c in changed):
            steps.append(DataFieldStep.ORO_UPDATE)
        if record is not None and not steps:
            continue
        cls: type[AdoptOp] | type[UpdateOp] = AdoptOp if record is None else UpdateOp
        ops.append(
            cls(
                address=addr,
                kind=Kind.DATA_FIELD,
                integration=integration.name,
                reason="exists_unmanaged" if record is None else reason(record, wanted, changed),
                before=current,
                work=DataFieldWork(spec, tuple(steps)),
                changes=changed,
                remote_ids=remote_ids,
                remote_fingerprint=fingerprint,
            )
        )
    return Planned(ops=tuple(ops), drift=tuple(drifted))


def _differs(oro: DataFieldSpec, wanted: DataFieldSpec) -> bool:
    """Oro's copy of a data field disagrees with the declared type, visibility or default
    (it outlived a field deleted in dotmailer by hand); Oro cannot update it either."""
    return (oro.type, oro.visibility, oro.default) != (
        wanted.type,
        wanted.visibility,
        wanted.default,
    )


def unmanaged_mapping_use(
    key: str,
    integration: str,
    mappings: Iterable[DataFieldMapping],
    live: LiveWorld,
    deleted_mappings: Collection[str | None] = (),
) -> str | None:
    """An Oro mapping reconciler does not manage uses the field: deleting the field (a delete
    or a replace) would silently cascade-delete that config (oro-dotmailer-bundle.md §2)."""
    desired_entities = {m.entity for m in mappings if m.integration == integration}
    live_integration = live.integration(integration)
    field_ids = {f.id for f in live_integration.oro_fields if f.name.upper() == key}
    for live_mapping in live_integration.oro_mappings:
        if live_mapping.entity in desired_entities or live_mapping.id in deleted_mappings:
            continue  # ours: updated or deleted in this same apply, before the field goes
        if any(c.data_field_id in field_ids for c in live_mapping.configs):
            return (
                f"data field {key} is used by the Oro mapping for {live_mapping.entity} "
                "(not managed by reconciler); remove it there first"
            )
    return None
