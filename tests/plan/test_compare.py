"""compare.build_plan: pure, so tested on hand-built desired, live and state values."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from reconciler.errors import ConfigError, Location
from reconciler.model import (
    AddressBook,
    Connection,
    DataField,
    DataFieldMapping,
    DesiredState,
    Integration,
    LiveIntegration,
    LiveUser,
    LiveWorld,
    MappingField,
    MarketingList,
    OAuth,
    Organization,
    OroAddressBook,
    OroDataField,
    OroIntegration,
    OroMapping,
    OroMappingConfig,
    Owner,
    RemoteAddressBook,
    RemoteDataField,
    SecretRef,
    SecretSource,
    Settings,
)
from reconciler.plan.compare import PlanOptions, build_plan
from reconciler.plan.ops import (
    AdoptOp,
    CreateOp,
    DeleteOp,
    FieldChange,
    Op,
    ReadOp,
    ReplaceOp,
    SyncOp,
    UpdateOp,
)
from reconciler.plan.values import remote_fingerprint
from reconciler.state import ObjectRecord, Snapshot

CONTACT = "Oro\\Bundle\\ContactBundle\\Entity\\Contact"
FP = {"integration.emea": {"password": "hmac-sha256:aa"}}


def owner() -> Owner:
    return Owner(
        name="ops",
        username="mkt.ops",
        organization="ACME",
        location=Location("owners.yaml", 4, 3),
    )


def integration(**changes: Any) -> Integration:
    base = Integration(
        name="emea",
        owner="ops",
        connection=Connection("apiuser-emea@apiconnector.com", SecretRef(SecretSource.ENV, "PW")),
        data_fields=(DataField("LOYALTY", "String", "Private", "bronze"),),
        address_books=(AddressBook("Newsletter", "Private", "EMEA subscribers"),),
    )
    return replace(base, **changes)


def desired(
    *integrations: Integration, mappings: tuple[DataFieldMapping, ...] = (), prune: bool = True
) -> DesiredState:
    return DesiredState(
        settings=Settings(prune=prune),
        owners=(owner(),),
        integrations=integrations or (integration(),),
        mappings=mappings,
        digest="sha256:config",
    )


def world(*integrations: LiveIntegration, enabled: bool = True) -> LiveWorld:
    return LiveWorld(
        users=(LiveUser("5", "mkt.ops", enabled, ("1",)),),
        organizations=(Organization("1", "ACME"),),
        marketing_lists=(MarketingList("3", "EMEA subscribers", CONTACT),),
        integrations=integrations,
    )


def channel() -> OroIntegration:
    return OroIntegration(
        id="7",
        name="emea",
        enabled=True,
        organization_id="1",
        owner_user_id="5",
        business_unit_id=None,
        username="apiuser-emea@apiconnector.com",
        client_id=None,
        custom_domain=None,
        transport_id="70",
    )


def converged_live(**changes: Any) -> LiveIntegration:
    base = LiveIntegration(
        name="emea",
        oro=channel(),
        remote_fields=(RemoteDataField("LOYALTY", "String", "Private", "bronze"),),
        remote_books=(RemoteAddressBook(12, "Newsletter", "Private"),),
        oro_fields=(OroDataField("21", "7", "LOYALTY", "String", "Private", "bronze", None),),
        oro_books=(OroAddressBook("31", "7", "Newsletter", "Private", 12, "3", False),),
    )
    return replace(base, **changes)


def record(address: str, kind: str, applied: dict[str, Any], **ids: str) -> ObjectRecord:
    return ObjectRecord(
        address=address,
        kind=kind,
        integration="emea",
        remote_ids=ids,
        applied=applied,
        secret_fingerprints={"password": "hmac-sha256:aa"} if kind == "integration" else {},
        remote_fingerprint="",
        updated_at="2026-11-26T00:00:00Z",
    )


INTEGRATION_APPLIED = {
    "enabled": True,
    "owner": "mkt.ops",
    "organization": "ACME",
    "business_unit": None,
    "username": "apiuser-emea@apiconnector.com",
    "oauth_client_id": None,
    "custom_domain": None,
}
FIELD_APPLIED = {
    "name": "LOYALTY",
    "type": "String",
    "visibility": "Private",
    "default": "bronze",
    "notes": None,
}
BOOK_APPLIED = {
    "name": "Newsletter",
    "visibility": "Private",
    "marketing_list": "EMEA subscribers",
    "create_entities": False,
}


def converged_state(*extra: ObjectRecord) -> Snapshot:
    records = [
        record("integration.emea", "integration", INTEGRATION_APPLIED, oro="7"),
        record("integration.emea.data_field.LOYALTY", "data_field", FIELD_APPLIED, oro="21"),
        record(
            "integration.emea.address_book.Newsletter",
            "address_book",
            BOOK_APPLIED,
            dotmailer="12",
            oro="31",
        ),
        *extra,
    ]
    return Snapshot("lineage-1", 4, {r.address: r for r in records})


def summary(ops: tuple[Op, ...]) -> list[tuple[str, str]]:
    return [(op.action, op.address) for op in ops]


def test_empty_live_plans_creates_in_order_with_a_sync() -> None:
    plan = build_plan(desired(), world(), Snapshot("l", 0, {}), FP, PlanOptions(prune=True))
    assert summary(plan.ops) == [
        ("read", "owner.ops"),
        ("create", "integration.emea"),
        ("create", "integration.emea.data_field.LOYALTY"),
        ("create", "integration.emea.address_book.Newsletter"),
        ("sync", "integration.emea.sync"),
    ]
    field_op = plan.ops[2]
    assert isinstance(field_op, CreateOp)
    assert field_op.steps == ("dotmailer.create", "oro.create")
    sync = plan.ops[-1]
    assert isinstance(sync, SyncOp) and sync.connector is None and sync.force is True
    assert plan.ops[1].sensitive == ("password",)
    assert plan.config_digest == "sha256:config"


def test_converged_world_has_no_changes() -> None:
    plan = build_plan(
        desired(), world(converged_live()), converged_state(), FP, PlanOptions(prune=True)
    )
    assert plan.ops == ()
    assert plan.drift == ()
    assert not plan.has_changes


def test_values_oro_fills_in_on_its_own_make_no_diff() -> None:
    live = converged_live(
        remote_books=(RemoteAddressBook(12, "Newsletter", "Private", contacts=420),),
        oro_mappings=(OroMapping("40", "7", "Oro\\Bundle\\SalesBundle\\Entity\\Lead", 10, ()),),
    )
    plan = build_plan(desired(), world(live), converged_state(), FP, PlanOptions(prune=True))
    assert plan.ops == ()


def test_unmanaged_live_objects_are_adopted_not_recreated() -> None:
    plan = build_plan(
        desired(), world(converged_live()), Snapshot("l", 0, {}), FP, PlanOptions(prune=True)
    )
    # Nothing but the write-only password is written, which changes nothing a sync would
    # carry: no sync, and no owner to read for one.
    assert summary(plan.ops) == [
        ("adopt", "integration.emea"),
        ("adopt", "integration.emea.data_field.LOYALTY"),
        ("adopt", "integration.emea.address_book.Newsletter"),
    ]
    adopt = plan.ops[0]
    assert isinstance(adopt, AdoptOp)
    # No API returns the password, so adopting writes it.
    assert adopt.changes == (FieldChange("password", None, None, sensitive=True),)
    assert adopt.steps == ("dotmailer.check", "oro.update")
    assert plan.ops[1].changes == ()


def test_an_adopt_that_writes_more_than_secrets_is_followed_by_a_sync() -> None:
    # A field only dotmailer has: adopting it makes its Oro record, which a sync then uses.
    live = converged_live(oro_fields=())
    plan = build_plan(desired(), world(live), Snapshot("l", 0, {}), FP, PlanOptions(prune=True))
    assert summary(plan.ops) == [
        ("read", "owner.ops"),
        ("adopt", "integration.emea"),
        ("adopt", "integration.emea.data_field.LOYALTY"),
        ("adopt", "integration.emea.address_book.Newsletter"),
        ("sync", "integration.emea.sync"),
    ]
    assert plan.ops[2].steps == ("oro.create",)


def test_an_imported_integration_is_adopted_by_writing_its_secrets_once() -> None:
    """`import` and `state import` record an integration with no secret fingerprints: Oro
    keeps the password write-only, so the state cannot know it. The next plan finishes the
    adoption (an adopt, not a configuration change) and schedules no sync."""
    imported = replace(converged_state().objects["integration.emea"], secret_fingerprints={})
    state = converged_state(imported)
    plan = build_plan(desired(), world(converged_live()), state, FP, PlanOptions(prune=True))
    assert summary(plan.ops) == [("adopt", "integration.emea")]
    adopt = plan.ops[0]
    assert isinstance(adopt, AdoptOp)
    assert (adopt.reason, adopt.changes, adopt.steps, adopt.sensitive) == (
        "secrets_unknown",
        (FieldChange("password", None, None, sensitive=True),),
        ("dotmailer.check", "oro.update"),
        ("password",),
    )
    assert plan.drift == ()


@pytest.mark.parametrize(
    ("client_id", "custom_domain", "oauth"),
    [
        # Oro uses its default domain when the transport has none (OAuthManager.php:56).
        ("4711", None, OAuth("4711", SecretRef(SecretSource.ENV, "S"))),
        ("4711", "", OAuth("4711", SecretRef(SecretSource.ENV, "S"))),
        # Without a client id there is no single sign-on: a domain left behind is unused.
        (None, "https://r3-app.dotmailer.com/", None),
    ],
)
def test_an_oauth_domain_oro_would_not_use_makes_no_diff(
    client_id: str | None, custom_domain: str | None, oauth: OAuth | None
) -> None:
    live = converged_live(oro=replace(channel(), client_id=client_id, custom_domain=custom_domain))
    applied = {
        **INTEGRATION_APPLIED,
        "oauth_client_id": client_id,
        "custom_domain": oauth.custom_domain if oauth else None,
    }
    fingerprints = {"password": "hmac-sha256:aa", **({"oauth_client_secret": "hmac-sha256:bb"}
                                                    if oauth else {})}  # fmt: skip
    state = converged_state(
        replace(
            record("integration.emea", "integration", applied, oro="7"),
            secret_fingerprints=fingerprints,
        )
    )
    plan = build_plan(
        desired(integration(oauth=oauth)),
        world(live),
        state,
        {"integration.emea": fingerprints},
        PlanOptions(prune=True),
    )
    assert (plan.ops, plan.drift) == ((), ())


def test_an_imported_integration_with_a_declared_change_is_an_update() -> None:
    imported = replace(converged_state().objects["integration.emea"], secret_fingerprints={})
    state = converged_state(imported)
    live = converged_live(oro=replace(channel(), enabled=False))
    plan = build_plan(desired(), world(live), state, FP, PlanOptions(prune=True))
    assert summary(plan.ops) == [
        ("read", "owner.ops"),
        ("update", "integration.emea"),
        ("sync", "integration.emea.sync"),
    ]
    assert plan.ops[1].changes == (
        FieldChange("enabled", False, True),
        FieldChange("password", None, None, sensitive=True),
    )


def test_drift_is_reported_and_reverted() -> None:
    live = converged_live(
        remote_books=(RemoteAddressBook(12, "Newsletter", "Public"),),
    )
    plan = build_plan(desired(), world(live), converged_state(), FP, PlanOptions(prune=True))
    assert [(d.address, d.changes, d.reverted) for d in plan.drift] == [
        (
            "integration.emea.address_book.Newsletter",
            (FieldChange("visibility", "Private", "Public"),),
            True,
        ),
    ]
    update = plan.ops[1]
    assert isinstance(update, UpdateOp)
    assert (update.reason, update.changes, update.steps) == (
        "drift",
        (FieldChange("visibility", "Public", "Private"),),
        ("dotmailer.update", "oro.update"),
    )


def test_address_book_rename_is_an_update_with_previous_address() -> None:
    renamed = integration(
        address_books=(AddressBook("Newsletter EMEA", "Private", "EMEA subscribers"),)
    )
    plan = build_plan(
        desired(renamed), world(converged_live()), converged_state(), FP, PlanOptions(prune=True)
    )
    update = next(op for op in plan.ops if op.kind == "address_book")
    assert isinstance(update, UpdateOp)
    assert (update.address, update.previous_address, update.reason) == (
        'integration.emea.address_book["Newsletter EMEA"]',
        "integration.emea.address_book.Newsletter",
        "renamed",
    )
    assert update.changes == (FieldChange("name", "Newsletter", "Newsletter EMEA"),)
    assert update.remote_ids == {"dotmailer": "12", "oro": "31"}
    assert not any(isinstance(op, DeleteOp) for op in plan.ops)


def test_data_field_type_change_is_a_gated_replace() -> None:
    changed = integration(data_fields=(DataField("LOYALTY", "Numeric", "Private", 3),))
    plan = build_plan(
        desired(changed), world(converged_live()), converged_state(), FP, PlanOptions(prune=True)
    )
    replace_op = next(op for op in plan.ops if isinstance(op, ReplaceOp))
    assert replace_op.allowed is False
    assert [c.field for c in replace_op.changes] == ["default", "type"]
    allowed = build_plan(
        desired(changed),
        world(converged_live()),
        converged_state(),
        FP,
        PlanOptions(prune=True, allow_replace=frozenset({"LOYALTY"})),
    )
    assert next(op for op in allowed.ops if isinstance(op, ReplaceOp)).allowed is True


def test_removed_field_is_deleted_only_with_prune_and_under_the_cap() -> None:
    without = integration(data_fields=(DataField("OTHER", "String"),))
    plan = build_plan(
        desired(without), world(converged_live()), converged_state(), FP, PlanOptions(prune=True)
    )
    delete = next(op for op in plan.ops if isinstance(op, DeleteOp))
    assert (delete.address, delete.blocked, delete.steps) == (
        "integration.emea.data_field.LOYALTY",
        None,
        ("dotmailer.delete", "oro.delete"),
    )
    no_prune = build_plan(
        desired(without), world(converged_live()), converged_state(), FP, PlanOptions(prune=False)
    )
    assert not any(isinstance(op, DeleteOp) for op in no_prune.ops)
    assert no_prune.warnings == (
        "integration.emea.data_field.LOYALTY is no longer declared; prune is disabled, "
        "so it is left in place",
    )
    capped = build_plan(
        desired(without),
        world(converged_live()),
        converged_state(),
        FP,
        PlanOptions(prune=True, max_deletes=0),
    )
    assert next(op for op in capped.ops if isinstance(op, DeleteOp)).blocked == (
        "1 deletes exceed the cap of 0 per run (prune.maxDeletes)"
    )


def test_empty_desired_set_is_refused_unless_allowed() -> None:
    empty = integration(data_fields=(), address_books=())
    plan = build_plan(
        desired(empty), world(converged_live()), converged_state(), FP, PlanOptions(prune=True)
    )
    deletes = [op for op in plan.ops if isinstance(op, DeleteOp)]
    assert len(deletes) == 2
    assert {op.blocked for op in deletes} == {
        "the desired set is empty; pass --allow-empty to delete everything it held"
    }
    allowed = build_plan(
        desired(empty),
        world(converged_live()),
        converged_state(),
        FP,
        PlanOptions(prune=True, allow_empty=True),
    )
    assert [op.blocked for op in allowed.ops if isinstance(op, DeleteOp)] == [None, None]


def test_a_field_our_mapping_drops_in_the_same_apply_is_deleted_after_it() -> None:
    mapping_record = record(
        "integration.emea.mapping.contact",
        "mapping",
        {
            "entity": CONTACT,
            "sync_priority": 0,
            "fields": [{"data_field": "LOYALTY", "entity_fields": "x", "two_way_sync": False}],
        },
        oro="40",
    )
    mapping = DataFieldMapping(
        "m", "emea", CONTACT, 0, (MappingField("FIRSTNAME", ("firstName",)),)
    )
    live = converged_live(
        oro_mappings=(
            OroMapping("40", "7", CONTACT, 0, (OroMappingConfig("1", "21", ("x",), False),)),
        )
    )
    without = integration(data_fields=(DataField("OTHER", "String"),))
    plan = build_plan(
        desired(without, mappings=(mapping,)),
        world(live),
        converged_state(mapping_record),
        FP,
        PlanOptions(prune=True),
    )
    # The mapping update drops LOYALTY in the same apply, before the delete runs.
    ops = summary(plan.ops)
    assert ops.index(("update", "integration.emea.mapping.contact")) < ops.index(
        ("delete", "integration.emea.data_field.LOYALTY")
    )
    assert [op.blocked for op in plan.ops if isinstance(op, DeleteOp)] == [None]


def test_deleting_a_field_an_unmanaged_oro_mapping_uses_is_blocked() -> None:
    live = converged_live(
        oro_mappings=(
            OroMapping("40", "7", CONTACT, 20, (OroMappingConfig("1", "21", ("x",), False),)),
        )
    )
    without = integration(data_fields=(DataField("OTHER", "String"),))
    plan = build_plan(desired(without), world(live), converged_state(), FP, PlanOptions(prune=True))
    assert [op.blocked for op in plan.ops if isinstance(op, DeleteOp)] == [
        f"data field LOYALTY is used by the Oro mapping for {CONTACT} (not managed by "
        "reconciler); remove it there first"
    ]


def test_deleting_a_field_a_desired_mapping_still_uses_is_blocked() -> None:
    mapping = DataFieldMapping("crm", "emea", CONTACT, 0, (MappingField("LOYALTY", ("x",)),))
    without = integration(data_fields=(DataField("OTHER", "String"),))
    plan = build_plan(
        desired(without, mappings=(mapping,)),
        world(converged_live()),
        converged_state(),
        FP,
        PlanOptions(prune=True),
    )
    assert [op.blocked for op in plan.ops if isinstance(op, DeleteOp)] == [
        "data field LOYALTY is used by mapping 'crm'; remove it there first"
    ]


def test_missing_or_disabled_owner_is_a_plan_error_naming_the_yaml_line() -> None:
    with pytest.raises(ConfigError) as caught:
        build_plan(desired(), world(enabled=False), Snapshot("l", 0, {}), FP)
    assert [str(d) for d in caught.value.diagnostics] == [
        "owners.yaml:4:3: error: spec.username: Oro user 'mkt.ops' is disabled"
    ]
    nobody = LiveWorld(
        organizations=(Organization("1", "ACME"),),
        marketing_lists=(MarketingList("3", "EMEA subscribers", CONTACT),),
    )
    with pytest.raises(ConfigError) as caught:
        build_plan(desired(), nobody, Snapshot("l", 0, {}), FP)
    assert [str(d) for d in caught.value.diagnostics] == [
        "owners.yaml:4:3: error: spec.username: Oro user 'mkt.ops' does not exist"
    ]


def test_changed_password_is_a_sensitive_update() -> None:
    plan = build_plan(
        desired(),
        world(converged_live()),
        converged_state(),
        {"integration.emea": {"password": "hmac-sha256:bb"}},
        PlanOptions(prune=True),
    )
    update = plan.ops[1]
    assert isinstance(update, UpdateOp)
    assert update.changes == (FieldChange("password", None, None, sensitive=True),)
    assert update.steps == ("dotmailer.check", "oro.update")
    assert isinstance(plan.ops[0], ReadOp)
    assert isinstance(plan.ops[-1], SyncOp)


def test_only_data_field_changes_sync_the_datafield_connector_forced() -> None:
    notes = integration(data_fields=(DataField("LOYALTY", "String", "Private", "bronze", "tier"),))
    plan = build_plan(
        desired(notes), world(converged_live()), converged_state(), FP, PlanOptions(prune=True)
    )
    sync = plan.ops[-1]
    assert isinstance(sync, SyncOp)
    assert (sync.connector, sync.force) == ("datafield", True)
    assert plan.ops[1].steps == ("oro.update",)  # type: ignore[attr-defined]


def test_refresh_only_plans_no_ops_but_keeps_drift() -> None:
    live = converged_live(remote_books=(RemoteAddressBook(12, "Newsletter", "Public"),))
    plan = build_plan(
        desired(), world(live), converged_state(), FP, PlanOptions(prune=True, refresh_only=True)
    )
    assert plan.ops == ()
    assert len(plan.drift) == 1


def test_an_oro_record_deleted_by_hand_is_drift_and_a_create_with_its_values() -> None:
    """Issue 11: it was an update with no attributes, counted as an update and absent from
    the drift; it is a create of what is gone, with every declared value, and drift."""
    live = converged_live(oro_fields=())
    plan = build_plan(desired(), world(live), converged_state(), FP, PlanOptions(prune=True))
    create = plan.ops[1]
    assert isinstance(create, CreateOp)
    assert (create.address, create.reason, create.changes, create.steps) == (
        "integration.emea.data_field.LOYALTY",
        "missing_remote",
        (
            FieldChange("default", None, "bronze"),
            FieldChange("name", None, "LOYALTY"),
            FieldChange("type", None, "String"),
            FieldChange("visibility", None, "Private"),
        ),
        ("oro.create",),
    )
    assert [(d.address, d.changes) for d in plan.drift] == [
        ("integration.emea.data_field.LOYALTY", (FieldChange("exists", True, False),))
    ]


# --- findings of the review of the engine ------------------------------------------------


def test_a_book_renamed_only_in_case_is_the_same_book_never_deleted() -> None:
    upper = integration(address_books=(AddressBook("NEWSLETTER", "Private", "EMEA subscribers"),))
    plan = build_plan(
        desired(upper), world(converged_live()), converged_state(), FP, PlanOptions(prune=True)
    )
    assert not any(isinstance(op, DeleteOp) for op in plan.ops)
    update = next(op for op in plan.ops if op.kind == "address_book")
    assert (update.action, update.previous_address, update.remote_ids) == (
        "update",
        "integration.emea.address_book.Newsletter",
        {"dotmailer": "12", "oro": "31"},
    )


def test_a_data_field_declared_in_lower_case_makes_no_perpetual_diff() -> None:
    lower = integration(data_fields=(DataField("loyalty", "String", "Private", "bronze"),))
    plan = build_plan(
        desired(lower), world(converged_live()), converged_state(), FP, PlanOptions(prune=True)
    )
    assert (plan.ops, plan.drift) == ((), ())


def test_two_books_cannot_claim_the_same_state_record() -> None:
    books = integration(
        address_books=(
            AddressBook("News EMEA", "Private", None, renamed_from="Newsletter"),
            AddressBook("Promo EMEA", "Private", "EMEA subscribers"),
        )
    )
    plan = build_plan(
        desired(books), world(converged_live()), converged_state(), FP, PlanOptions(prune=True)
    )
    moved = [op for op in plan.ops if op.kind == "address_book" and op.previous_address]
    assert [(op.address, op.action) for op in moved] == [
        ('integration.emea.address_book["News EMEA"]', "update")
    ]
    created = next(op for op in plan.ops if op.address.endswith('["Promo EMEA"]'))
    assert created.action == "create"


def test_a_book_gone_from_dotmailer_gets_a_new_oro_record_for_the_new_book() -> None:
    live = converged_live(remote_books=())
    plan = build_plan(desired(), world(live), converged_state(), FP, PlanOptions(prune=True))
    create = next(op for op in plan.ops if op.kind == "address_book")
    assert isinstance(create, CreateOp)
    assert (create.reason, create.steps) == (
        "missing_remote",
        ("dotmailer.create", "oro.delete", "oro.create"),
    )


def test_a_field_recreated_in_dotmailer_recreates_its_outdated_oro_record() -> None:
    changed = integration(data_fields=(DataField("LOYALTY", "Numeric", "Public", 5),))
    live = converged_live(remote_fields=())
    plan = build_plan(desired(changed), world(live), converged_state(), FP, PlanOptions(prune=True))
    op = next(op for op in plan.ops if op.kind == "data_field")
    assert op.steps == ("dotmailer.create", "oro.delete", "oro.create")  # type: ignore[attr-defined]


def test_a_replace_of_a_field_an_unmanaged_mapping_uses_is_blocked() -> None:
    live = converged_live(
        oro_mappings=(
            OroMapping("40", "7", CONTACT, 20, (OroMappingConfig("1", "21", ("x",), False),)),
        )
    )
    changed = integration(data_fields=(DataField("LOYALTY", "Numeric", "Private", 3),))
    plan = build_plan(
        desired(changed),
        world(live),
        converged_state(),
        FP,
        PlanOptions(prune=True, allow_replace=frozenset({"LOYALTY"})),
    )
    replace_op = next(op for op in plan.ops if isinstance(op, ReplaceOp))
    assert replace_op.blocked == (
        f"data field LOYALTY is used by the Oro mapping for {CONTACT} (not managed by "
        "reconciler); remove it there first"
    )


def test_an_object_deleted_by_hand_is_drift_as_well_as_a_create() -> None:
    live = converged_live(remote_books=(), oro_books=())
    plan = build_plan(
        desired(), world(live), converged_state(), FP, PlanOptions(prune=True, refresh_only=True)
    )
    assert [(d.address, d.changes, d.reverted) for d in plan.drift] == [
        ("integration.emea.address_book.Newsletter", (FieldChange("exists", True, False),), True)
    ]


def test_a_delete_that_frees_a_name_runs_before_the_rename_that_takes_it() -> None:
    state = converged_state(
        record(
            "integration.emea.address_book.Leads",
            "address_book",
            {**BOOK_APPLIED, "name": "Leads", "marketing_list": None},
            dotmailer="13",
            oro="32",
        ),
    )
    live = converged_live(
        remote_books=(
            RemoteAddressBook(12, "Newsletter", "Private"),
            RemoteAddressBook(13, "Leads", "Private"),
        ),
    )
    renamed = integration(
        address_books=(
            AddressBook("LEADS", "Private", "EMEA subscribers", renamed_from="Newsletter"),
        )
    )
    plan = build_plan(desired(renamed), world(live), state, FP, PlanOptions(prune=True))
    assert [(op.action, op.address) for op in plan.ops if op.kind == "address_book"] == [
        ("delete", "integration.emea.address_book.Leads"),
        ("update", "integration.emea.address_book.LEADS"),
    ]


def test_a_data_fields_update_and_replace_carry_the_live_pairs_fingerprint() -> None:
    """The fingerprint is hashed only for an op (not for the unchanged fields of a plan), and
    each op that touches a live field still carries the hash of its dotmailer and Oro pair: the
    stale check of a saved plan compares it."""
    live = converged_live()
    expected = remote_fingerprint(live.remote_fields[0], live.oro_fields[0])
    noted = integration(data_fields=(DataField("LOYALTY", "String", "Private", "bronze", "n"),))
    retyped = integration(data_fields=(DataField("LOYALTY", "Numeric", "Private", 3),))
    for changed, kind in ((noted, UpdateOp), (retyped, ReplaceOp)):
        plan = build_plan(
            desired(changed), world(live), converged_state(), FP, PlanOptions(prune=True)
        )
        (op,) = (op for op in plan.ops if op.kind == "data_field")
        assert isinstance(op, kind)
        assert op.remote_fingerprint == expected != ""
