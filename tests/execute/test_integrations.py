"""execute/integrations.py: "Check connection" before the credentials reach Oro, then the
channel and its transport; an update writes only what changed; a delete forgets the children."""

from __future__ import annotations

from dataclasses import replace

from conftest import USERNAME, Lab, desired, field, integration

from reconciler.execute import OK
from reconciler.plan.ops import CreateOp, DeleteOp, UpdateOp
from reconciler.plan.steps import IntegrationStep

EMEA = "integration.emea"


def test_a_new_integration_checks_the_connection_then_creates_the_channel(lab: Lab) -> None:
    state = desired()
    plan, live = lab.plan(state)
    (op,) = [o for o in plan.ops if o.address == EMEA]
    assert isinstance(op, CreateOp)
    assert op.steps == (IntegrationStep.CHECK, IntegrationStep.ORO_CREATE)

    result = lab.apply(state, plan, live)

    assert [(r.address, r.status) for r in result.results if r.address == EMEA] == [(EMEA, OK)]
    assert lab.calls("GET /v2/account-info", "POST /admin/api/integrationchannels") == [
        "GET /v2/account-info",
        "POST /admin/api/integrationchannels",
    ]
    channel = lab.world.oro.integration_row("emea")
    record = lab.store.read().objects[EMEA]
    assert record.remote_ids["oro"] == str(channel["id"])
    assert record.secret_fingerprints == lab.secrets()["emea"].fingerprints
    assert record.applied == {
        "enabled": True,
        "owner": "mkt.ops",
        "organization": "ACME",
        "business_unit": None,
        "username": USERNAME,
        "oauth_client_id": None,
        "custom_domain": None,
    }
    assert not lab.plan(state)[0].has_changes


def test_disabling_writes_only_enabled(lab: Lab) -> None:
    lab.converge(desired())
    state = desired(integration(enabled=False))
    plan, live = lab.plan(state)
    (op,) = [o for o in plan.ops if o.address == EMEA]
    assert isinstance(op, UpdateOp)
    assert op.steps == (IntegrationStep.ORO_UPDATE,)

    lab.apply(state, plan, live)

    assert lab.calls() == [f"PATCH /admin/api/integrationchannels/{op.remote_ids['oro']}"]
    assert lab.world.oro.integration_row("emea")["a"]["enabled"] is False
    assert [j for j in lab.journal() if j[0] == EMEA][-1] == (EMEA, "oro.update", "ok")
    assert not lab.plan(state)[0].has_changes


def test_a_refused_login_writes_nothing_to_oro(lab: Lab) -> None:
    state = desired()
    plan, live = lab.plan(state)
    lab.world.dotmailer.account(USERNAME).password_sha256 = "changed since the plan"

    result = lab.apply(state, plan, live)

    (failed,) = [r for r in result.results if r.address == EMEA]
    assert (failed.status, failed.detail) == (
        "failed",
        "dotmailer: credentials refused: GET http://127.0.0.1:9/v2/account-info: HTTP 401: "
        "Authorization has been denied for this request.",
    )
    assert lab.calls("POST /admin/api/integrationchannels") == []
    assert lab.world.oro.rows("integrationchannels") == []


def test_deleting_an_integration_deletes_the_channel_and_forgets_its_objects(lab: Lab) -> None:
    lab.converge(desired(integration(data_fields=(field("LOYALTY"),))))
    gone = replace(desired(), integrations=())
    plan, live = lab.plan(gone)
    (op,) = plan.ops
    assert isinstance(op, DeleteOp) and op.address == EMEA

    result = lab.apply(gone, plan, live)

    assert [(r.address, r.detail) for r in result.results] == [
        (EMEA, "deleted in Oro (dotmailer objects are kept)")
    ]
    assert lab.calls("DELETE ") == [f"DELETE /admin/api/integrationchannels/{op.remote_ids['oro']}"]
    assert lab.store.read().objects == {}
