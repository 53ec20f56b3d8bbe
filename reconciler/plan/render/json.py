"""Plan as versioned JSON, modelled on ``terraform show -json`` (plan-apply-anchors.md §1 row 5,
§2.3, §2.10, §2.11; Terraform ``website/docs/internals/json-format.mdx``).

Shape (``format_version`` "1.1", published as ``reconciler schema plan``)::

    {"format_version", "reconciler_version", "created_at", "refresh_only", "integrations",
     "config": {"path", "digest", "git_sha", "environment"}, "state": {"lineage", "serial"},
     "resource_changes": [{"address", "previous_address", "mode", "type", "name",
                           "provider_name", "integration",
                           "change": {"actions", "before", "after", "after_unknown",
                                      "before_sensitive", "after_sensitive", "replace_paths",
                                      "importing"},
                           "action_reason", "blocked", "gated", "remote_ids",
                           "remote_fingerprint", "kind", "reason"}],
     "resource_drift": [{"address", "integration", "reverted", "change": {...}}],
     "syncs": [{"address", "integration", "connector", "force", "reason"}],
     "warnings": [...], "summary": {...}}

Terraform's names where the concept is the same: ``mode`` is ``"data"`` for an owner (read
through Oro, never written: Terraform's data source) and ``"managed"`` for every op that writes;
``type`` is the kind (``integration``, ``data_field``, ``address_book``, ``mapping``, ``sync``,
``owner``); ``name`` the object's own name (the address's last segment; an integration's name
for the integration and its sync); ``provider_name`` is :data:`PROVIDER_NAME` for every op (one
provider, this tool); ``action_reason`` the op's reason code; ``after_unknown`` is ``{}``:
every value of ``after`` is known when the plan is made (remote ids, assigned at apply, are not
part of ``after``). ``kind`` and ``reason`` repeat ``type`` and ``action_reason`` under their
1.0 names for this format version only; 2.0 drops them.

Actions, as Terraform spells them: create ``["create"]``, update ``["update"]``, replace
``["delete", "create"]``, delete ``["delete"]``, read ``["read"]``, sync ``["sync"]``. Adopt
follows Terraform's import: ``["no-op"]`` (or ``["update"]`` when the adopted object also
changes, e.g. a password written on adopt) with ``change.importing = {"remote_ids": {...}}``;
``importing`` is null for every other op. Policies written for Terraform plans (resources whose
``mode`` is ``"managed"`` and whose ``actions`` contain ``"delete"``) therefore read this plan
unchanged.

Every op is in ``resource_changes``, in plan order; ``syncs`` repeats the sync ops' connector
and force flag for readers that only want the syncs. Sensitive fields never appear in ``before``
or ``after``; ``before_sensitive``/``after_sensitive`` are ``{"password": true}`` for them (``{}``
when none). ``integrations`` is the plan's ``--integration`` scope (empty = all). Output is
``sort_keys`` with a two-space indent and a trailing newline.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from reconciler import __version__
from reconciler.plan import jsontext
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
)
from reconciler.plan.render.common import (
    address_key,
    drift_sensitive_names,
    field_changes,
    forcing_fields,
    is_gated,
    merged,
    sensitive_names,
    sync_values,
    without,
)
from reconciler.plan.steps import Kind

FORMAT_VERSION = "1.1"
# Terraform's provider source address form (hostname/namespace/type): one provider, this tool.
PROVIDER_NAME = "reconciler.dev/reconciler/oro-dotmailer"


def render_json(plan: Plan) -> str:
    return jsontext.dumps(plan_json(plan)) + "\n"  # json.dumps(sort_keys, indent=2), faster


def plan_json(plan: Plan) -> dict[str, Any]:
    counts = plan.counts()
    return {
        "format_version": FORMAT_VERSION,
        "reconciler_version": __version__,
        "created_at": plan.created_at,
        "refresh_only": plan.refresh_only,
        "integrations": list(plan.integrations),
        "config": {
            "path": plan.config_path,
            "digest": plan.config_digest,
            "git_sha": plan.git_sha,
            "environment": plan.environment,
        },
        "state": {"lineage": plan.state_lineage, "serial": plan.state_serial},
        "resource_changes": [resource_change(op) for op in plan.ops],
        "resource_drift": [resource_drift(item) for item in plan.drift],
        "syncs": [_sync(op) for op in plan.ops if isinstance(op, SyncOp)],
        "warnings": list(plan.warnings),
        "summary": {
            **counts,
            "blocked": sum(1 for op in plan.ops if op.blocked is not None),
            "gated": sum(1 for op in plan.ops if is_gated(op)),
            "drifted": len(plan.drift),
            "has_changes": plan.has_changes,
        },
    }


def actions(op: Op) -> list[str]:
    match op:
        case ReplaceOp():
            return ["delete", "create"]
        case AdoptOp():
            return ["update"] if op.changes else ["no-op"]
        case CreateOp() | UpdateOp() | DeleteOp() | ReadOp() | SyncOp():
            return [op.action]
        case _:
            return ["no-op"]


def resource_change(op: Op) -> dict[str, Any]:
    secret = sensitive_names(op)
    before, after = _sides(op)
    return {
        "address": op.address,
        "previous_address": op.previous_address,
        "mode": "data" if isinstance(op, ReadOp) else "managed",
        "type": str(op.kind),
        "name": _name(op),
        "provider_name": PROVIDER_NAME,
        "kind": str(op.kind),
        "integration": op.integration,
        "change": {
            "actions": actions(op),
            "before": without(before, secret),
            "after": without(after, secret),
            "after_unknown": {},
            "before_sensitive": _mask(before, secret),
            "after_sensitive": _mask(after, secret),
            # Which secrets this op writes: a create all it lists, an update those whose
            # fingerprint changed (their values never appear).
            "sensitive_changed": _sensitive_changed(op, secret),
            "replace_paths": (
                [[name] for name in sorted(forcing_fields(op))] if isinstance(op, ReplaceOp) else []
            ),
            "importing": (
                {"remote_ids": dict(sorted(op.remote_ids.items()))}
                if isinstance(op, AdoptOp)
                else None
            ),
        },
        "action_reason": op.reason,
        "reason": op.reason,
        "blocked": op.blocked,
        "gated": is_gated(op),
        "remote_ids": dict(sorted(op.remote_ids.items())),
        "remote_fingerprint": op.remote_fingerprint,
    }


def _sensitive_changed(op: Op, secret: frozenset[str]) -> list[str]:
    """The op's rows that are secret, by name. With no secret name there is none: a row is
    sensitive only as one of the op's sensitive changes or listed secrets, all of which
    :func:`sensitive_names` holds (most ops: their rows need not be made at all)."""
    if not secret:
        return []
    return sorted(row.field for row in field_changes(op) if row.sensitive or row.field in secret)


def _name(op: Op) -> str:
    if op.kind in (Kind.INTEGRATION, Kind.SYNC) and op.integration is not None:
        return op.integration
    return address_key(op.address)


def resource_drift(item: Drift) -> dict[str, Any]:
    """Terraform's ``resource_drift``: before = what we last applied, after = what is live."""
    secret = drift_sensitive_names(item.changes)
    before = merged(None, item.changes, "before")
    after = merged(None, item.changes, "after")
    kind = _drift_kind(item.address)
    return {
        "address": item.address,
        "mode": "managed",
        "type": kind,
        "name": address_key(item.address),
        "provider_name": PROVIDER_NAME,
        "integration": item.integration,
        "reverted": item.reverted,
        "change": {
            # Terraform's resource_drift: an object deleted outside is a "delete"
            "actions": ["delete"] if item.gone else ["update"],
            "before": without(before, secret),
            "after": without(after, secret),
            "after_unknown": {},
            "before_sensitive": _mask(before, secret),
            "after_sensitive": _mask(after, secret),
        },
    }


