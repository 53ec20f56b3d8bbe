"""Nested values, compared by deepdiff: the paths that moved, in the detail rows of the
renderers, the stale-plan check and ``ci compare`` (one walk, reconciler/plan/nested.py)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from reconciler.ci import compare_plans
from reconciler.errors import StalePlanError
from reconciler.plan.nested import ABSENT, Moved, moved, path_text
from reconciler.plan.ops import Drift, FieldChange, Plan, UpdateOp, address
from reconciler.plan.render import render_json, render_markdown, render_text
from reconciler.plan.saved import check_not_stale
from reconciler.plan.specs import MappedField, MappingSpec
from reconciler.plan.steps import MappingStep, MappingWork

CONTACT = "Oro\\Bundle\\ContactBundle\\Entity\\Contact"
MAPPING = address("mapping", "emea", "contact")
LINEAGE = "6f1c0c52-0000-4000-8000-000000000001"


def mapped(*fields: str, two_way: bool = False) -> dict[str, Any]:
    return {"entity_fields": list(fields), "two_way_sync": two_way}


def mapping_update(fullname: list[str], firstname_two_way: bool) -> UpdateOp:
    """A mapping whose FULLNAME gains entity fields and whose FIRSTNAME may turn two-way."""
    before = MappingSpec.make(
        CONTACT,
        20,
        (MappedField("FIRSTNAME", ("firstName",)), MappedField("FULLNAME", ("firstName",))),
    )
    after = MappingSpec.make(
        CONTACT,
        20,
        (
            MappedField("FIRSTNAME", ("firstName",), firstname_two_way),
            MappedField("FULLNAME", tuple(fullname)),
        ),
    )
    b, a = before.values(), after.values()
    return UpdateOp(
        address=MAPPING,
        kind="mapping",
        integration="emea",
        reason="config_changed",
        before=b,
        changes=tuple(FieldChange(k, b[k], a[k]) for k in sorted(a) if a[k] != b[k]),
        remote_ids={"oro": "31"},
        remote_fingerprint="sha256:live-1",
        work=MappingWork(after, (MappingStep.ORO_UPDATE,)),
    )


def plan(*ops: UpdateOp, drift: tuple[Drift, ...] = ()) -> Plan:
    return Plan(
        ops=ops,
        drift=drift,
        config_path="config",
        config_digest="sha256:1f2e3d",
        state_lineage=LINEAGE,
        state_serial=7,
        created_at="2026-11-26T21:00:00Z",
    )


# --- the walk ---------------------------------------------------------------------------------


def test_moved_names_every_nested_path_sorted() -> None:
    before = {"after": {"field.FULLNAME": mapped("firstName")}, "steps": ["oro.update"], "x": 1}
    after = {"after": {"field.FULLNAME": mapped("firstName", "lastName")}, "steps": [], "y": 2}
    assert moved(before, after) == (
        Moved(
            ("after", "field.FULLNAME", "entity_fields"), ["firstName"], ["firstName", "lastName"]
        ),
        Moved(("steps",), ["oro.update"], []),
        Moved(("x",), 1, ABSENT),
        Moved(("y",), ABSENT, 2),
    )
    assert [m.text for m in moved(before, after)] == [
        'after["field.FULLNAME"].entity_fields',
        "steps",
        "x",
        "y",
    ]


def test_a_path_stops_at_its_first_list() -> None:
    assert moved(mapped("a", "b"), mapped("b", "a", "c", two_way=True)) == (
        Moved(("entity_fields",), ["a", "b"], ["b", "a", "c"]),
        Moved(("two_way_sync",), False, True),
    )
    assert moved([{"a": 1}], [{"a": 2}]) == (Moved((), [{"a": 1}], [{"a": 2}]),)


def test_equal_values_move_nothing() -> None:
    value = {"a": [1, {"b": None}], "c": "d"}
    assert moved(value, {"a": [1, {"b": None}], "c": "d"}) == ()


def test_path_text_quotes_what_is_not_a_bare_name() -> None:
    assert path_text(("changes", "field.FULLNAME", "after", "entity_fields", 0)) == (
        'changes["field.FULLNAME"].after.entity_fields[0]'
    )
    assert path_text(("name with space", 3, "x-y")) == '["name with space"][3]["x-y"]'


# --- detail rows --------------------------------------------------------------------------------


def test_a_mapped_field_change_shows_the_nested_values_that_moved() -> None:
    text = render_text(plan(mapping_update(["firstName", "lastName"], firstname_two_way=True)))
    assert text == (
        "  ~ integration.emea.mapping.contact  # (configuration changed)\n"
        "      ~ field.FIRSTNAME.two_way_sync = false -> true\n"
        '      ~ field.FULLNAME.entity_fields = ["firstName"] -> ["firstName", "lastName"]\n'
        "\n"
        "Plan: 0 to create, 1 to update, 0 to replace, 0 to delete, 0 to adopt; "
        "0 syncs to schedule.\n"
    )
    markdown = render_markdown(plan(mapping_update(["firstName", "lastName"], True)))
    assert (  # the diff fence marks a change "!"
        '!       field.FULLNAME.entity_fields = ["firstName"] -> ["firstName", "lastName"]\n'
        in markdown
    )


def test_the_json_plan_keeps_whole_values() -> None:
    text = render_json(plan(mapping_update(["firstName", "lastName"], firstname_two_way=False)))
    assert '"field.FULLNAME": "firstName,lastName"' in text
    assert "entity_fields" not in text


def test_structured_drift_shows_the_nested_values_that_moved() -> None:
    drifted = Drift(
        address=MAPPING,
        integration="emea",
        changes=(
            FieldChange("field.FULLNAME", mapped("firstName", "lastName"), mapped("lastName")),
            FieldChange("sync_priority", 20, 30),
        ),
        reverted=True,
    )
    assert render_text(plan(drift=(drifted,))).splitlines()[:3] == [
        "Drift detected (changed outside reconciler):",
        "  integration.emea.mapping.contact: field.FULLNAME.entity_fields "
        '["lastName"] (was ["firstName", "lastName"])  # apply will revert',
        "  integration.emea.mapping.contact: sync_priority 30 (was 20)  # apply will revert",
    ]


# --- the stale check ----------------------------------------------------------------------------


def test_the_stale_check_names_each_nested_path_that_moved() -> None:
    saved = plan(mapping_update(["firstName", "lastName"], firstname_two_way=False))
    fresh = plan(mapping_update(["firstName", "middleName"], firstname_two_way=False))
    with pytest.raises(StalePlanError) as info:
        check_not_stale(saved, fresh, LINEAGE, 7)
    assert str(info.value) == (
        "the saved plan is stale; make a new plan:\n"
        '  integration.emea.mapping.contact: after["field.FULLNAME"].entity_fields: '
        '["firstName", "lastName"] when planned, ["firstName", "middleName"] now'
    )


def test_a_live_change_names_its_path_and_an_unseen_one_the_object() -> None:
    saved = mapping_update(["firstName", "lastName"], firstname_two_way=False)
    live = {**dict(saved.before or {}), "sync_priority": 10}
    fresh = replace(saved, before=live, remote_fingerprint="sha256:live-2")
    with pytest.raises(StalePlanError) as info:
        check_not_stale(plan(saved), plan(fresh), LINEAGE, 7)
    assert str(info.value) == (
        "the saved plan is stale; make a new plan:\n"
        "  integration.emea.mapping.contact: before.sync_priority: 20 when planned, 10 now"
    )
    unseen = replace(saved, remote_fingerprint="sha256:live-2")
    with pytest.raises(StalePlanError) as info:
        check_not_stale(plan(saved), plan(unseen), LINEAGE, 7)
    assert str(info.value) == (
        "the saved plan is stale; make a new plan:\n"
        "  integration.emea.mapping.contact: the live object changed since the plan was made"
    )
    check_not_stale(plan(saved), plan(saved), LINEAGE, 7)  # the same plan: not stale


def test_a_moved_change_row_is_named_once() -> None:
    saved = mapping_update(["firstName", "lastName"], firstname_two_way=False)
    fresh = mapping_update(["firstName", "lastName"], firstname_two_way=True)
    with pytest.raises(StalePlanError) as info:
        check_not_stale(plan(saved), plan(fresh), LINEAGE, 7)
    # after.X moved, and with it the changes row of X (new here), which is not named again.
    assert str(info.value) == (
        "the saved plan is stale; make a new plan:\n"
        '  integration.emea.mapping.contact: after["field.FIRSTNAME"].two_way_sync: '
        "false when planned, true now"
    )


def test_a_change_row_that_moved_alone_is_named() -> None:
    saved = mapping_update(["firstName", "lastName"], firstname_two_way=False)
    row = saved.changes[0]
    fresh = replace(saved, changes=(replace(row, forces_replacement=True),))
    with pytest.raises(StalePlanError) as info:
        check_not_stale(plan(saved), plan(fresh), LINEAGE, 7)
    assert str(info.value) == (
        "the saved plan is stale; make a new plan:\n"
        '  integration.emea.mapping.contact: changes["field.FULLNAME"].forces_replacement: '
        "false when planned, true now"
    )


# --- ci compare ---------------------------------------------------------------------------------


def test_ci_compare_names_each_nested_path_that_moved() -> None:
    reviewed = plan(mapping_update(["firstName", "lastName"], firstname_two_way=False))
    new = plan(mapping_update(["lastName", "firstName", "title"], firstname_two_way=True))
    assert compare_plans(reviewed, new) == (
        "integration.emea.mapping.contact: field field.FIRSTNAME: "
        "unchanged in the reviewed plan, "
        '"firstName" -> "firstName (two-way)" in the new plan',
        "integration.emea.mapping.contact: field field.FULLNAME: after.entity_fields: "
        '["firstName", "lastName"] in the reviewed plan, '
        '["lastName", "firstName", "title"] in the new plan',
    )
    assert compare_plans(reviewed, reviewed) == ()
