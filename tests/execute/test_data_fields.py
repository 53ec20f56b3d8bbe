"""execute/data_fields.py against both emulators: dotmailer first, Oro after, each call
journaled; a replace deletes and creates on both sides; a delete removes both."""

from __future__ import annotations

from conftest import USERNAME, Lab, desired, field, integration

from reconciler.execute import OK
from reconciler.plan.ops import CreateOp, DeleteOp, ReplaceOp
from reconciler.plan.steps import DataFieldStep

LOYALTY = "integration.emea.data_field.LOYALTY"


def test_a_new_field_is_made_in_dotmailer_then_recorded_in_oro(lab: Lab) -> None:
    lab.converge(desired())
    state = desired(integration(data_fields=(field("LOYALTY", "Boolean", default=True),)))
    plan, live = lab.plan(state)
    (op,) = [o for o in plan.ops if o.address == LOYALTY]
    assert isinstance(op, CreateOp)
    assert op.steps == (DataFieldStep.DOTMAILER_CREATE, DataFieldStep.ORO_CREATE)

    result = lab.apply(state, plan, live)

    assert [(r.address, r.status) for r in result.results if r.address == LOYALTY] == [
        (LOYALTY, OK)
    ]
    assert lab.calls("POST /v2/", "POST /admin/api/dotmailerdatafields") == [
        "POST /v2/data-fields",
        "POST /admin/api/dotmailerdatafields",
    ]
    # One converter: dotmailer stores the canonical bool, Oro its Yes/No text.
    assert lab.world.dotmailer.account(USERNAME).data_fields["LOYALTY"]["defaultValue"] is True
    (oro_field,) = [
        r for r in lab.world.oro.rows("dotmailerdatafields") if r["a"]["name"] == "LOYALTY"
    ]
    assert oro_field["a"]["defaultValue"] == "Yes"
    assert [j for j in lab.journal() if j[0] == LOYALTY] == [
        (LOYALTY, "dotmailer.create", "ok"),
        (LOYALTY, "oro.create", "ok"),
    ]
    record = lab.store.read().objects[LOYALTY]
    assert (record.remote_ids, record.applied) == (
        {"oro": str(oro_field["id"])},
        {
            "name": "LOYALTY",
            "type": "Boolean",
            "visibility": "Private",
            "default": True,
            "notes": None,
        },
    )
    assert not lab.plan(state)[0].has_changes


def test_a_replace_deletes_and_makes_the_field_again_on_both_sides(lab: Lab) -> None:
    before = desired(integration(data_fields=(field("LOYALTY"),)))
    lab.converge(before)
    after = desired(integration(data_fields=(field("LOYALTY", "Numeric", replace_on_change=True),)))
    plan, live = lab.plan(after)
    (op,) = [o for o in plan.ops if o.address == LOYALTY]
    assert isinstance(op, ReplaceOp) and op.allowed

    lab.apply(after, plan, live)

    assert [j[1] for j in lab.journal() if j[0] == LOYALTY][-4:] == [
        "dotmailer.delete",
        "oro.delete",
        "dotmailer.create",
        "oro.create",
    ]
    assert lab.world.dotmailer.account(USERNAME).data_fields["LOYALTY"]["type"] == "Numeric"
    assert not lab.plan(after)[0].has_changes


def test_a_gated_replace_is_refused_before_any_call(lab: Lab) -> None:
    lab.converge(desired(integration(data_fields=(field("LOYALTY"),))))
    after = desired(integration(data_fields=(field("LOYALTY", "Numeric"),)))
    plan, live = lab.plan(after)

    result = lab.apply(after, plan, live)

    (refused,) = [r for r in result.results if r.address == LOYALTY]
    assert (refused.status, refused.detail) == (
        "failed",
        "replace refused: destroys the values stored on contacts; set replaceOnChange: true on "
        "the field or pass --allow-replace LOYALTY",
    )
    assert lab.calls("DELETE ") == []


def test_a_removed_field_is_deleted_in_dotmailer_then_in_oro(lab: Lab) -> None:
    lab.converge(desired(integration(data_fields=(field("LOYALTY"), field("KEEP")))))
    after = desired(integration(data_fields=(field("KEEP"),)))
    plan, live = lab.plan(after)
    (op,) = [o for o in plan.ops if o.address == LOYALTY]
    assert isinstance(op, DeleteOp)

    lab.apply(after, plan, live)

    deletes = lab.calls("DELETE ")
    assert [c.rsplit("/", 1)[0] for c in deletes] == [
        "DELETE /v2/data-fields",
        "DELETE /admin/api/dotmailerdatafields",
    ]
    assert "LOYALTY" not in lab.world.dotmailer.account(USERNAME).data_fields
    assert LOYALTY not in lab.store.read().objects
    assert not lab.plan(after)[0].has_changes


def test_an_oro_record_that_disagrees_is_made_again(lab: Lab) -> None:
    state = desired(integration(data_fields=(field("LOYALTY", default="gold"),)))
    lab.converge(state)
    (row,) = [r for r in lab.world.oro.rows("dotmailerdatafields") if r["a"]["name"] == "LOYALTY"]
    # Oro's copy drifted (Oro cannot update it either).
    lab.world.oro.tables["dotmailerdatafields"][row["id"]]["a"]["defaultValue"] = "silver"
    plan, live = lab.plan(state)
    (op,) = [o for o in plan.ops if o.address == LOYALTY]
    assert op.steps == (DataFieldStep.ORO_DELETE, DataFieldStep.ORO_CREATE)  # type: ignore[union-attr]

    lab.apply(state, plan, live)

    assert lab.calls("DELETE ", "POST ") == [
        f"DELETE /admin/api/dotmailerdatafields/{row['id']}",
        "POST /admin/api/dotmailerdatafields",
        "POST /admin/api/integrationsyncs",  # a data field changed: the sync it needs
    ]
    assert not lab.plan(state)[0].has_changes
