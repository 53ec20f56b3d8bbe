"""Address books: identity across renames, in-place updates, and the Oro link (SPEC §2.2).

A book's identity is the dotmailer id kept in state, so a rename is an update (PUT), not a
replace. A desired book finds its state record by name, by ``renamedFrom``, by the same name in
another case, or by the marketing list of a book that left the config.

Oro keeps an integration's books when the integration is deleted (``AddressBook.channel`` is
onDelete SET NULL, with the marketing-list link: oro-verified.md §4). Such an orphan is re-linked
when it is this very book's Oro record (the state's id, or the same dotmailer book and name), and
is otherwise in the way of the marketing list it holds: a unique index makes linking that list
again a 409. With prune on it is deleted first; without, the plan cannot be made.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from reconciler.model import (
    VISIBILITIES,
    AddressBook,
    Integration,
    LiveIntegration,
    LiveWorld,
    OroAddressBook,
    RemoteAddressBook,
)
from reconciler.plan import values as v
from reconciler.plan.compare.common import (
    Planned,
    PlanProblem,
    changes,
    create,
    drift,
    reason,
)
from reconciler.plan.ops import AdoptOp, AnyOp, Drift, UpdateOp, address
from reconciler.plan.specs import AddressBookSpec
from reconciler.plan.steps import AddressBookStep, AddressBookWork, Kind
from reconciler.state import ObjectRecord, Snapshot


def _identity(
    book: AddressBook,
    addr: str,
    state: Snapshot,
    leftovers: Callable[[], list[ObjectRecord]],
    desired_keys: set[str],
    claimed: set[str],
) -> tuple[ObjectRecord | None, str | None]:
    """The state record behind a desired book (at ``addr``), following a rename:
    ``renamedFrom``, the same name in another case, or the same marketing list on a book that
    left the config (one of ``leftovers``). A record is claimed by one desired book only.
    Returns (record, previous address)."""
    record = state.objects.get(addr)
    if record is not None:
        return record, None
    candidates = [r for r in leftovers() if r.address not in claimed]

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


def _orphan_of(
    remote: RemoteAddressBook, orphans: Mapping[tuple[int | None, str], OroAddressBook]
) -> OroAddressBook | None:
    """An orphan that was the Oro record of this dotmailer book: the same book id and name
    (dotmailer ids are per account, so the id alone could be another account's book)."""
    return orphans.get((remote.id, remote.name.casefold()))


def _leftovers(integration: Integration, state: Snapshot) -> Callable[[], list[ObjectRecord]]:
    """The state's address books of ``integration`` that no desired book is named after, by
    address: looked for once, and only when a book has no record of its own (a state of 36,000
    objects was scanned once per book)."""
    found: list[list[ObjectRecord]] = []

    def leftovers() -> list[ObjectRecord]:
        if not found:
            declared = {
                address(Kind.ADDRESS_BOOK, integration.name, b.name)
                for b in integration.address_books
            }
            records = (
                r
                for r in state.objects.values()
                if r.kind == Kind.ADDRESS_BOOK
                and r.integration == integration.name
                and r.address not in declared
            )
            found.append(sorted(records, key=lambda r: r.address))
        return found[0]

    return leftovers


def _in_the_way(
    book: AddressBook,
    oro: OroAddressBook | None,
    list_ids: Mapping[str, str],
    holders: Mapping[str, OroAddressBook],
) -> OroAddressBook | None:
    """The orphan holding the marketing list ``book`` links, unless it is ``book``'s own."""
    list_id = list_ids.get(book.marketing_list) if book.marketing_list is not None else None
    holder = holders.get(list_id) if list_id is not None else None
    return None if holder is None or (oro is not None and holder.id == oro.id) else holder


def plan_address_books(
    integration: Integration,
    live: LiveIntegration,
    world: LiveWorld,
    state: Snapshot,
    prune: bool = False,
) -> Planned:
    remote_by_id = {str(b.id): b for b in live.remote_books or ()}
    remote_by_name = {b.name.casefold(): b for b in live.remote_books or ()}
    oro_by_origin = {str(b.origin_id): b for b in live.oro_books if b.origin_id is not None}
    oro_by_id = {b.id: b for b in (*live.oro_books, *world.orphan_books)}
    orphans = {(b.origin_id, b.name.casefold()): b for b in world.orphan_books}
    holders = {b.marketing_list_id: b for b in world.orphan_books if b.marketing_list_id}
    warnings: list[str] = []
    problems: list[PlanProblem] = []
    desired_keys = {b.key for b in integration.address_books}
    claimed: set[str] = set()
    leftovers = _leftovers(integration, state)
    list_ids = v.marketing_list_ids(world)
    ops: list[AnyOp] = []
    drifted: list[Drift] = []
    # Explicit renames claim their record first, then the rest in name order.
    ordered = sorted(integration.address_books, key=lambda b: (b.renamed_from is None, b.key))
    for book in ordered:
        addr = address(Kind.ADDRESS_BOOK, integration.name, book.name)
        record, previous = _identity(book, addr, state, leftovers, desired_keys, claimed)
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
            oro = oro_by_origin.get(str(remote.id)) or _orphan_of(remote, orphans)
        holder = _in_the_way(book, oro, list_ids, holders)
        first: tuple[AddressBookStep, ...] = ()
        if holder is not None:
            what = (
                f"Oro address book {holder.name!r} (id {holder.id}) has no integration (its "
                f"integration was deleted) and holds marketing list {book.marketing_list!r}"
            )
            if not prune:
                problems.append(
                    PlanProblem(
                        book.location,
                        "marketingList",
                        f"{what}; enable prune to delete it, or delete it in Oro",
                    )
                )
                continue
            warnings.append(f"{addr}: {what}; apply deletes it first")
            first = (AddressBookStep.ORO_DELETE_ORPHAN,)
        spec = AddressBookSpec.of(book)
        wanted = spec.values()
        found = v.live_address_book(remote, oro, world)
        remote_ids = {
            **({"dotmailer": str(remote.id)} if remote is not None else {}),
            **({"oro": oro.id} if oro is not None else {}),
            **({"orphan": holder.id} if holder is not None else {}),
        }
        if found is None or remote is None:
            # The Oro record of a book gone from dotmailer points at the old originId, which
            # Oro cannot change: it is recreated for the new book.
            steps = (
                first
                + (AddressBookStep.DOTMAILER_CREATE,)
                + ((AddressBookStep.ORO_DELETE,) if oro else ())
                + (AddressBookStep.ORO_CREATE,)
            )
            work = AddressBookWork(spec, steps)
            ops.append(
                create(
                    addr,
                    integration.name,
                    record,
                    work,
                    remote_ids=remote_ids,
                    previous_address=previous,
                )
            )
            continue
        current = found.values()
        if remote.visibility not in VISIBILITIES:
            # ApiAddressBookVisibility's placeholder NotAvailableInThisVersion (official v2
            # Swagger): never a reason to update; shown and left alone.
            warnings.append(
                f"{addr}: dotmailer reports its visibility as {remote.visibility!r}, which this "
                "reconciler does not know (the API's placeholder for a newer value); left as it is"
            )
            current = {**current, "visibility": wanted["visibility"]}
        drifted += drift(
            addr if previous is None else previous, integration.name, record, current, wanted
        )
        changed = changes(current, wanted, wanted)
        steps_list: list[AddressBookStep] = list(first)
        if any(c.field in ("name", "visibility") for c in changed):
            steps_list.append(AddressBookStep.DOTMAILER_UPDATE)
        if oro is None:
            steps_list.append(AddressBookStep.ORO_CREATE)
        elif oro.channel_id is None:
            steps_list.append(AddressBookStep.ORO_RELINK)  # its orphaned record, given back
        elif oro.origin_id != remote.id:
            # Linked to another dotmailer book.
            steps_list += [AddressBookStep.ORO_DELETE, AddressBookStep.ORO_CREATE]
        elif changed:
            steps_list.append(AddressBookStep.ORO_UPDATE)
        if record is not None and not steps_list and previous is None:
            continue
        if record is not None and oro is None and record.remote_ids.get("oro"):
            # The Oro record this tool made is gone (deleted by hand): drift, and a create.
            work = AddressBookWork(spec, tuple(steps_list))
            made = create(addr, integration.name, record, work, remote_ids=remote_ids,
                          previous_address=previous)  # fmt: skip
            ops.append(made)
            continue
        cls: type[AdoptOp] | type[UpdateOp] = AdoptOp if record is None else UpdateOp
        if record is None:
            why = "exists_unmanaged"
        elif oro is not None and oro.channel_id is None:
            why = "orphaned_in_oro"
        else:
            why = "renamed" if previous is not None else reason(record, wanted, changed)
        ops.append(
            cls(
                address=addr,
                kind=Kind.ADDRESS_BOOK,
                integration=integration.name,
                reason=why,
                before=current,
                work=AddressBookWork(spec, tuple(steps_list)),
                changes=changed,
                remote_ids=remote_ids,
                remote_fingerprint=v.remote_fingerprint(remote, oro),
                previous_address=previous,
            )
        )
    return Planned(tuple(ops), tuple(drifted), tuple(warnings), tuple(problems))
