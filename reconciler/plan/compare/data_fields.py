"""Data fields: create, adopt, notes update, and the replace dotmailer forces (SPEC §2.2).

dotmailer cannot update a data field, so a change of type, visibility or default is a replace
(delete + create) that destroys the values stored on contacts: planned as destructive, and
gated unless the field says ``replaceOnChange`` or the run passes ``--allow-replace``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Iterable, Mapping

from reconciler.model import (
    DATA_FIELD_TYPES,
    VISIBILITIES,
    DataFieldMapping,
    Integration,
    LiveIntegration,
    LiveWorld,
    RemoteDataField,
)
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
    warnings: list[str] = []
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
        unknown = unknown_values(remote.get(df.key))
        if unknown:
            warnings.append(
                f"{addr}: dotmailer reports {_listed(unknown, current)}, which this reconciler "
                "does not know (the API's placeholder for a newer value); left as it is"
            )
            current = {**current, **{k: wanted[k] for k in unknown}}
        drifted += drift(addr, integration.name, record, current, wanted)
        changed = changes(current, wanted, wanted)
        remote_ids = {"oro": oro[df.key].id} if df.key in oro else {}
        if df.key in remote and any(c.field in DATA_FIELD_REPLACE_FIELDS for c in changed):
            allowed = df.replace_on_change or allows(options.allow_replace, df.key, addr)
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
                    remote_fingerprint=v.remote_fingerprint(remote.get(df.key), oro.get(df.key)),
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
        oro_gone = df.key not in oro and bool(record and record.remote_ids.get("oro"))
        if record is not None and (df.key not in remote or oro_gone):
            # A side this tool made is gone (deleted by hand): drift, and a create of it.
            work = DataFieldWork(spec, tuple(steps))
            ops.append(create(addr, integration.name, record, work, remote_ids=remote_ids))
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
                # only for an op: hashing all 30,000 unchanged fields at 1,000 integrations
                # was a sixth of a no-change plan's compare
                remote_fingerprint=v.remote_fingerprint(remote.get(df.key), oro.get(df.key)),
            )
        )
    return Planned(ops=tuple(ops), drift=tuple(drifted), warnings=tuple(warnings))


def allows(allow_replace: Collection[str], key: str, addr: str) -> bool:
    """``--allow-replace`` names a data field case-insensitively (dotmailer's names are), or
    gives its full address."""
    return any(a == addr or a.upper() == key for a in allow_replace)


def unmatched_allowances(allow_replace: Collection[str], ops: Iterable[AnyOp]) -> str | None:
    """Why some ``--allow-replace`` matches no replace of the plan (a typo must not pass
    silently), listing what can be replaced; None when every one matches."""
    replaces = sorted(
        (op.address, op.work.spec.key)
        for op in ops
        if isinstance(op, ReplaceOp) and isinstance(op.work, DataFieldWork)
    )
    unknown = sorted(
        a for a in allow_replace if not any(allows((a,), key, addr) for addr, key in replaces)
    )
    if not unknown:
        return None
    can = ", ".join(addr for addr, _ in replaces) or "nothing (the plan replaces no data field)"
    return (
        f"--allow-replace {', '.join(unknown)}: no data field of this plan is replaced by that "
        f"name; replaceable: {can}"
    )


def unknown_values(remote: RemoteDataField | None) -> tuple[str, ...]:
    """The fields of a dotmailer data field whose value is outside the documented set, e.g.
    ``NotAvailableInThisVersion``, the placeholder ``ApiDataTypes`` and ``ApiDataFieldVisibility``
    carry in the official v2 Swagger (/work/shared/dotdigital-api/dotdigital-v2-api-swagger.json).
    Such a value is never a reason to update or replace: it is shown and left alone. A default
    of an unknown type cannot be read either."""
    if remote is None:
        return ()
    found: list[str] = []
    if remote.type not in DATA_FIELD_TYPES:
        found += ["default", "type"]
    if remote.visibility not in VISIBILITIES:
        found.append("visibility")
    return tuple(found)


def _listed(fields: tuple[str, ...], current: Mapping[str, object]) -> str:
    shown = [f for f in fields if f != "default" or "type" not in fields]
    return " and ".join(f"its {f} as {current[f]!r}" for f in shown)


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
