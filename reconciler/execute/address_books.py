"""Apply an address-book op: the dotmailer book (create, rename in place), then its Oro record
with the marketing-list link (SPEC §2.2). A delete unlinks in Oro first, then deletes in
dotmailer."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, assert_never

from reconciler.errors import ConflictError
from reconciler.execute.context import Apply, IntegrationContext, OpFailed, answered_another
from reconciler.execute.journal import ignore_missing
from reconciler.model import OroAddressBook, RemoteAddressBook
from reconciler.plan.ops import ChangeOp, DeleteOp
from reconciler.plan.specs import AddressBookSpec
from reconciler.plan.steps import AddressBookStep, AddressBookWork


class _Book:
    """The ids one book op learns as its steps run."""

    def __init__(self, op: ChangeOp) -> None:
        self.remote_id = op.remote_ids.get("dotmailer")
        self.oro_id = op.remote_ids.get("oro")


def converge(
    apply: Apply, context: IntegrationContext, op: ChangeOp, work: AddressBookWork
) -> None:
    book = _run(apply, context, op, work)
    remove = [op.previous_address] if op.previous_address else []
    apply.record(
        op,
        {"dotmailer": book.remote_id or "", "oro": book.oro_id or ""},
        work.spec.values(),
        remove=remove,
    )


def delete(apply: Apply, context: IntegrationContext, op: DeleteOp, work: AddressBookWork) -> str:
    _run(apply, context, op, work)
    apply.forget([op.address])
    return "deleted"


def _run(apply: Apply, context: IntegrationContext, op: ChangeOp, work: AddressBookWork) -> _Book:
    book = _Book(op)
    spec = work.spec
    for step in work.steps:
        match step:
            case AddressBookStep.DOTMAILER_CREATE:
                book.remote_id = str(_create_remote(apply, context, op, spec).id)
            case AddressBookStep.DOTMAILER_UPDATE:
                _update_remote(apply, context, op, spec, book)
            case AddressBookStep.DOTMAILER_DELETE:
                _delete_remote(apply, context, op, book)
            case AddressBookStep.ORO_DELETE:
                _delete_oro(apply, op, book)
            case AddressBookStep.ORO_CREATE:
                assert book.remote_id is not None
                book.oro_id = _create_oro(apply, context, op, spec, int(book.remote_id)).id
            case AddressBookStep.ORO_UPDATE:
                _update_oro(apply, op, spec, book)
            case AddressBookStep.ORO_RELINK:
                _update_oro(apply, op, spec, book, channel_id=apply.channel(context))
            case AddressBookStep.ORO_DELETE_ORPHAN:
                _delete_orphan(apply, op)
            case _:
                assert_never(step)
    return book


def _update_remote(
    apply: Apply, context: IntegrationContext, op: ChangeOp, spec: AddressBookSpec, book: _Book
) -> None:
    assert book.remote_id is not None
    book_id = int(book.remote_id)
    client = apply.dotmailer(context)
    apply.journal.call(
        op.address,
        AddressBookStep.DOTMAILER_UPDATE,
        {"call": "PUT /v2/address-books/{id}", "id": book_id},
        lambda: client.update_address_book(book_id, spec.name, spec.visibility),
    )


def _delete_remote(apply: Apply, context: IntegrationContext, op: ChangeOp, book: _Book) -> None:
    if not book.remote_id:
        return
    book_id = int(book.remote_id)
    client = apply.dotmailer(context)
    apply.journal.call(
        op.address,
        AddressBookStep.DOTMAILER_DELETE,
        {"call": "DELETE /v2/address-books/{id}", "id": book_id},
        ignore_missing(lambda: client.delete_address_book(book_id)),
    )


def _delete_oro(apply: Apply, op: ChangeOp, book: _Book) -> None:
    stale_id = book.oro_id
    if stale_id is None:
        return
    apply.journal.call(
        op.address,
        AddressBookStep.ORO_DELETE,
        {"call": "DELETE dotmaileraddressbooks", "id": stale_id},
        ignore_missing(lambda: apply.oro.delete_address_book(stale_id)),
    )
    book.oro_id = None


def _update_oro(
    apply: Apply,
    op: ChangeOp,
    spec: AddressBookSpec,
    book: _Book,
    *,
    channel_id: str | None = None,
) -> None:
    """PATCH the Oro record; with ``channel_id``, give an orphaned record its channel back."""
    oro_id = book.oro_id
    if oro_id is None:
        return
    attributes = _attributes(apply, spec)
    step = AddressBookStep.ORO_UPDATE
    if channel_id is not None:
        attributes["channel_id"] = channel_id
        step = AddressBookStep.ORO_RELINK
    with _named_conflict(apply, spec, oro_id):
        apply.journal.call(
            op.address,
            step,
            {"call": "PATCH dotmaileraddressbooks", "id": oro_id},
            lambda: apply.oro.update_address_book(oro_id, **attributes),
        )


def _delete_orphan(apply: Apply, op: ChangeOp) -> None:
    orphan = op.remote_ids["orphan"]
    apply.journal.call(
        op.address,
        AddressBookStep.ORO_DELETE_ORPHAN,
        {"call": "DELETE dotmaileraddressbooks", "id": orphan, "orphan": True},
        ignore_missing(lambda: apply.oro.delete_address_book(orphan)),
    )


@contextmanager
def _named_conflict(apply: Apply, spec: AddressBookSpec, own_id: str | None) -> Iterator[None]:
    """Oro answers a marketing list linked twice with a bare 409 (a unique index, no pointer:
    oro-verified.md §4); say which book holds it."""
    try:
        yield
    except ConflictError as exc:
        list_id = _list_id(apply, spec)
        holder = next(
            (
                b
                for b in apply.oro.list_address_books()
                if b.marketing_list_id == list_id and b.id != own_id
            ),
            None,
        )
        if holder is None or list_id is None:
            raise
        where = (
            "no integration" if holder.channel_id is None else f"integration {holder.channel_id}"
        )
        raise OpFailed(
            f"Oro refused it: marketing list {spec.marketing_list!r} is already linked to "
            f"address book {holder.name!r} (Oro id {holder.id}, {where})"
        ) from exc


def _list_id(apply: Apply, spec: AddressBookSpec) -> str | None:
    return next((m.id for m in apply.world.marketing_lists if m.name == spec.marketing_list), None)


def _attributes(apply: Apply, spec: AddressBookSpec) -> dict[str, Any]:
    list_id = _list_id(apply, spec)
    return {
        "name": spec.name,
        "visibility": spec.visibility,
        "marketing_list_id": list_id,
        "create_entities": spec.create_entities,
    }


def _create_remote(
    apply: Apply, context: IntegrationContext, op: ChangeOp, spec: AddressBookSpec
) -> RemoteAddressBook:
    client = apply.dotmailer(context)

    def find() -> RemoteAddressBook | None:
        folded = spec.name.casefold()
        return next((b for b in client.list_address_books() if b.name.casefold() == folded), None)

    return apply.journal.call(
        op.address,
        AddressBookStep.DOTMAILER_CREATE,
        {"call": "POST /v2/address-books", "name": spec.name},
        lambda: client.create_address_book(spec.name, spec.visibility),
        find,
    )


def _create_oro(
    apply: Apply, context: IntegrationContext, op: ChangeOp, spec: AddressBookSpec, origin: int
) -> OroAddressBook:
    channel_id = apply.channel(context)
    attributes = _attributes(apply, spec)

    def find() -> OroAddressBook | None:
        return next(
            (
                b
                for b in apply.oro.list_address_books()
                if b.channel_id == channel_id and b.origin_id == origin
            ),
            None,
        )

    with _named_conflict(apply, spec, None):
        made = apply.journal.call(
            op.address,
            AddressBookStep.ORO_CREATE,
            {"call": "POST dotmaileraddressbooks", "originId": origin},
            lambda: apply.oro.create_address_book(
                channel_id=channel_id, origin_id=origin, **attributes
            ),
            find,
        )
    if made.origin_id != origin or made.channel_id != channel_id:
        raise answered_another(
            "address book",
            f"record of dotmailer book {origin} in integration {channel_id}",
            f"of dotmailer book {made.origin_id} in integration {made.channel_id}",
        )
    return made
