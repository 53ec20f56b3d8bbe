"""Record live objects in the state as ours without writing them: adoption by hand.

``state import ADDR ID`` (:func:`import_object`) binds one declared address to an existing live
object. Plan adopts live objects that match a declared one by name on its own; this is for the
cases it cannot guess, above all an address book whose live name differs from the declared one
(the next plan then shows the rename as an update of that very book). ``reconciler import``
records the adopts a plan of the config it wrote needs no remote call for
(:func:`record_adopts`).

Either way the record keeps the live values as last-applied, so the next plan shows exactly
what apply will change, and no secret fingerprint: Oro keeps secrets write-only, so the next
plan adopts the integration by writing its credentials once.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from reconciler.errors import UsageError
from reconciler.model import LiveWorld
from reconciler.plan import values as v
from reconciler.plan.compare import declared_objects
from reconciler.plan.ops import AdoptOp, Plan
from reconciler.plan.steps import Kind
from reconciler.session import Session
from reconciler.state import ObjectRecord, StateStore


def adopted_record(
    address: str,
    kind: Kind,
    integration: str | None,
    remote_ids: Mapping[str, str],
    applied: Mapping[str, Any],
    now: datetime,
) -> ObjectRecord:
    """The record of a live object taken over as it is: no secret known, no write made."""
    return ObjectRecord(
        address=address,
        kind=kind.value,
        integration=integration,
        remote_ids=dict(remote_ids),
        applied=dict(applied),
        secret_fingerprints={},
        remote_fingerprint="",
        updated_at=now.strftime("%Y-%m-%dT%H:%M:%SZ"),
    )


def record_adopts(store: StateStore, plan: Plan, serial: int, now: datetime) -> list[ObjectRecord]:
    """Record every adopt of ``plan`` that needs no remote call (the object is whole on both
    sides, as declared), in one compare-and-swap write at ``serial``; the others (a password
    to write, a side to make) are left for apply. Returns the records written, by address."""
    records = [
        adopted_record(
            op.address, op.kind, op.integration, op.remote_ids, op.work.spec.values(), now
        )
        for op in plan.ops
        if isinstance(op, AdoptOp) and op.work is not None and not op.steps
    ]
    if records:
        store.write(serial, records, [])
    return sorted(records, key=lambda r: r.address)


def import_object(session: Session, target: str, remote_id: str) -> ObjectRecord:
    declared = declared_objects(session.desired)
    if target not in declared:
        known = ", ".join(sorted(declared)[:5])
        raise UsageError(f"{target} is not a declared address (for example: {known})")
    kind, integration, key = declared[target]
    if target in session.store.read().objects:
        raise UsageError(f"{target} is already in the state; `state rm` it first to re-import")
    world = session.refresh()
    remote_ids, applied = _find(world, kind, integration, key, remote_id)
    for other in session.store.read().objects.values():
        if (
            other.kind == kind
            and other.integration == integration
            and any(other.remote_ids.get(side) == value for side, value in remote_ids.items())
        ):
            raise UsageError(
                f"{other.address} already manages that object; `state rm` it first to move it"
            )
    record = adopted_record(target, kind, integration, remote_ids, applied, datetime.now(UTC))
    with session.locked("state import"):
        snapshot = session.store.read()
        session.store.write(snapshot.serial, [record], [])
    return record


def _find(
    world: LiveWorld, kind: Kind, integration: str, key: str, remote_id: str
) -> tuple[dict[str, str], dict[str, object]]:
    live = world.integration(integration)
    if kind == Kind.INTEGRATION:
        if live.oro is None or live.oro.id != remote_id:
            raise UsageError(
                f"Oro has no dotmailer integration {remote_id!r} named {integration!r}"
            )
        return (
            {"oro": live.oro.id, "oro_transport": live.oro.transport_id},
            v.live_integration(live.oro, world).values(),
        )
    if kind == Kind.DATA_FIELD:
        remote = next(
            (f for f in live.remote_fields or () if f.name.upper() == remote_id.upper()), None
        )
        if remote is None or remote.name.upper() != key.upper():
            raise UsageError(
                f"dotmailer has no data field {remote_id!r} for {integration!r} "
                f"(a data field is imported by its name, {key!r})"
            )
        oro = next((f for f in live.oro_fields if f.name.upper() == key.upper()), None)
        found = v.live_data_field(remote, oro)
        return ({"oro": oro.id} if oro else {}), found.values() if found else {}
    if kind == Kind.ADDRESS_BOOK:
        book = next((b for b in live.remote_books or () if str(b.id) == remote_id), None)
        if book is None:
            raise UsageError(
                f"dotmailer has no address book with id {remote_id} for {integration!r}"
            )
        oro_book = next((b for b in live.oro_books if b.origin_id == book.id), None)
        ids = {"dotmailer": str(book.id), **({"oro": oro_book.id} if oro_book else {})}
        spec = v.live_address_book(book, oro_book, world)
        return ids, spec.values() if spec else {}
    mapping = next((m for m in live.oro_mappings if m.id == remote_id), None)
    if mapping is None or mapping.entity != key:
        raise UsageError(f"Oro has no mapping {remote_id!r} for {key} on {integration!r}")
    names = {f.id: f.name for f in live.oro_fields}
    return {"oro": mapping.id}, v.live_mapping(mapping, names).values()
