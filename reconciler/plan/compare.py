"""Compare desired, live and state into a Plan. Pure: no I/O, no clock, no network.

The diff is set algebra on keys, iterated sorted (STYLE.md, alembic autogenerate):
create = desired - live, adopt = (desired & live) - state, delete = (state - desired) with prune,
update = the intersection where declared values differ. Only fields the YAML declares are
compared, so values Oro or dotmailer fill in on their own never make a perpetual diff (SPEC §4).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from reconciler.errors import ConfigError, Location
from reconciler.model import (
    AddressBook,
    DataField,
    DataFieldMapping,
    DesiredState,
    Integration,
    LiveIntegration,
    LiveWorld,
    OroDataField,
    Owner,
)
from reconciler.plan import values as v
from reconciler.plan.ops import (
    AdoptOp,
    CreateOp,
    DeleteOp,
    Drift,
    FieldChange,
    Kind,
    Op,
    Plan,
    ReadOp,
    ReplaceOp,
    SyncOp,
    UpdateOp,
    address,
)
from reconciler.state import ObjectRecord, Snapshot

# Forward order of kinds (SPEC §4: owners -> integrations -> data fields -> address books ->
# mappings -> syncs; deletes in reverse).
_FORWARD = {"owner": 0, "integration": 1, "data_field": 2, "address_book": 3, "mapping": 4}


@dataclass(frozen=True)
class PlanOptions:
    prune: bool = False
    max_deletes: int = 10
    allow_empty: bool = False
    allow_replace: frozenset[str] = frozenset()
    integrations: tuple[str, ...] = ()  # --integration scope; empty = all
    refresh_only: bool = False


@dataclass(frozen=True)
class PlanProblem:
    """A plan error that points at the YAML (a missing owner, an unknown marketing list)."""

    location: Location | None
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.location}: " if self.location else ""
        return f"{where}error: {self.path}: {self.message}"


@dataclass
class _Acc:
    ops: list[Op] = field(default_factory=list)
    drift: list[Drift] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    problems: list[PlanProblem] = field(default_factory=list)


def build_plan(
    desired: DesiredState,
    live: LiveWorld,
    state: Snapshot,
    secret_fingerprints: Mapping[str, Mapping[str, str]],
    options: PlanOptions = PlanOptions(),
    *,
    config_path: str = "",
    git_sha: str | None = None,
    created_at: str = "",
    interrupted: Collection[str] = (),
) -> Plan:
    """The plan that takes ``live`` to ``desired``; raises ConfigError for plan problems.

    ``secret_fingerprints`` maps an integration address to ``{field: keyed fingerprint}`` of
    the secret values the config references now. ``interrupted`` holds the addresses of the
    journal entries an interrupted apply left pending (``StateStore.pending_journal``).
    """
    acc = _Acc()
    scope = set(options.integrations)
    integrations = [i for i in desired.integrations if not scope or i.name in scope]
    owners = {o.name: o for o in desired.owners}
    _check_owners(desired.owners, integrations, live, acc)
    _check_marketing_lists(integrations, live, acc)
    if acc.problems:
        raise ConfigError(
            f"the plan cannot be made: {len(acc.problems)} problem(s) with the live systems",
            tuple(_sorted_problems(acc.problems)),
        )

    mappings: dict[str, list[DataFieldMapping]] = {}
    for mapping in desired.mappings:
        mappings.setdefault(mapping.integration, []).append(mapping)
    for integration in sorted(integrations, key=lambda i: i.name):
        owner = owners[integration.owner]
        _plan_integration(
            integration,
            owner,
            mappings.get(integration.name, []),
            live,
            state,
            secret_fingerprints,
            options,
            acc,
        )

    _plan_deletes(desired, state, scope, acc)
    _apply_delete_guards(desired, live, options, acc)

    # An object deleted by hand is drift too (a scheduled --refresh-only plan must see it).
    acc.drift += [
        Drift(op.address, op.integration, (FieldChange("exists", True, False),), True)
        for op in acc.ops
        if isinstance(op, CreateOp) and op.reason == "missing_remote"
    ]
    changing = _changed_integrations(acc.ops)
    reads = [
        _read_op(owners[i.owner], live)
        for i in integrations
        if i.name in changing and i.owner in owners
    ]
    ops = _dedupe(reads) + _order(acc.ops)
    ops += _sync_ops(integrations, acc.ops, live, interrupted)
    if options.refresh_only:
        ops = []
    return Plan(
        ops=tuple(ops),
        drift=tuple(sorted(acc.drift, key=lambda d: d.address)),
        warnings=tuple(sorted(set(acc.warnings))),
        config_path=config_path,
        config_digest=desired.digest,
        git_sha=git_sha,
        state_lineage=state.lineage,
        state_serial=state.serial,
        created_at=created_at,
        refresh_only=options.refresh_only,
        integrations=tuple(sorted(scope)),
    )


# --- owners and lookups ---------------------------------------------------------------------


def _sorted_problems(problems: list[PlanProblem]) -> list[PlanProblem]:
    def key(problem: PlanProblem) -> tuple[str, int, int, str]:
        loc = problem.location
        return (
            (loc.file, loc.line, loc.column, problem.message)
            if loc
            else ("", 0, 0, problem.message)
        )

    return sorted(problems, key=key)


def _check_owners(
    owners: Sequence[Owner], integrations: Sequence[Integration], live: LiveWorld, acc: _Acc
) -> None:
    used = {i.owner for i in integrations}
    users = {u.username: u for u in live.users}
    orgs = {o.name: o for o in live.organizations}
    for owner in sorted(owners, key=lambda o: o.name):
        if owner.name not in used:
            continue
        user = users.get(owner.username)
        org = orgs.get(owner.organization)
        if org is None:
            acc.problems.append(
                PlanProblem(
                    owner.location,
                    "spec.organization",
                    f"Oro organization {owner.organization!r} does not exist",
                )
            )
        if user is None:
            acc.problems.append(
                PlanProblem(
                    owner.location, "spec.username", f"Oro user {owner.username!r} does not exist"
                )
            )
            continue
        if not user.enabled:
            acc.problems.append(
                PlanProblem(
                    owner.location, "spec.username", f"Oro user {owner.username!r} is disabled"
                )
            )
        if org is not None and org.id not in user.organization_ids:
            acc.problems.append(
                PlanProblem(
                    owner.location,
                    "spec.organization",
                    f"Oro user {owner.username!r} is not in organization {owner.organization!r}",
                )
            )
        if owner.business_unit is not None and not any(
            b.name == owner.business_unit and (org is None or b.organization_id == org.id)
            for b in live.business_units
        ):
            acc.problems.append(
                PlanProblem(
                    owner.location,
                    "spec.businessUnit",
                    f"Oro business unit {owner.business_unit!r} does not exist in "
                    f"organization {owner.organization!r}",
                )
            )


def _check_marketing_lists(integrations: Sequence[Integration], live: LiveWorld, acc: _Acc) -> None:
    names = {ml.name for ml in live.marketing_lists}
    for integration in integrations:
        for book in integration.address_books:
            if book.marketing_list is not None and book.marketing_list not in names:
                acc.problems.append(
                    PlanProblem(
                        book.location,
                        "marketingList",
                        f"Oro marketing list {book.marketing_list!r} does not exist",
                    )
                )


def _read_op(owner: Owner, live: LiveWorld) -> ReadOp:
    user = next(u for u in live.users if u.username == owner.username)
    return ReadOp(
        address=address("owner", key=owner.name),
        kind="owner",
        integration=None,
        reason="owner_lookup",
        after={
            "username": owner.username,
            "organization": owner.organization,
            "business_unit": owner.business_unit,
        },
        remote_ids={"oro": user.id},
    )


# --- one integration ------------------------------------------------------------------------


def _changes(
    before: Mapping[str, Any] | None, after: Mapping[str, Any], keys: Iterable[str]
) -> tuple[FieldChange, ...]:
    result = []
    for key in sorted(keys):
        old = None if before is None else before.get(key)
        new = after.get(key)
        if old != new:
            result.append(FieldChange(key, old, new))
    return tuple(result)


def _secret_changes(
    fingerprints: Mapping[str, str], record: ObjectRecord | None
) -> tuple[FieldChange, ...]:
    stored = record.secret_fingerprints if record is not None else {}
    return tuple(
        FieldChange(name, None, None, sensitive=True)
        for name in sorted(set(fingerprints) | set(stored))
        if fingerprints.get(name) != stored.get(name)
    )


def _drift(
    addr: str,
    integration: str,
    record: ObjectRecord | None,
    live_values: Mapping[str, Any] | None,
    desired_values: Mapping[str, Any],
    acc: _Acc,
) -> None:
    """Live differs from last-applied: someone changed it outside reconciler."""
    if record is None or live_values is None:
        return
    changes = tuple(
        FieldChange(key, record.applied.get(key), live_values.get(key))
        for key in sorted(set(record.applied) | set(live_values))
        if record.applied.get(key) != live_values.get(key)
    )
    if changes:
        reverted = any(desired_values.get(c.field) != c.after for c in changes)
        acc.drift.append(Drift(addr, integration, changes, reverted))


def _reason(
    record: ObjectRecord | None, desired_values: Mapping[str, Any], changed: Sequence[FieldChange]
) -> str:
    if record is None:
        return "not_in_state"
    if not changed:
        return "missing_remote"  # nothing differs: one side of the object is gone
    if any(
        record.applied.get(c.field) == desired_values.get(c.field)
        for c in changed
        if not c.sensitive
    ):
        return "drift"
    return "config_changed"


def _create(
    kind: Kind,
    integration: str,
    addr: str,
    record: ObjectRecord | None,
    wanted: Mapping[str, Any],
    steps: tuple[str, ...],
    **extra: Any,
) -> CreateOp:
    """A create of a declared object that is not live (recreated when it is in state)."""
    return CreateOp(
        address=addr,
        kind=kind,
        integration=integration,
        reason="missing_remote" if record is not None else "not_in_state",
        after=wanted,
        changes=_changes(None, wanted, wanted) + extra.pop("secret_changes", ()),
        steps=steps,
        **extra,
    )


def _plan_integration(
    integration: Integration,
    owner: Owner,
    mappings: Sequence[DataFieldMapping],
    world: LiveWorld,
    state: Snapshot,
    secret_fingerprints: Mapping[str, Mapping[str, str]],
    options: PlanOptions,
    acc: _Acc,
) -> None:
    addr = address("integration", integration.name)
    live = world.integration(integration.name)
    first_op = len(acc.ops)
    record = state.objects.get(addr)
    wanted = {
        "enabled": integration.enabled,
        "owner": owner.username,
        "organization": owner.organization,
        "business_unit": owner.business_unit,
        "username": integration.connection.username,
        "oauth_client_id": integration.oauth.client_id if integration.oauth else None,
        "custom_domain": integration.oauth.custom_domain if integration.oauth else None,
    }
    secrets = secret_fingerprints.get(addr, {})
    sensitive = tuple(sorted(secrets))
    if live.oro is None:
        acc.ops.append(
            _create(
                "integration",
                integration.name,
                addr,
                record,
                wanted,
                ("dotmailer.check", "oro.create"),
                secret_changes=tuple(FieldChange(s, None, None, sensitive=True) for s in sensitive),
                sensitive=sensitive,
            )
        )
    else:
        current = v.live_integration_values(live.oro, world)
        _drift(addr, integration.name, record, current, wanted, acc)
        changed = _changes(current, wanted, wanted) + _secret_changes(secrets, record)
        remote_fp = v.remote_fingerprint(current)
        common: dict[str, Any] = {
            "address": addr,
            "kind": "integration",
            "integration": integration.name,
            "before": current,
            "after": wanted,
            "changes": changed,
            "sensitive": sensitive,
            "remote_ids": {"oro": live.oro.id, "oro_transport": live.oro.transport_id},
            "remote_fingerprint": remote_fp,
        }
        credentials = any(c.field in ("username", "password") for c in changed)
        steps = (("dotmailer.check",) if credentials else ()) + (("oro.update",) if changed else ())
        if record is None:
            acc.ops.append(AdoptOp(reason="exists_unmanaged", steps=steps, **common))
        elif changed:
            acc.ops.append(UpdateOp(reason=_reason(record, wanted, changed), steps=steps, **common))

    _plan_data_fields(integration, live, state, options, acc, mappings, world)
    _plan_address_books(integration, live, world, state, acc)
    _plan_mappings(integration, mappings, live, state, acc, acc.ops[first_op:])


def _plan_data_fields(
    integration: Integration,
    live: LiveIntegration,
    state: Snapshot,
    options: PlanOptions,
    acc: _Acc,
    mappings: Sequence[DataFieldMapping],
    world: LiveWorld,
) -> None:
    remote = {f.name.upper(): f for f in live.remote_fields or ()}
    oro = {f.name.upper(): f for f in live.oro_fields}
    for df in sorted(integration.data_fields, key=lambda d: d.key):
        addr = address("data_field", integration.name, df.key)
        record = state.objects.get(addr)
        wanted = v.data_field_values(df)
        current = v.live_data_field_values(remote.get(df.key), oro.get(df.key))
        remote_ids = {"oro": oro[df.key].id} if df.key in oro else {}
        fingerprint = v.remote_fingerprint(remote.get(df.key), oro.get(df.key))
        if current is None:
            acc.ops.append(
                _create(
                    "data_field",
                    integration.name,
                    addr,
                    record,
                    wanted,
                    ("dotmailer.create", "oro.create"),
                )
            )
            continue
        _drift(addr, integration.name, record, current, wanted, acc)
        changed = _changes(current, wanted, wanted)
        replace = [c for c in changed if c.field in v.DATA_FIELD_REPLACE_FIELDS]
        common: dict[str, Any] = {
            "address": addr,
            "kind": "data_field",
            "integration": integration.name,
            "before": current,
            "after": wanted,
            "changes": changed,
            "remote_ids": remote_ids,
            "remote_fingerprint": fingerprint,
        }
        if replace and df.key in remote:
            allowed = df.replace_on_change or bool(
                {df.name, df.key, addr} & set(options.allow_replace)
            )
            common["changes"] = tuple(
                dataclasses.replace(c, forces_replacement=c.field in v.DATA_FIELD_REPLACE_FIELDS)
                for c in changed
            )
            blocked = _unmanaged_mapping_use(df.key, integration.name, mappings, world)
            acc.ops.append(
                ReplaceOp(
                    reason="immutable_field_changed", allowed=allowed, blocked=blocked, **common
                )
            )
            continue
        steps: list[str] = []
        if df.key not in remote:
            steps.append("dotmailer.create")
        if df.key not in oro:
            steps.append("oro.create")
        elif _oro_field_differs(oro[df.key], wanted):
            steps += ["oro.delete", "oro.create"]  # Oro's record has another type or default
        elif any(c.field == "notes" for c in changed):
            steps.append("oro.update")
        if record is None:
            acc.ops.append(AdoptOp(reason="exists_unmanaged", steps=tuple(steps), **common))
        elif steps:
            acc.ops.append(
                UpdateOp(reason=_reason(record, wanted, changed), steps=tuple(steps), **common)
            )


def _oro_field_differs(oro: OroDataField, wanted: Mapping[str, Any]) -> bool:
    """Oro's copy of a data field disagrees with the declared type, visibility or default
    (it outlived a field deleted in dotmailer by hand); Oro cannot update it either."""
    return (oro.type, oro.visibility, v.canonical_default(oro.type, oro.default)) != (
        wanted["type"],
        wanted["visibility"],
        wanted["default"],
    )


def _book_identity(
    book: AddressBook,
    integration: Integration,
    state: Snapshot,
    desired_keys: set[str],
    claimed: set[str],
) -> tuple[ObjectRecord | None, str | None]:
    """The state record behind a desired book, following a rename: ``renamedFrom``, the same
    name in another case, or the same marketing list on a book that left the config. A record
    is claimed by one desired book only. Returns (record, previous address)."""
    addr = address("address_book", integration.name, book.name)
    record = state.objects.get(addr)
    if record is not None:
        return record, None
    declared = {
        address("address_book", integration.name, b.name) for b in integration.address_books
    }
    candidates = sorted(
        (
            r
            for r in state.objects.values()
            if r.kind == "address_book"
            and r.integration == integration.name
            and r.address not in claimed
            and r.address not in declared
        ),
        key=lambda r: r.address,
    )

    def name(r: ObjectRecord) -> str:
        return str(r.applied.get("name", ""))

    rules: tuple[Callable[[ObjectRecord], bool], ...] = (
        lambda r: book.renamed_from is not None and name(r) == book.renamed_from,
        lambda r: name(r).casefold() == book.key,  # the same book, its name in another case
        lambda r: (
            name(r).casefold() not in desired_keys
            and book.marketing_list is not None
            and r.applied.get("marketing_list") == book.marketing_list
        ),
    )
    for rule in rules:
        for r in candidates:
            if rule(r):
                return r, r.address
    return None, None


def _plan_address_books(
    integration: Integration, live: LiveIntegration, world: LiveWorld, state: Snapshot, acc: _Acc
) -> None:
    remote_by_id = {str(b.id): b for b in live.remote_books or ()}
    remote_by_name = {b.name.casefold(): b for b in live.remote_books or ()}
    oro_by_origin = {str(b.origin_id): b for b in live.oro_books if b.origin_id is not None}
    oro_by_id = {b.id: b for b in live.oro_books}
    desired_keys = {b.key for b in integration.address_books}
    claimed: set[str] = set()
    # Explicit renames claim their record first, then the rest in name order.
    ordered = sorted(integration.address_books, key=lambda b: (b.renamed_from is None, b.key))
    for book in ordered:
        addr = address("address_book", integration.name, book.name)
        record, previous = _book_identity(book, integration, state, desired_keys, claimed)
        if previous is not None:
            claimed.add(previous)
        remote = None
        if record is not None and record.remote_ids.get("dotmailer") in remote_by_id:
            remote = remote_by_id[record.remote_ids["dotmailer"]]
        elif record is None or previous is None:
            remote = remote_by_name.get(book.key)
        oro = None
        if record is not None and record.remote_ids.get("oro") in oro_by_id:
            oro = oro_by_id[record.remote_ids["oro"]]
        elif remote is not None:
            oro = oro_by_origin.get(str(remote.id))
        wanted = v.address_book_values(book)
        current = v.live_address_book_values(remote, oro, world)
        remote_ids = {
            **({"dotmailer": str(remote.id)} if remote is not None else {}),
            **({"oro": oro.id} if oro is not None else {}),
        }
        if current is None or remote is None:
            # The Oro record of a book gone from dotmailer points at the old originId, which
            # Oro cannot change: it is recreated for the new book.
            steps = ("dotmailer.create",) + (("oro.delete",) if oro else ()) + ("oro.create",)
            acc.ops.append(
                _create(
                    "address_book",
                    integration.name,
                    addr,
                    record,
                    wanted,
                    steps,
                    remote_ids=remote_ids,
                    previous_address=previous,
                )
            )
            continue
        _drift(
            addr if previous is None else previous, integration.name, record, current, wanted, acc
        )
        changed = _changes(current, wanted, wanted)
        steps_list: list[str] = []
        if any(c.field in ("name", "visibility") for c in changed):
            steps_list.append("dotmailer.update")
        if oro is None:
            steps_list.append("oro.create")
        elif oro.origin_id != remote.id:
            steps_list += ["oro.delete", "oro.create"]  # linked to another dotmailer book
        elif changed:
            steps_list.append("oro.update")
        common: dict[str, Any] = {
            "address": addr,
            "kind": "address_book",
            "integration": integration.name,
            "before": current,
            "after": wanted,
            "changes": changed,
            "remote_ids": remote_ids,
            "remote_fingerprint": v.remote_fingerprint(remote, oro),
            "previous_address": previous,
            "steps": tuple(steps_list),
        }
        if record is None:
            acc.ops.append(AdoptOp(reason="exists_unmanaged", **common))
        elif steps_list or previous is not None:
            reason = "renamed" if previous is not None else _reason(record, wanted, changed)
            acc.ops.append(UpdateOp(reason=reason, **common))


def _plan_mappings(
    integration: Integration,
    mappings: Sequence[DataFieldMapping],
    live: LiveIntegration,
    state: Snapshot,
    acc: _Acc,
    own_ops: Sequence[Op],
) -> None:
    """``mappings`` are this integration's; ``own_ops`` the ops planned for it so far (both
    passed in: scanning every mapping and op per integration was O(N^2), docs/performance.md)."""
    fields_by_id = {f.id: f.name for f in live.oro_fields}
    oro_by_entity = {m.entity: m for m in live.oro_mappings}
    replaced = {
        op.after["name"].upper() for op in own_ops if isinstance(op, ReplaceOp) and op.after
    }
    for mapping in sorted(mappings, key=lambda m: m.entity):
        addr = address("mapping", integration.name, v.mapping_key(mapping.entity))
        record = state.objects.get(addr)
        wanted = v.mapping_values(mapping)
        oro = oro_by_entity.get(mapping.entity)
        if oro is None:
            acc.ops.append(
                _create("mapping", integration.name, addr, record, wanted, ("oro.create",))
            )
            continue
        current = v.live_mapping_values(oro, fields_by_id)
        keys = set(current) | set(wanted)  # a field dropped from the mapping is a change too
        _drift(addr, integration.name, record, current, wanted, acc)
        changed = _changes(current, wanted, keys)
        uses_replaced = any(name in replaced for name, _, _ in v.mapping_configs(wanted))
        common: dict[str, Any] = {
            "address": addr,
            "kind": "mapping",
            "integration": integration.name,
            "before": current,
            "after": wanted,
            "changes": changed,
            "remote_ids": {"oro": oro.id},
            "remote_fingerprint": v.remote_fingerprint(v.canonical_json(current)),
            "steps": ("oro.update",) if changed or uses_replaced else (),
        }
        if record is None:
            acc.ops.append(AdoptOp(reason="exists_unmanaged", **common))
        elif changed or uses_replaced:
            reason = "data_field_replaced" if not changed else _reason(record, wanted, changed)
            acc.ops.append(UpdateOp(reason=reason, **common))


# --- deletes ------------------------------------------------------------------------------


def declared_objects(desired: DesiredState) -> dict[str, tuple[str, str, str]]:
    """address -> (kind, integration, key) for every declared object (the key: integration
    name, data-field name, book name, mapping entity). Deletes and ``state import`` use it."""
    result: dict[str, tuple[str, str, str]] = {}
    for integration in desired.integrations:
        name = integration.name
        result[address("integration", name)] = ("integration", name, name)
        for df in integration.data_fields:
            result[address("data_field", name, df.key)] = ("data_field", name, df.name)
        for book in integration.address_books:
            result[address("address_book", name, book.name)] = ("address_book", name, book.name)
    for mapping in desired.mappings:
        key = v.mapping_key(mapping.entity)
        result[address("mapping", mapping.integration, key)] = (
            "mapping",
            mapping.integration,
            mapping.entity,
        )
    return result


def _plan_deletes(desired: DesiredState, state: Snapshot, scope: set[str], acc: _Acc) -> None:
    wanted = declared_objects(desired)
    moved = {op.previous_address for op in acc.ops if op.previous_address}
    desired_integrations = {i.name for i in desired.integrations}
    for record in sorted(state.objects.values(), key=lambda r: r.address):
        if record.kind == "owner" or record.address in wanted or record.address in moved:
            continue
        if scope and record.integration not in scope:
            continue
        # Children of a removed integration go with it (Oro cascades); only the integration
        # itself is an operation.
        if record.kind != "integration" and record.integration not in desired_integrations:
            continue
        steps: tuple[str, ...]
        if record.kind == "integration":
            steps = ("oro.delete",)
        elif record.kind == "data_field":
            steps = ("dotmailer.delete", "oro.delete")
        elif record.kind == "address_book":
            steps = ("oro.delete", "dotmailer.delete")
        else:
            steps = ("oro.delete",)
        acc.ops.append(
            DeleteOp(
                address=record.address,
                kind=record.kind,  # type: ignore[arg-type]
                integration=record.integration,
                reason="removed_from_config",
                before=dict(record.applied),
                remote_ids=dict(record.remote_ids),
                remote_fingerprint=record.remote_fingerprint,
                steps=steps,
            )
        )


def _unmanaged_mapping_use(
    key: str,
    integration: str,
    mappings: Iterable[DataFieldMapping],
    live: LiveWorld,
    deleted_mappings: Collection[str | None] = (),
) -> str | None:
    """An Oro mapping reconciler does not manage uses the field: deleting the field (a delete
    or a replace) would silently cascade-delete that config (oro-dotmailer-bundle.md §2)."""
    desired_entities = {m.entity for m in mappings if m.integration == integration}
    live_integration = live.integration(integration)
    field_ids = {f.id for f in live_integration.oro_fields if f.name.upper() == key}
    for live_mapping in live_integration.oro_mappings:
        if live_mapping.entity in desired_entities or live_mapping.id in deleted_mappings:
            continue  # ours: updated or deleted in this same apply, before the field goes
        if any(c.data_field_id in field_ids for c in live_mapping.configs):
            return (
                f"data field {key} is used by the Oro mapping for {live_mapping.entity} "
                "(not managed by reconciler); remove it there first"
            )
    return None


def _field_in_use(
    name: str, op: DeleteOp, desired: DesiredState, live: LiveWorld, deletes: Sequence[DeleteOp]
) -> str | None:
    """Why a data field cannot be deleted yet: a mapping that stays still uses it (Oro would
    silently cascade-delete its config, oro-dotmailer-bundle.md §2), or dotmailer said so."""
    key = name.upper()
    integration = op.integration or ""
    for mapping in desired.mappings:
        if mapping.integration == integration and any(
            f.data_field.upper() == key for f in mapping.fields
        ):
            return f"data field {key} is used by mapping {mapping.name!r}; remove it there first"
    deleted = {d.remote_ids.get("oro") for d in deletes if d.kind == "mapping"}
    why = _unmanaged_mapping_use(key, integration, desired.mappings, live, deleted)
    if why is not None:
        return why
    dependencies = (op.before or {}).get("dependencies")
    if dependencies:
        return f"dotmailer reports it in use: {', '.join(map(str, dependencies))}"
    return None


def _apply_delete_guards(
    desired: DesiredState,
    live: LiveWorld,
    options: PlanOptions,
    acc: _Acc,
) -> None:
    """Prune must be on; refuse an empty desired set; cap deletes; block fields still in use."""
    deletes = [op for op in acc.ops if isinstance(op, DeleteOp)]
    if not deletes:
        return
    by_integration = {i.name: i for i in desired.integrations}
    blocked: dict[str, str] = {}
    if not options.prune:
        # Not an error: without prune, what left the config is left in place (and stays in
        # state, so enabling prune later deletes it). Argo CD's "requires pruning".
        for op in deletes:
            acc.warnings.append(
                f"{op.address} is no longer declared; prune is disabled, so it is left in place"
            )
        acc.ops[:] = [op for op in acc.ops if not isinstance(op, DeleteOp)]
        return
    for op in deletes:
        integration = by_integration.get(op.integration or "")
        empty = integration is None and not desired.integrations
        if (
            integration is not None
            and not integration.data_fields
            and not integration.address_books
        ):
            empty = op.kind in ("data_field", "address_book")
        if empty and not options.allow_empty:
            blocked[op.address] = (
                "the desired set is empty; pass --allow-empty to delete everything it held"
            )
            continue
        if op.kind == "data_field" and op.before:
            why = _field_in_use(str(op.before.get("name", "")), op, desired, live, deletes)
            if why is not None:
                blocked[op.address] = why
                continue
    allowed = [op for op in deletes if op.address not in blocked]
    if len(allowed) > options.max_deletes:
        for op in allowed:
            blocked[op.address] = (
                f"{len(allowed)} deletes exceed the cap of {options.max_deletes} per run "
                "(prune.maxDeletes)"
            )
    if blocked:
        acc.ops[:] = [
            _with_blocked(op, blocked[op.address]) if op.address in blocked else op
            for op in acc.ops
        ]


def _with_blocked(op: Op, why: str) -> Op:
    assert isinstance(op, DeleteOp)
    return DeleteOp(
        address=op.address,
        kind=op.kind,
        integration=op.integration,
        reason=op.reason,
        before=op.before,
        remote_ids=op.remote_ids,
        remote_fingerprint=op.remote_fingerprint,
        steps=op.steps,
        blocked=why,
    )


# --- ordering and syncs ---------------------------------------------------------------------


def _order(ops: list[Op]) -> list[Op]:
    """Forward kinds in order, then deletes in reverse order. A delete that frees a name another
    op of the same integration takes (a book renamed onto a removed book's name; dotmailer
    names are unique case-insensitively) goes first, or that op would fail every run."""
    forward = [op for op in ops if not isinstance(op, DeleteOp)]
    deletes = [op for op in ops if isinstance(op, DeleteOp)]
    taken = {
        (op.kind, op.integration, str(op.after["name"]).casefold())
        for op in forward
        if op.after and "name" in op.after
    }

    def frees_a_name(op: Op) -> bool:
        name = str((op.before or {}).get("name", "")).casefold()
        return (op.kind, op.integration, name) in taken

    first = [op for op in deletes if not op.blocked and frees_a_name(op)]
    deletes = [op for op in deletes if op not in first]
    forward.sort(key=lambda op: (_FORWARD[op.kind], op.integration or "", op.address))
    for group in (first, deletes):
        group.sort(key=lambda op: (-_FORWARD[op.kind], op.integration or "", op.address))
    return first + forward + deletes


def _dedupe(ops: list[ReadOp]) -> list[Op]:
    seen: dict[str, Op] = {}
    for op in ops:
        seen.setdefault(op.address, op)
    return [seen[a] for a in sorted(seen)]


def _changed_integrations(ops: Iterable[Op]) -> set[str]:
    return {
        op.integration
        for op in ops
        if op.integration is not None
        and op.is_change
        and not (isinstance(op, DeleteOp) and op.kind == "integration")
        and (not isinstance(op, AdoptOp) or op.changes or op.steps)
    }


def in_integration(object_address: str, name: str) -> bool:
    """True for the integration's own address and every address under it (its fields, books,
    mappings and sync), never for another integration whose name starts the same."""
    own = address("integration", name)
    return object_address == own or object_address.startswith(own + ".")


def _sync_ops(
    integrations: Sequence[Integration],
    ops: Sequence[Op],
    live: LiveWorld,
    interrupted: Collection[str] = (),
) -> list[Op]:
    """SPEC §4: a sync for each integration whose config changed; connector ``datafield`` with
    force when only data fields changed, a full sync (forced when data fields changed too).

    An apply killed after its last write to an integration and before that integration's sync
    leaves nothing to change but the sync: the next run adopts what was made and would never
    schedule it. So an integration with journal entries left pending gets a full, forced sync
    (what the interrupted run changed is unknown)."""
    changed = _changed_integrations(ops)
    resumed = {i.name for i in integrations if any(in_integration(a, i.name) for a in interrupted)}
    kinds_of: dict[str, set[str]] = {}  # one pass, not one per integration (docs/performance.md)
    for op in ops:
        if op.integration is not None and op.is_change and not isinstance(op, ReadOp):
            kinds_of.setdefault(op.integration, set()).add(op.kind)
    result: list[Op] = []
    for integration in sorted(integrations, key=lambda i: i.name):
        in_changed = integration.name in changed
        if not (in_changed or integration.name in resumed) or not integration.sync_on_change:
            continue
        if not integration.enabled:
            continue
        kinds = kinds_of.get(integration.name, set())
        fields_changed = "data_field" in kinds or not in_changed
        only_fields = kinds == {"data_field"}
        connector = "datafield" if only_fields else None
        result.append(
            SyncOp(
                address=address("sync", integration.name),
                kind="sync",
                integration=integration.name,
                reason="config_changed" if in_changed else "apply_interrupted",
                after={"connector": connector, "force": fields_changed},
                connector=connector,
                force=fields_changed,
            )
        )
    return result


def desired_data_field(integration: Integration, name: str) -> DataField | None:
    return next((d for d in integration.data_fields if d.key == name.upper()), None)


def desired_mapping(desired: DesiredState, integration: str, key: str) -> DataFieldMapping | None:
    return next(
        (
            m
            for m in desired.mappings
            if m.integration == integration and v.mapping_key(m.entity) == key
        ),
        None,
    )
