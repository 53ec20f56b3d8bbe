"""The address-book handlers, and a book's members (dotdigital-api-v2.md §7 items 6-10, 14)."""

from __future__ import annotations

from typing import Any

from reconciler.sandbox.core import Response
from reconciler.sandbox.dotmailer.call import Call
from reconciler.sandbox.dotmailer.contacts import contact_json
from reconciler.sandbox.dotmailer.messages import (
    MSG_BOOK_NOT_FOUND,
    MSG_BOOK_NOT_WRITABLE,
    MSG_CONTACT_NOT_FOUND,
    error,
)
from reconciler.sandbox.dotmailer.validate import check_book, json_body, paging


def find_book(call: Call) -> dict[str, Any] | Response:
    """The book of the route's ``{id}``; a non-integer id is not found either (§7 item 7)."""
    try:
        book_id = int(call.params["id"])
    except ValueError:
        return error(404, MSG_BOOK_NOT_FOUND)
    book = call.account.books.get(book_id)
    return book if book is not None else error(404, MSG_BOOK_NOT_FOUND)


def list_books(call: Call) -> Response:
    return _list(call, None)


def list_private_books(call: Call) -> Response:
    return _list(call, "Private")


def list_public_books(call: Call) -> Response:
    return _list(call, "Public")


def _list(call: Call, visibility: str | None) -> Response:
    page = paging(call.request, allow_limit=visibility == "Private")
    if isinstance(page, Response):
        return page
    select, skip = page
    books = [
        call.account.book_json(book)
        for _, book in sorted(call.account.books.items())
        if visibility is None or book["visibility"] == visibility
    ]
    return Response.json(200, books[skip : skip + select])


def get_book(call: Call) -> Response:
    book = find_book(call)
    if isinstance(book, Response):
        return book
    return Response.json(200, call.account.book_json(book))


def create_book(call: Call) -> Response:
    body = json_body(call.request)
    if isinstance(body, Response):
        return body
    checked = check_book(body, call.account, None, for_update=False)
    if isinstance(checked, Response):
        return checked
    book = call.account.add_book(checked)
    status = call.account.settings.addressBookCreateStatus
    return Response.json(status, call.account.book_json(book))


def update_book(call: Call) -> Response:
    book = find_book(call)
    if isinstance(book, Response):
        return book
    if book["builtin"]:
        return error(400, MSG_BOOK_NOT_WRITABLE)
    body = json_body(call.request)
    if isinstance(body, Response):
        return body
    checked = check_book(body, call.account, book["id"], for_update=True)
    if isinstance(checked, Response):
        return checked
    book.update(checked)
    return Response.json(200, call.account.book_json(book))


def delete_book(call: Call) -> Response:
    book = find_book(call)
    if isinstance(book, Response):
        return book
    if book["builtin"]:
        return error(400, MSG_BOOK_NOT_WRITABLE)
    del call.account.books[book["id"]]  # memberships go with it; contacts stay
    status = call.account.settings.addressBookDeleteStatus
    if status == 200:  # SW: 200 with an empty octet-stream
        return Response(200, b"", {"Content-Type": "application/octet-stream"})
    return Response.empty(status)


def book_contacts(call: Call) -> Response:
    book = find_book(call)
    if isinstance(book, Response):
        return book
    page = paging(call.request, allow_limit=False)
    if isinstance(page, Response):
        return page
    select, skip = page
    full = (call.request.query_one("withFullData") or "").lower() == "true"
    members = sorted(
        (call.account.contacts[email] for email in book["members"]), key=lambda c: c["id"]
    )
    return Response.json(200, [contact_json(c, full=full) for c in members[skip : skip + select]])


def remove_member(call: Call) -> Response:
    book = find_book(call)
    if isinstance(book, Response):
        return book
    if book["builtin"]:
        return error(400, MSG_BOOK_NOT_WRITABLE)
    for email, contact in call.account.contacts.items():
        if str(contact["id"]) == call.params["contactId"] and email in book["members"]:
            book["members"].discard(email)
            return Response.empty(204)
    return error(404, MSG_CONTACT_NOT_FOUND)
