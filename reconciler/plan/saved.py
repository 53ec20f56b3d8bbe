"""Saved plans: the reviewed artifact of ``plan --out``, read back by ``apply FILE``.

A plan file is a JSON envelope (``kind``, its own ``version``, the plan, the decisions it was
made with, the embedded sandbox's seed when it was made against one, and a digest over the ops).
It holds no secret and is written 0600, atomically. ``apply FILE`` refuses a file that was
edited, that another format wrote, or that went stale (SPEC §4): :func:`check_not_stale` names
each path that moved.

The envelope's ``version`` is this module's own: the plan inside is the saved form of
:class:`~reconciler.plan.ops.Plan`, not the JSON plan of ``--format json`` (whose
``format_version`` is :data:`reconciler.plan.render.json.FORMAT_VERSION`); ``reconciler show``
renders a saved plan in any format.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from reconciler.errors import StalePlanError
from reconciler.plan import jsontext
from reconciler.plan.nested import ABSENT, Moved, moved
from reconciler.plan.ops import (
    BY_ACTION,
    AnyOp,
    ChangeOp,
    DeleteOp,
    Drift,
    FieldChange,
    Plan,
    paired_ops,
)
from reconciler.plan.options import PlanOptions
from reconciler.plan.steps import Kind, work_from_values
from reconciler.state import WHOLE_CONFIG

PLAN_FILE_KIND = "reconciler-plan"
# The envelope's own version. 1 (no "version" key) was written before ops carried typed work;
# 2 had a digest over the ops only; 3 did not record the sandbox seed. Another version is
# refused with a message that names it.
PLAN_FILE_VERSION = 4


# --- ops and plans as JSON ---------------------------------------------------------------


def op_to_dict(op: AnyOp) -> dict[str, Any]:
    data: dict[str, Any] = {
        f.name: getattr(op, f.name) for f in fields(op) if f.name not in ("work", "changes")
    }
    data["kind"] = str(op.kind)
    data["action"] = op.action
    data["before"] = None if op.before is None else dict(op.before)
    data["after"] = None if op.after is None else dict(op.after)
    data["changes"] = [asdict(change) for change in op.changes]
    data["sensitive"] = list(op.sensitive)
    data["remote_ids"] = dict(op.remote_ids)
    if isinstance(op, ChangeOp):
        data["steps"] = [str(step) for step in op.steps]
    return data


def op_from_dict(data: Mapping[str, Any]) -> AnyOp:
    cls = BY_ACTION[data["action"]]
    names = {f.name for f in fields(cls)}
    kwargs: dict[str, Any] = {k: v for k, v in data.items() if k in names}
    kwargs["kind"] = Kind(data["kind"])
    kwargs["changes"] = tuple(FieldChange(**c) for c in data.get("changes", ()))
    kwargs["sensitive"] = tuple(data.get("sensitive", ()))
    kwargs["remote_ids"] = dict(data.get("remote_ids", {}))
    if issubclass(cls, ChangeOp):
        # The work is read back from what the op shows, so what was reviewed is what runs. An
        # op that shows no values was built by hand to be shown; apply refuses it.
        values = data.get("before") if cls is DeleteOp else data.get("after")
        if values is not None:
            kwargs["work"] = work_from_values(kwargs["kind"], values, list(data.get("steps", ())))
    return cls(**kwargs)


def plan_to_dict(plan: Plan) -> dict[str, Any]:
    return {
        "config_path": plan.config_path,
        "config_digest": plan.config_digest,
        "environment": plan.environment,
        "git_sha": plan.git_sha,
        "state_lineage": plan.state_lineage,
        "state_serial": plan.state_serial,
        "created_at": plan.created_at,
        "refresh_only": plan.refresh_only,
        "integrations": list(plan.integrations),
        "warnings": list(plan.warnings),
        "ops": [op_to_dict(op) for op in plan.ops],
        "drift": [
            {
                "address": d.address,
                "integration": d.integration,
                "changes": [asdict(c) for c in d.changes],
                "reverted": d.reverted,
                "gone": d.gone,
            }
            for d in plan.drift
        ],
    }


def plan_from_dict(data: Mapping[str, Any]) -> Plan:
    return Plan(
        ops=tuple(op_from_dict(op) for op in data["ops"]),
        drift=tuple(
            Drift(
                address=d["address"],
                integration=d["integration"],
                changes=tuple(FieldChange(**c) for c in d["changes"]),
                reverted=d["reverted"],
                gone=bool(d.get("gone", False)),
            )
            for d in data.get("drift", ())
        ),
        warnings=tuple(data.get("warnings", ())),
        config_path=data.get("config_path", ""),
        config_digest=data.get("config_digest", ""),
        environment=data.get("environment"),
        git_sha=data.get("git_sha"),
        state_lineage=data.get("state_lineage", ""),
        state_serial=int(data.get("state_serial", 0)),
        created_at=data.get("created_at", ""),
        refresh_only=bool(data.get("refresh_only", False)),
        integrations=tuple(data.get("integrations", ())),
    )


def plan_digest(plan: Plan, options: Mapping[str, Any] | None = None) -> str:
    """A digest of the ops, and of the decisions the plan was made with when given (a saved
    plan's: editing ``prune`` or ``allow_replace`` in the file is refused like editing an op)."""
    return _digest((op_to_dict(op) for op in plan.ops), options)


def _digest(ops: Iterable[dict[str, Any]], options: Mapping[str, Any] | None) -> str:
    """:func:`plan_digest` of the ops as :func:`op_to_dict` writes them: the SHA-256 of
    ``json.dumps(ops, sort_keys=True, default=str)`` (with ``options``, of ``{"ops": ops,
    "options": options}``), fed one op at a time. The text is the same, so a plan file written
    before still verifies, but the ops' dicts and the text of them all (tens of MiB at 1,000
    integrations, the apply's peak memory) are never held at once."""
    hasher = hashlib.sha256()
    update = hasher.update
    update(b'{"ops": [' if options is not None else b"[")
    separator = b""
    for op in ops:
        update(separator)
        update(json.dumps(op, sort_keys=True, default=str).encode("utf-8"))
        separator = b", "
    if options is not None:
        update(b'], "options": ')
        update(json.dumps(dict(options), sort_keys=True, default=str).encode("utf-8"))
        update(b"}")
    else:
        update(b"]")
    return "sha256:" + hasher.hexdigest()


def _options_dict(options: PlanOptions) -> dict[str, Any]:
    return {
        "prune": options.prune,
        "max_deletes": options.max_deletes,
        "allow_empty": options.allow_empty,
        "allow_replace": sorted(options.allow_replace),
        "integrations": list(options.integrations),
    }


# --- the plan file -------------------------------------------------------------------------


@dataclass(frozen=True)
class SandboxSeed:
    """The seed of the embedded sandbox world a plan was made against (its file and the SHA-256
    of its bytes): ``apply`` opens that world with that seed's sandbox-only credentials."""

    path: str
    sha256: str


@dataclass(frozen=True)
class SavedPlan:
    plan: Plan
    options: PlanOptions
    sandbox: SandboxSeed | None  # made against the embedded sandbox, so applied there


def write_plan_file(
    path: Path, plan: Plan, options: PlanOptions, *, sandbox: SandboxSeed | None = None
) -> None:
    """A saved plan holds no secret; it is written 0600 all the same, atomically."""
    saved = plan_to_dict(plan)
    document = {
        "kind": PLAN_FILE_KIND,
        "version": PLAN_FILE_VERSION,
        "plan": saved,
        "options": _options_dict(options),
        # A plan made against the embedded sandbox is applied there, with the same seed.
        "sandbox": None if sandbox is None else {"seed": sandbox.path, "sha256": sandbox.sha256},
        # plan_digest(plan, ...) of the ops just written, not made a second time
        "digest": _digest(saved["ops"], _options_dict(options)),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        # json.dump(document, fh, indent=2, sort_keys=True), the same text, faster (jsontext)
        fh.write(jsontext.dumps(document, ensure_ascii=True) + "\n")
    os.replace(tmp, path)


def read_plan_file(path: Path) -> SavedPlan:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(document, dict) or document.get("kind") != PLAN_FILE_KIND:
            raise ValueError("not a reconciler plan file")
        version = document.get("version", 1)
        if version != PLAN_FILE_VERSION:
            raise StalePlanError(
                f"{path}: the saved plan is plan-file format {version}; this reconciler reads "
                f"format {PLAN_FILE_VERSION}. Make a new plan with this version."
            )
        plan = plan_from_dict(document["plan"])
        raw = document["options"]
        options = PlanOptions(
            prune=bool(raw["prune"]),
            max_deletes=int(raw["max_deletes"]),
            allow_empty=bool(raw["allow_empty"]),
            allow_replace=frozenset(raw["allow_replace"]),
            integrations=tuple(raw["integrations"]),
        )
        sandbox = document["sandbox"]
        seed = None if sandbox is None else SandboxSeed(sandbox["seed"], sandbox["sha256"])
    except (OSError, ValueError, KeyError, TypeError) as exc:  # SpecError is a ValueError
        raise StalePlanError(f"{path}: cannot read the saved plan: {exc}") from exc
    if document.get("digest") != plan_digest(plan, _options_dict(options)):
        raise StalePlanError(f"{path}: the saved plan was edited after it was written")
    return SavedPlan(plan, options, seed)


def check_sandbox_seed(saved: SandboxSeed, current: SandboxSeed) -> None:
    """A sandbox plan is applied to the world of the seed it was made with, unchanged."""
    if saved.sha256 != current.sha256:
        raise StalePlanError(
            "the saved plan is stale; make a new plan:\n  "
            f"the sandbox seed {saved.path} changed since the plan was made"
        )


def check_not_stale(
    saved: Plan,
    fresh: Plan,
    snapshot_lineage: str,
    snapshot_serial: int,
    moved_scopes: Sequence[str] = (),
) -> None:
    """SPEC §4: ``apply FILE`` refuses a stale plan and says what moved.

    A state write by another team on an integration this plan does not touch does not make it
    stale (plan-apply-anchors.md §3 complaint 9): only the scopes written since the plan's
    serial that overlap its integrations count. ``moved_scopes`` is
    ``StateStore.scopes_written_since(saved.state_serial)``."""
    moved: list[str] = []
    if saved.config_digest != fresh.config_digest:
        moved.append("the configuration changed since the plan was made")
    touched = set(saved.integrations) | {op.integration for op in saved.ops if op.integration}
    relevant = [
        scope
        for scope in moved_scopes
        if scope == WHOLE_CONFIG or scope.removeprefix("integration:") in touched
    ]
    if saved.state_lineage and saved.state_lineage != snapshot_lineage:
        moved.append(f"the state is another lineage ({snapshot_lineage})")
    elif saved.state_serial != snapshot_serial and (relevant or not moved_scopes):
        scopes = f" ({', '.join(relevant)})" if relevant else ""
        moved.append(
            f"the state moved from serial {saved.state_serial} to {snapshot_serial}{scopes}"
        )
    for where, a, b in paired_ops(saved, fresh):
        if a is None:
            assert b is not None
            moved.append(f"{where}: now needs {b.action}")
        elif b is None:
            moved.append(f"{where}: no longer needs {a.action}")
        else:
            moved += [f"{where}: {line}" for line in op_moved(a, b)]
    if moved:
        raise StalePlanError("the saved plan is stale; make a new plan:\n  " + "\n  ".join(moved))


def op_moved(planned: AnyOp, now: AnyOp) -> list[str]:
    """What moved in one op between the saved plan and a fresh one: a line per nested path
    (deepdiff over the op's saved form, its changes keyed by field), or, when only the live
    object's fingerprint moved, that. Empty for the same op (one comparison, no deepdiff)."""
    before, after = op_to_dict(planned), op_to_dict(now)
    if before == after:
        return []
    paths = [
        item
        for item in _shown_paths(moved(_keyed(before), _keyed(after)))
        if item.path != ("remote_fingerprint",)
    ]
    if paths:
        return [f"{item.text}: {_value(item.before)} when planned, {_value(item.after)} now"
                for item in paths]  # fmt: skip
    if planned.remote_fingerprint != now.remote_fingerprint:
        return ["the live object changed since the plan was made"]
    return []


def _keyed(data: dict[str, Any]) -> dict[str, Any]:
    """An op's saved form with its changes keyed by field (a path names a field, not an index)."""
    return {**data, "changes": {change["field"]: change for change in data["changes"]}}


def _shown_paths(items: Sequence[Moved]) -> list[Moved]:
    """A field's change row is made from its before and after: when either moved, the row's
    own paths say it again and are left out."""
    fields = {item.path[1] for item in items if len(item.path) > 1 and item.path[0] != "changes"}
    return [
        item
        for item in items
        if not (item.path[0] == "changes" and len(item.path) > 1 and item.path[1] in fields)
    ]


def _value(value: Any) -> str:
    return "absent" if value is ABSENT else json.dumps(value, ensure_ascii=False, sort_keys=True)
