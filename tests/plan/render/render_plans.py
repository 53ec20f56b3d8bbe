"""Small builders for the plans the render tests show (no 30-argument constructors)."""

from __future__ import annotations

from typing import Any

from reconciler.plan.ops import (
    AdoptOp,
    CreateOp,
    DeleteOp,
    Drift,
    FieldChange,
    Op,
    Plan,
    ReadOp,
    ReplaceOp,
    SyncOp,
    UpdateOp,
    address,
)


def plan(*ops: Op, **extra: Any) -> Plan:
    """A plan bound to a fixed config and state, so every golden file is byte-stable."""
    defaults: dict[str, Any] = {
        "config_path": "config/",
        "config_digest": "sha256:1f2e3d",
        "git_sha": "a1b2c3d",
        "state_lineage": "6f1c0c52-0000-4000-8000-000000000001",
        "state_serial": 7,
        "created_at": "2026-11-26T21:00:00Z",
    }
    return Plan(ops=ops, **{**defaults, **extra})


def field(name: str, integration: str = "emea") -> str:
    return address("data_field", integration, name)


def book(name: str, integration: str = "emea") -> str:
    return address("address_book", integration, name)


def change(name: str, before: Any, after: Any, **flags: bool) -> FieldChange:
    return FieldChange(name, before, after, **flags)


def secret(name: str) -> FieldChange:
    return FieldChange(name, None, None, sensitive=True)


def create_field(name: str, integration: str = "emea", **values: Any) -> CreateOp:
    after = {"name": name, "type": "String", "visibility": "Private", "default": None, **values}
    return CreateOp(
        address=field(name, integration),
        kind="data_field",
        integration=integration,
        reason="not_in_state",
        after=after,
    )


def update_book(name: str, *changes: FieldChange, integration: str = "emea") -> UpdateOp:
    return UpdateOp(
        address=book(name, integration),
        kind="address_book",
        integration=integration,
        reason="config_changed",
        changes=changes,
        remote_ids={"dotmailer": "4711"},
        remote_fingerprint="etag:9a8b",
    )


def replace_field(name: str, *changes: FieldChange, allowed: bool) -> ReplaceOp:
    return ReplaceOp(
        address=field(name),
        kind="data_field",
        integration="emea",
        reason="immutable_field_changed",
        changes=changes,
        allowed=allowed,
        remote_fingerprint="field:LOYALTY:String",
    )


def delete_field(name: str, blocked: str | None = None, integration: str = "emea") -> DeleteOp:
    return DeleteOp(
        address=field(name, integration),
        kind="data_field",
        integration=integration,
        reason="removed_from_config",
        before={"name": name, "type": "Numeric", "visibility": "Public", "default": 0},
        blocked=blocked,
    )


def adopt_integration(name: str = "emea") -> AdoptOp:
    return AdoptOp(
        address=address("integration", name),
        kind="integration",
        integration=name,
        reason="exists_unmanaged",
        before={"name": "EMEA", "username": "apiuser-1a2b3c@apiconnector.com"},
        after={"name": "EMEA", "username": "apiuser-1a2b3c@apiconnector.com"},
        changes=(secret("password"),),
        sensitive=("password",),
        remote_ids={"oro": "17"},
    )


def read_owner(name: str = "marketing-ops") -> ReadOp:
    return ReadOp(
        address=address("owner", key=name),
        kind="owner",
        integration=None,
        reason="owner_lookup",
        after={"username": "mops", "organization": "ACME", "id": 5},
        remote_ids={"oro": "5"},
    )


def sync(integration: str = "emea") -> SyncOp:
    return SyncOp(
        address=address("sync", integration),
        kind="sync",
        integration=integration,
        reason="config_changed",
        connector="datafield",
        force=True,
    )


def moved_book() -> UpdateOp:
    op = update_book("Newsletter EMEA", change("name", "Newsletter", "Newsletter EMEA"))
    return UpdateOp(
        address=op.address,
        kind=op.kind,
        integration=op.integration,
        reason="renamed",
        changes=op.changes,
        remote_ids=op.remote_ids,
        remote_fingerprint=op.remote_fingerprint,
        previous_address=book("Newsletter"),
    )


def drift(addr: str, *changes: FieldChange, reverted: bool = True) -> Drift:
    return Drift(address=addr, integration="emea", changes=changes, reverted=reverted)


# One plan per op type: the golden files are named after these keys.
SINGLE_OP_PLANS: dict[str, Plan] = {
    "create": plan(create_field("LOYALTY_TIER", default="bronze")),
    "update": plan(update_book("Newsletter EMEA", change("visibility", "Private", "Public"))),
    "replace_allowed": plan(
        replace_field(
            "LOYALTY",
            change("type", "String", "Numeric", forces_replacement=True),
            change("notes", "tier", "tier as a number"),
            allowed=True,
        )
    ),
    "replace_gated": plan(
        replace_field(
            "LOYALTY",
            change("visibility", "Private", "Public", forces_replacement=True),
            allowed=False,
        )
    ),
    "delete": plan(delete_field("OLD_SCORE")),
    "delete_blocked": plan(
        delete_field("OLD_SCORE", blocked="prune is off; set prune: true in reconciler.yaml")
    ),
    "adopt": plan(adopt_integration()),
    "read": plan(read_owner(), sync()),  # reads alone are "No changes"
    "sync": plan(sync()),
    "moved": plan(moved_book()),
}


TRICKY_BOOK = "Promo | <VIP> `x`"


def mixed_plan(**extra: Any) -> Plan:
    """Two integrations, an owner, every kind of op, drift and warnings, in plan order."""
    return plan(
        read_owner(),
        adopt_integration("apac"),
        create_field("LOYALTY_TIER", "apac"),
        create_field("SCORE", "emea", type="Numeric", default=0),
        update_book(TRICKY_BOOK, change("visibility", "Private", "Public")),
        moved_book(),
        replace_field(
            "LOYALTY",
            change("visibility", "Private", "Public", forces_replacement=True),
            allowed=False,
        ),
        delete_field("OLD_SCORE", blocked="prune is off; set prune: true in reconciler.yaml"),
        sync("apac"),
        sync("emea"),
        drift=(
            drift(book(TRICKY_BOOK), change("visibility", "Private", "Public")),
            drift(
                field("NOTES"),
                change("notes", "set by us", "edited in Oro"),
                change("password", None, None, sensitive=True),
                reverted=False,
            ),
        ),
        warnings=("data field SCORE: default 0.5 is truncated to 0 by Oro",),
        **extra,
    )
