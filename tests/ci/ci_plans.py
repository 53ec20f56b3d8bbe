"""Small builders for the saved plans the ci tests use (no 30-argument constructors)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from reconciler.plan.compare import PlanOptions
from reconciler.plan.ops import (
    CreateOp,
    FieldChange,
    Op,
    Plan,
    ReplaceOp,
    SyncOp,
    UpdateOp,
    address,
)
from reconciler.plan.saved import write_plan_file

HEAD_SHA = "0123456789abcdef0123456789abcdef01234567"


def plan(*ops: Op, config_path: str = "config", **extra: Any) -> Plan:
    defaults: dict[str, Any] = {
        "config_path": config_path,
        "config_digest": "sha256:1f2e3d",
        "git_sha": HEAD_SHA,
        "state_lineage": "6f1c0c52-0000-4000-8000-000000000001",
        "state_serial": 7,
        "created_at": "2026-11-26T21:00:00Z",
    }
    return Plan(ops=ops, **{**defaults, **extra})


def create_field(name: str, integration: str = "emea", **values: Any) -> CreateOp:
    return CreateOp(
        address=address("data_field", integration, name),
        kind="data_field",
        integration=integration,
        reason="not_in_state",
        after={"name": name, "type": "String", "visibility": "Private", **values},
    )


def update_integration(*changes: FieldChange, integration: str = "emea") -> UpdateOp:
    return UpdateOp(
        address=address("integration", integration),
        kind="integration",
        integration=integration,
        reason="config_changed",
        changes=changes,
        sensitive=tuple(c.field for c in changes if c.sensitive),
        remote_ids={"oro": "17"},
        remote_fingerprint="oro:17:v3",
    )


def replace_field(name: str, *, allowed: bool) -> ReplaceOp:
    return ReplaceOp(
        address=address("data_field", "emea", name),
        kind="data_field",
        integration="emea",
        reason="immutable_field_changed",
        changes=(FieldChange("type", "String", "Numeric", forces_replacement=True),),
        allowed=allowed,
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


def sample_plan(**extra: Any) -> Plan:
    """The plan of the golden comment: two integrations, a secret change, a sync."""
    return plan(
        create_field("LOYALTY_TIER", default="bronze"),
        update_integration(
            FieldChange("name", "EMEA", "EMEA shop"),
            FieldChange("password", None, None, sensitive=True),
        ),
        create_field("SCORE", "apac", type="Numeric", default=0),
        sync("apac"),
        sync("emea"),
        **extra,
    )


def save(path: Path, saved: Plan, options: PlanOptions | None = None) -> Path:
    write_plan_file(path, saved, options or PlanOptions())
    return path


def moved(saved: Plan, **changes: Any) -> Plan:
    """The same plan made later: another time, commit and state serial."""
    return replace(saved, **changes)