_KIND_SEGMENT = re.compile(r'^integration(?:\.[A-Za-z0-9_-]+|\["(?:[^"\\]|\\.)*"\])\.([a-z_]+)')


def _drift_kind(address: str) -> str:
    """The kind in a drifted object's address (``integration.emea.data_field.X``: data_field)."""
    match = _KIND_SEGMENT.match(address)
    return match.group(1) if match else address.split(".", 1)[0].split("[", 1)[0]


def _sides(op: Op) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    match op:
        case CreateOp() | ReadOp():
            return None, merged(op.after, op.changes, "after")
        case SyncOp():
            return None, sync_values(op)
        case DeleteOp():
            return merged(op.before, op.changes, "before"), None
        case _:
            return _side(op.before, op.changes, "before"), _side(op.after, op.changes, "after")


def _side(
    values: Mapping[str, Any] | None, changes: Iterable[FieldChange], side: str
) -> dict[str, Any] | None:
    changes = tuple(changes)
    if values is None and not changes:
        return None
    return merged(values, changes, side)


def _mask(values: Mapping[str, Any] | None, secret: frozenset[str]) -> dict[str, bool]:
    if values is None:
        return {}
    return {name: True for name in sorted(secret)}


def _sync(op: SyncOp) -> dict[str, Any]:
    return {
        "address": op.address,
        "integration": op.integration,
        "connector": op.connector,
        "force": op.force,
        "reason": op.reason,
    }
