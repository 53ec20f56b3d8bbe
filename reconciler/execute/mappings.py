"""Apply a mapping op: the Oro mapping of one entity with its configs (SPEC §2.3).

A config names its data field by Oro id. A mapped built-in field (FIRSTNAME…) has no Oro record
until Oro's own data-field import runs, so one is recorded first, as that import would.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import assert_never

from reconciler.execute.context import Apply, IntegrationContext, answered_another
from reconciler.execute.data_fields import create_oro
from reconciler.execute.journal import ignore_missing
from reconciler.model import OroMapping
from reconciler.plan.ops import ChangeOp, DeleteOp
from reconciler.plan.specs import DataFieldSpec, MappingSpec
from reconciler.plan.steps import MappingStep, MappingWork

Config = tuple[str, Sequence[str], bool]  # (Oro data-field id, entity fields, two-way sync)


def converge(apply: Apply, context: IntegrationContext, op: ChangeOp, work: MappingWork) -> None:
    mapping_id = _run(apply, context, op, work)
    apply.record(op, {"oro": mapping_id or ""}, work.spec.values())


def delete(apply: Apply, context: IntegrationContext, op: DeleteOp, work: MappingWork) -> str:
    _run(apply, context, op, work)
    apply.forget([op.address])
    return "deleted"


def _run(apply: Apply, context: IntegrationContext, op: ChangeOp, work: MappingWork) -> str | None:
    spec = work.spec
    mapping_id = op.remote_ids.get("oro")
    for step in work.steps:
        match step:
            case MappingStep.ORO_CREATE:
                mapping_id = _create(apply, context, op, spec).id
            case MappingStep.ORO_UPDATE:
                assert mapping_id is not None
                _update(apply, context, op, spec, mapping_id)
            case MappingStep.ORO_DELETE:
                if mapping_id:
                    _delete(apply, op, mapping_id)
            case _:
                assert_never(step)
    return mapping_id


def _update(
    apply: Apply, context: IntegrationContext, op: ChangeOp, spec: MappingSpec, mapping_id: str
) -> None:
    configs = _configs(apply, context, op, spec)
    apply.journal.call(
        op.address,
        MappingStep.ORO_UPDATE,
        {"call": "PATCH dotmailerdatafieldmappings", "id": mapping_id},
        lambda: apply.oro.update_mapping(
            mapping_id, sync_priority=spec.sync_priority, configs=configs
        ),
    )


def _delete(apply: Apply, op: ChangeOp, mapping_id: str) -> None:
    apply.journal.call(
        op.address,
        MappingStep.ORO_DELETE,
        {"call": "DELETE dotmailerdatafieldmappings", "id": mapping_id},
        ignore_missing(lambda: apply.oro.delete_mapping(mapping_id)),
    )


def _create(
    apply: Apply, context: IntegrationContext, op: ChangeOp, spec: MappingSpec
) -> OroMapping:
    configs = _configs(apply, context, op, spec)
    channel_id = apply.channel(context)

    def find() -> OroMapping | None:
        return next(
            (
                m
                for m in apply.oro.list_mappings()
                if m.channel_id == channel_id and m.entity == spec.entity
            ),
            None,
        )

    made = apply.journal.call(
        op.address,
        MappingStep.ORO_CREATE,
        {"call": "POST dotmailerdatafieldmappings", "entity": spec.entity},
        lambda: apply.oro.create_mapping(
            channel_id=channel_id,
            entity=spec.entity,
            sync_priority=spec.sync_priority,
            configs=configs,
        ),
        find,
    )
    if made.entity != spec.entity or made.channel_id != channel_id:
        raise answered_another(
            "data-field mapping",
            f"{spec.entity} of integration {channel_id}",
            f"{made.entity} of {made.channel_id}",
        )
    return made


def _configs(
    apply: Apply, context: IntegrationContext, op: ChangeOp, spec: MappingSpec
) -> list[Config]:
    return [
        (
            _field_id(apply, context, op, mapped.data_field),
            mapped.entity_fields,
            mapped.two_way_sync,
        )
        for mapped in spec.fields
    ]


def _field_id(apply: Apply, context: IntegrationContext, op: ChangeOp, name: str) -> str:
    """The Oro id of a mapped data field, recording a built-in one in Oro first."""
    key = name.upper()
    if key in context.oro_fields:
        return context.oro_fields[key]
    remote = context.remote_fields.get(key)
    builtin = DataFieldSpec(
        name=key,
        type=remote.type if remote else "String",
        visibility=remote.visibility if remote else "Public",
        default=None,
    )
    made = create_oro(apply, context, op, builtin, builtin=True)
    context.oro_fields[key] = made.id
    return made.id
