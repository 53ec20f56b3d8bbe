"""Apply a data-field op: dotmailer first, Oro after (the bundle's order, SPEC §3).

dotmailer cannot update a data field, so a replace is a delete and a create on both sides; Oro
cannot either, so an Oro record that disagrees with dotmailer is deleted and made again. An
Oro record made through the API never calls dotmailer (oro-verified.md §4), which is why the
dotmailer side is written here first.
"""

from __future__ import annotations

from typing import assert_never

from reconciler import defaults
from reconciler.errors import NotFoundError
from reconciler.execute.context import (
    Apply,
    DotmailerWriter,
    IntegrationContext,
    OpFailed,
    answered_another,
)
from reconciler.execute.journal import ignore_missing
from reconciler.model import OroDataField, RemoteDataField
from reconciler.plan.ops import ChangeOp, DeleteOp
from reconciler.plan.specs import DataFieldSpec
from reconciler.plan.steps import DataFieldStep, DataFieldWork


def converge(apply: Apply, context: IntegrationContext, op: ChangeOp, work: DataFieldWork) -> None:
    _run(apply, context, op, work)
    apply.record(op, {"oro": context.oro_fields.get(work.spec.key, "")}, work.spec.values())


def delete(apply: Apply, context: IntegrationContext, op: DeleteOp, work: DataFieldWork) -> str:
    _run(apply, context, op, work)
    apply.forget([op.address])
    return "deleted"


def _run(apply: Apply, context: IntegrationContext, op: ChangeOp, work: DataFieldWork) -> None:
    spec = work.spec
    for step in work.steps:
        match step:
            case DataFieldStep.DOTMAILER_DELETE:
                _delete_remote(apply, op, apply.dotmailer(context), spec.key)
            case DataFieldStep.ORO_DELETE:
                _delete_oro(apply, op, context.oro_fields.pop(spec.key, None))
            case DataFieldStep.DOTMAILER_CREATE:
                context.remote_fields[spec.key] = _create_remote(
                    apply, op, apply.dotmailer(context), spec
                )
            case DataFieldStep.ORO_CREATE:
                context.oro_fields[spec.key] = create_oro(apply, context, op, spec).id
            case DataFieldStep.ORO_UPDATE:
                _update_notes(apply, op, context.oro_fields[spec.key], spec)
            case _:
                assert_never(step)


def _delete_oro(apply: Apply, op: ChangeOp, live_id: str | None) -> None:
    """Delete the Oro record: the one live now, else the one the state recorded."""
    field_id = live_id or op.remote_ids.get("oro")
    if not field_id:
        return
    apply.journal.call(
        op.address,
        DataFieldStep.ORO_DELETE,
        {"call": "DELETE dotmailerdatafields", "id": field_id},
        ignore_missing(lambda: apply.oro.delete_data_field(field_id)),
    )


def _update_notes(apply: Apply, op: ChangeOp, field_id: str, spec: DataFieldSpec) -> None:
    apply.journal.call(
        op.address,
        DataFieldStep.ORO_UPDATE,
        {"call": "PATCH dotmailerdatafields", "id": field_id},
        lambda: apply.oro.update_data_field_notes(field_id, spec.notes),
    )


def _create_remote(
    apply: Apply, op: ChangeOp, client: DotmailerWriter, spec: DataFieldSpec
) -> RemoteDataField:
    def find() -> RemoteDataField | None:
        return next((f for f in client.list_data_fields() if f.name.upper() == spec.key), None)

    default = defaults.to_dotmailer(spec.type, spec.default)
    return apply.journal.call(
        op.address,
        DataFieldStep.DOTMAILER_CREATE,
        {"call": "POST /v2/data-fields", "name": spec.name},
        lambda: client.create_data_field(spec.name, spec.type, spec.visibility, default),
        find,
    )


def create_oro(
    apply: Apply,
    context: IntegrationContext,
    op: ChangeOp,
    spec: DataFieldSpec,
    *,
    builtin: bool = False,
) -> OroDataField:
    """Record the field in Oro (also for a mapped built-in field, which has no Oro record until
    Oro's own data-field import runs: it is recorded the way that import would)."""
    channel_id = apply.channel(context)

    def find() -> OroDataField | None:
        return next(
            (
                f
                for f in apply.oro.list_data_fields()
                if f.channel_id == channel_id and f.name.upper() == spec.key
            ),
            None,
        )

    intent: dict[str, object] = {"call": "POST dotmailerdatafields", "name": spec.name}
    if builtin:
        intent["builtin"] = True
    made = apply.journal.call(
        op.address,
        DataFieldStep.ORO_CREATE,
        intent,
        lambda: apply.oro.create_data_field(
            channel_id=channel_id,
            name=spec.name,
            type=spec.type,
            visibility=spec.visibility,
            default=spec.default,
            notes=spec.notes,
        ),
        find,
    )
    if made.name.upper() != spec.key or made.channel_id != channel_id:
        raise answered_another(
            "data field",
            f"{spec.key} of integration {channel_id}",
            f"{made.name} of {made.channel_id}",
        )
    return made


def _delete_remote(apply: Apply, op: ChangeOp, client: DotmailerWriter, key: str) -> None:
    try:
        result = apply.journal.call(
            op.address,
            DataFieldStep.DOTMAILER_DELETE,
            {"call": "DELETE /v2/data-fields/{name}", "name": key},
            lambda: client.delete_data_field(key),
        )
    except NotFoundError:
        return  # already gone: a resumed apply
    if result.result is False:
        dependencies = ", ".join(result.dependencies) or "unknown"
        raise OpFailed(f"dotmailer refused to delete {key}: it is in use ({dependencies})")
