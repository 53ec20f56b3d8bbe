"""execute/mappings.py: a mapping's configs name their data fields by Oro id; a mapped
built-in field is recorded in Oro first, as Oro's own data-field import would."""

from __future__ import annotations

from conftest import CONTACT, Lab, desired, field, integration

from reconciler.model import DataFieldMapping, MappingField
from reconciler.plan.steps import MappingStep

CONTACT_MAPPING = "integration.emea.mapping.contact"


def mapping(*fields: MappingField, priority: int = 20) -> DataFieldMapping:
    return DataFieldMapping("crm", "emea", CONTACT, priority, fields)


def _configs(lab: Lab) -> list[tuple[str, str, bool]]:
    names = {r["id"]: r["a"]["name"] for r in lab.world.oro.rows("dotmailerdatafields")}
    return sorted(
        (names[r["r"]["dataField"]], r["a"]["entityFields"], r["a"]["isTwoWaySync"])
        for r in lab.world.oro.rows("dotmailerdatafieldmappingconfigs")
    )


def test_a_mapping_of_a_built_in_field_records_the_field_in_oro_first(lab: Lab) -> None:
    state = desired(
        integration(data_fields=(field("TIER"),)),
        mappings=(
            mapping(
                MappingField("FIRSTNAME", ("firstName",), two_way_sync=True),
                MappingField("TIER", ("tier",)),
            ),
        ),
    )
    lab.converge(state)

    assert [j[1:] for j in lab.journal() if j[0] == CONTACT_MAPPING] == [
        ("oro.create", "ok"),  # the built-in FIRSTNAME, recorded first
        ("oro.create", "ok"),  # the mapping
    ]
    assert _configs(lab) == [("FIRSTNAME", "firstName", True), ("TIER", "tier", False)]
    assert not lab.plan(state)[0].has_changes


def test_a_changed_mapping_is_updated_in_place(lab: Lab) -> None:
    lab.converge(desired(mappings=(mapping(MappingField("FULLNAME", ("firstName",))),)))
    state = desired(
        mappings=(mapping(MappingField("FULLNAME", ("firstName", "lastName")), priority=30),)
    )
    plan, live = lab.plan(state)
    (op,) = [o for o in plan.ops if o.address == CONTACT_MAPPING]
    assert op.steps == (MappingStep.ORO_UPDATE,)  # type: ignore[union-attr]
    assert [(c.field, c.before, c.after) for c in op.changes] == [
        (
            "field.FULLNAME",
            {"entity_fields": ["firstName"], "two_way_sync": False},
            {"entity_fields": ["firstName", "lastName"], "two_way_sync": False},
        ),
        ("sync_priority", 20, 30),
    ]

    lab.apply(state, plan, live)

    assert lab.calls("PATCH ") == [
        f"PATCH /admin/api/dotmailerdatafieldmappings/{op.remote_ids['oro']}"
    ]
    assert _configs(lab) == [("FULLNAME", "firstName,lastName", False)]
    assert not lab.plan(state)[0].has_changes


def test_a_removed_mapping_is_deleted(lab: Lab) -> None:
    lab.converge(desired(mappings=(mapping(MappingField("FULLNAME", ("firstName",))),)))
    state = desired()

    lab.converge(state)

    assert [c.rsplit("/", 1)[0] for c in lab.calls("DELETE ")] == [
        "DELETE /admin/api/dotmailerdatafieldmappings"
    ]
    assert lab.world.oro.rows("dotmailerdatafieldmappings") == []
    assert not lab.plan(state)[0].has_changes
