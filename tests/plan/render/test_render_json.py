"""JSON plan: shape, Terraform action names, drift and syncs, stable formatting."""

from __future__ import annotations

import json

from render_plans import SINGLE_OP_PLANS, TRICKY_BOOK, book, mixed_plan, plan

from reconciler import __version__
from reconciler.plan.render import plan_json, render_json


def test_plan_json_round_trips_through_json_with_the_documented_keys() -> None:
    data = json.loads(render_json(mixed_plan()))
    assert data == plan_json(mixed_plan())
    assert sorted(data) == [
        "config",
        "created_at",
        "format_version",
        "integrations",
        "reconciler_version",
        "refresh_only",
        "resource_changes",
        "resource_drift",
        "state",
        "summary",
        "syncs",
        "warnings",
    ]
    assert (data["format_version"], data["reconciler_version"]) == ("1.1", __version__)
    assert data["config"] == {
        "path": "config/",
        "digest": "sha256:1f2e3d",
        "git_sha": "a1b2c3d",
        "environment": None,  # the --env of the plan (docs/environments.md)
    }
    assert data["state"] == {"lineage": "6f1c0c52-0000-4000-8000-000000000001", "serial": 7}
    assert {tuple(sorted(entry)) for entry in data["resource_changes"]} == {
        (
            "action_reason",
            "address",
            "blocked",
            "change",
            "gated",
            "integration",
            "kind",
            "mode",
            "name",
            "previous_address",
            "provider_name",
            "reason",
            "remote_fingerprint",
            "remote_ids",
            "type",
        )
    }


def test_terraform_names_with_the_1_0_names_as_aliases() -> None:
    entries = plan_json(mixed_plan())["resource_changes"]
    assert [
        (e["address"], e["mode"], e["type"], e["name"], e["action_reason"]) for e in entries
    ] == [
        ("owner.marketing-ops", "data", "owner", "marketing-ops", "owner_lookup"),
        ("integration.apac", "managed", "integration", "apac", "exists_unmanaged"),
        (
            "integration.apac.data_field.LOYALTY_TIER",
            "managed",
            "data_field",
            "LOYALTY_TIER",
            "not_in_state",
        ),
        ("integration.emea.data_field.SCORE", "managed", "data_field", "SCORE", "not_in_state"),
        (book(TRICKY_BOOK), "managed", "address_book", TRICKY_BOOK, "config_changed"),
        (book("Newsletter EMEA"), "managed", "address_book", "Newsletter EMEA", "renamed"),
        (
            "integration.emea.data_field.LOYALTY",
            "managed",
            "data_field",
            "LOYALTY",
            "immutable_field_changed",
        ),
        (
            "integration.emea.data_field.OLD_SCORE",
            "managed",
            "data_field",
            "OLD_SCORE",
            "removed_from_config",
        ),
        ("integration.apac.sync", "managed", "sync", "apac", "config_changed"),
        ("integration.emea.sync", "managed", "sync", "emea", "config_changed"),
    ]
    for entry in entries:
        assert (entry["kind"], entry["reason"]) == (entry["type"], entry["action_reason"])
        assert entry["provider_name"] == "reconciler.dev/reconciler/oro-dotmailer"
        assert entry["change"]["after_unknown"] == {}


def test_actions_follow_terraform() -> None:
    actions = {
        case: [entry["change"]["actions"] for entry in plan_json(p)["resource_changes"]]
        for case, p in SINGLE_OP_PLANS.items()
    }
    assert actions == {
        "create": [["create"]],
        "update": [["update"]],
        "replace_allowed": [["delete", "create"]],
        "replace_gated": [["delete", "create"]],
        "delete": [["delete"]],
        "delete_blocked": [["delete"]],
        "adopt": [["update"]],  # adopt that writes a password: an import plus an update
        "read": [["read"], ["sync"]],
        "sync": [["sync"]],
        "moved": [["update"]],
    }


def test_adopt_without_changes_is_a_no_op_import() -> None:
    adopt = SINGLE_OP_PLANS["adopt"].ops[0]
    quiet = type(adopt)(
        address=adopt.address,
        kind=adopt.kind,
        integration=adopt.integration,
        reason=adopt.reason,
        remote_ids={"oro": "17", "dotmailer": "apiuser"},
    )
    change = plan_json(plan(quiet))["resource_changes"][0]["change"]
    assert (change["actions"], change["importing"]) == (
        ["no-op"],
        {"remote_ids": {"dotmailer": "apiuser", "oro": "17"}},
    )


def test_drift_syncs_warnings_and_summary() -> None:
    data = plan_json(mixed_plan())
    assert data["resource_drift"] == [
        {
            "address": book(TRICKY_BOOK),
            "mode": "managed",
            "type": "address_book",
            "name": TRICKY_BOOK,
            "provider_name": "reconciler.dev/reconciler/oro-dotmailer",
            "integration": "emea",
            "reverted": True,
            "change": {
                "actions": ["update"],
                "before": {"visibility": "Private"},
                "after": {"visibility": "Public"},
                "after_unknown": {},
                "before_sensitive": {},
                "after_sensitive": {},
            },
        },
        {
            "address": "integration.emea.data_field.NOTES",
            "mode": "managed",
            "type": "data_field",
            "name": "NOTES",
            "provider_name": "reconciler.dev/reconciler/oro-dotmailer",
            "integration": "emea",
            "reverted": False,
            "change": {
                "actions": ["update"],
                "before": {"notes": "set by us"},
                "after": {"notes": "edited in Oro"},
                "after_unknown": {},
                "before_sensitive": {"password": True},
                "after_sensitive": {"password": True},
            },
        },
    ]
    assert data["syncs"] == [
        {
            "address": f"integration.{name}.sync",
            "integration": name,
            "connector": "datafield",
            "force": True,
            "reason": "config_changed",
        }
        for name in ("apac", "emea")
    ]
    assert data["warnings"] == ["data field SCORE: default 0.5 is truncated to 0 by Oro"]
    assert data["summary"] == {
        "create": 2,
        "update": 2,
        "replace": 1,
        "delete": 1,
        "adopt": 1,
        "read": 1,
        "sync": 2,
        "blocked": 1,
        "gated": 1,
        "drifted": 2,
        "has_changes": True,
    }


def test_output_is_sorted_indented_and_ends_with_a_newline() -> None:
    text = render_json(mixed_plan())
    assert text == json.dumps(json.loads(text), sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    assert json.loads(text)["resource_changes"][4]["address"] == book(TRICKY_BOOK)
    assert '"integration.emea.address_book[\\"Promo | <VIP> `x`\\"]"' in text  # ensure_ascii=False


def test_empty_plan() -> None:
    data = plan_json(plan())
    assert (data["resource_changes"], data["summary"]["has_changes"]) == ([], False)
