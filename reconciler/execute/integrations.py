"""Apply an integration op: "Check connection", then the Oro channel and its transport.

The credentials go to Oro only after dotmailer accepted them (SPEC §3, the click-path's
"Check connection" before "Save"). A delete removes the channel in Oro; Oro cascades its data
fields and mappings, and the dotmailer objects are kept.
"""

from __future__ import annotations

from typing import Any, assert_never

from reconciler.execute.context import Apply, IntegrationContext, answered_another
from reconciler.execute.journal import ignore_missing
from reconciler.model import OroIntegration
from reconciler.plan.ops import ChangeOp, DeleteOp
from reconciler.plan.specs import IntegrationSpec
from reconciler.plan.steps import IntegrationStep, IntegrationWork
from reconciler.providers.oro import NewIntegration

# Oro attribute -> the plan field whose change writes it.
_UPDATED_BY = (
    ("enabled", "enabled"),
    ("owner_user_id", "owner"),
    ("organization_id", "organization"),
    ("business_unit_id", "business_unit"),
    ("username", "username"),
    ("client_id", "oauth_client_id"),
    ("custom_domain", "custom_domain"),
)


def converge(
    apply: Apply, context: IntegrationContext, op: ChangeOp, work: IntegrationWork
) -> None:
    _run(apply, context, op, work)
    apply.record(
        op,
        {"oro": context.channel_id or "", "oro_transport": context.transport_id or ""},
        work.spec.values(),
        secret_fingerprints=apply.secrets[context.name].fingerprints,
    )


def delete(apply: Apply, context: IntegrationContext, op: DeleteOp, work: IntegrationWork) -> str:
    _run(apply, context, op, work)
    children = [
        r.address for r in apply.store.read().objects.values() if r.integration == op.integration
    ]
    apply.forget(sorted(set(children) | {op.address}))
    return "deleted in Oro (dotmailer objects are kept)"


def _run(apply: Apply, context: IntegrationContext, op: ChangeOp, work: IntegrationWork) -> None:
    for step in work.steps:
        match step:
            case IntegrationStep.CHECK:
                client = apply.dotmailer(context)
                apply.journal.call(
                    op.address, step, {"call": "GET /v2/account-info"}, client.account_info
                )
            case IntegrationStep.ORO_CREATE:
                _create(apply, context, op, work.spec)
            case IntegrationStep.ORO_UPDATE:
                _update(apply, context, op, work.spec)
            case IntegrationStep.ORO_DELETE:
                _delete(apply, op)
            case _:
                assert_never(step)


def _delete(apply: Apply, op: ChangeOp) -> None:
    oro_id = op.remote_ids.get("oro")
    assert oro_id is not None
    apply.journal.call(
        op.address,
        IntegrationStep.ORO_DELETE,
        {"call": "DELETE integrationchannels", "id": oro_id},
        ignore_missing(lambda: apply.oro.delete_integration(oro_id)),
    )


def _attributes(apply: Apply, context: IntegrationContext, spec: IntegrationSpec) -> dict[str, Any]:
    """The channel's and transport's attributes, with the owner's Oro ids."""
    integration = apply.integration(context.name)
    owner = apply.owner(integration)
    world = apply.world
    user = next(u for u in world.users if u.username == owner.username)
    org = next(o for o in world.organizations if o.name == owner.organization)
    unit = next(
        (
            b.id
            for b in world.business_units
            if b.name == owner.business_unit and b.organization_id == org.id
        ),
        None,
    )
    return {
        "name": integration.name,
        "enabled": spec.enabled,
        "organization_id": org.id,
        "owner_user_id": user.id,
        "business_unit_id": unit,
        "username": spec.username,
        "client_id": spec.oauth_client_id,
        "custom_domain": spec.custom_domain,
    }


def _create(apply: Apply, context: IntegrationContext, op: ChangeOp, spec: IntegrationSpec) -> None:
    secrets = apply.secrets[context.name]
    attributes = _attributes(apply, context, spec)
    name = attributes["name"]

    def find() -> OroIntegration | None:
        return next((c for c in apply.oro.list_integrations() if c.name == name), None)

    created = apply.journal.call(
        op.address,
        IntegrationStep.ORO_CREATE,
        {"call": "POST integrationchannels", "name": name},
        lambda: apply.oro.create_integration(
            NewIntegration(
                password=secrets.password, client_key=secrets.client_secret, **attributes
            )
        ),
        find,
    )
    if created.name != name:
        raise answered_another("integration", str(name), created.name)
    context.channel_id, context.transport_id = created.id, created.transport_id


def _update(apply: Apply, context: IntegrationContext, op: ChangeOp, spec: IntegrationSpec) -> None:
    assert context.channel_id is not None and context.transport_id is not None
    secrets = apply.secrets[context.name]
    attributes = _attributes(apply, context, spec)
    changed = {c.field for c in op.changes}
    update: dict[str, Any] = {
        key: attributes[key] for key, source in _UPDATED_BY if source in changed
    }
    if "password" in changed:
        update["password"] = secrets.password
    if "oauth_client_secret" in changed and secrets.client_secret is not None:
        update["client_key"] = secrets.client_secret
    channel_id, transport_id = context.channel_id, context.transport_id
    apply.journal.call(
        op.address,
        IntegrationStep.ORO_UPDATE,
        {"call": "PATCH integrationchannels", "fields": sorted(update)},
        lambda: apply.oro.update_integration(channel_id, transport_id, **update),
    )
