"""execute/address_books.py: the dotmailer book first, then its Oro record with the marketing
list; a rename is a PUT of the same book; a delete unlinks in Oro, then deletes in dotmailer."""

from __future__ import annotations

from conftest import USERNAME, Lab, book, desired, integration

from reconciler.plan.ops import UpdateOp
from reconciler.plan.steps import AddressBookStep

NEWS = "integration.emea.address_book.Newsletter"


def _books(lab: Lab) -> list[tuple[str, str]]:
    account = lab.world.dotmailer.account(USERNAME)
    return sorted((b["name"], b["visibility"]) for i, b in account.books.items() if i > 2)


def test_a_book_is_made_in_dotmailer_and_linked_in_oro(lab: Lab) -> None:
    state = desired(
        integration(address_books=(book("Newsletter", marketing_list="EMEA subscribers"),))
    )
    lab.converge(state)

    assert lab.calls("POST /v2/", "POST /admin/api/dotmaileraddressbooks") == [
        "POST /v2/address-books",
        "POST /admin/api/dotmaileraddressbooks",
    ]
    assert _books(lab) == [("Newsletter", "Private")]
    (row,) = lab.world.oro.rows("dotmaileraddressbooks")
    (listed,) = [
        m for m in lab.world.oro.rows("marketinglists") if m["a"]["name"] == "EMEA subscribers"
    ]
    assert row["r"]["marketingList"] == listed["id"]
    record = lab.store.read().objects[NEWS]
    assert record.remote_ids == {"dotmailer": str(row["a"]["originId"]), "oro": str(row["id"])}
    assert not lab.plan(state)[0].has_changes


def test_a_rename_updates_the_same_book_in_place(lab: Lab) -> None:
    lab.converge(desired(integration(address_books=(book("Newsletter"),))))
    state = desired(integration(address_books=(book("News", renamed_from="Newsletter"),)))
    plan, live = lab.plan(state)
    (op,) = [o for o in plan.ops if o.kind == "address_book"]
    assert isinstance(op, UpdateOp)
    assert (op.previous_address, op.steps) == (
        NEWS,
        (AddressBookStep.DOTMAILER_UPDATE, AddressBookStep.ORO_UPDATE),
    )

    lab.apply(state, plan, live)

    book_id = op.remote_ids["dotmailer"]
    assert lab.calls("PUT ", "PATCH ") == [
        f"PUT /v2/address-books/{book_id}",
        f"PATCH /admin/api/dotmaileraddressbooks/{op.remote_ids['oro']}",
    ]
    assert _books(lab) == [("News", "Private")]
    assert sorted(lab.store.read().objects) == [
        "integration.emea",
        "integration.emea.address_book.News",
    ]
    assert not lab.plan(state)[0].has_changes


def test_a_removed_book_is_unlinked_in_oro_then_deleted_in_dotmailer(lab: Lab) -> None:
    lab.converge(desired(integration(address_books=(book("Newsletter"), book("Keep")))))
    state = desired(integration(address_books=(book("Keep"),)))

    lab.converge(state)

    assert [c.rsplit("/", 1)[0] for c in lab.calls("DELETE ")] == [
        "DELETE /admin/api/dotmaileraddressbooks",
        "DELETE /v2/address-books",
    ]
    assert _books(lab) == [("Keep", "Private")]
    assert not lab.plan(state)[0].has_changes
