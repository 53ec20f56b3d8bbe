"""What the emulator accepts: request bodies, paging, data fields and address books.

The data-field and address-book checks serve both the API (POST/PUT) and seed loading, so a
seeded object obeys the same rules as a created one. Each answers the checked values, or the
error :class:`Response` the API gives.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from reconciler import defaults
from reconciler.model import RESTRICTED_DATA_FIELDS
from reconciler.sandbox.core import Request, Response
from reconciler.sandbox.dotmailer.accounts import BUILTIN_BOOKS, BUILTIN_FIELDS, Account
from reconciler.sandbox.dotmailer.messages import (
    MSG_BOOK_DUPLICATE,
    MSG_CONTENT_TYPE,
    MSG_FIELD_EXISTS,
    MSG_MALFORMED,
    MSG_PAGING_INVALID,
    error,
)

FIELD_TYPES = ("String", "Numeric", "Date", "Boolean")
VISIBILITIES = ("Private", "Public")
INT32_MAX = 2**31 - 1

_FIELD_NAME = re.compile(r"^[A-Za-z0-9_-]{1,20}$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$")


def json_body(request: Request) -> dict[str, Any] | Response:
    content_type = (request.headers.get("Content-Type") or "").lower()
    if "json" not in content_type:
        return error(400, MSG_CONTENT_TYPE)
    try:
        body = request.json()
    except (ValueError, UnicodeDecodeError):
        return error(400, MSG_MALFORMED)
    if not isinstance(body, dict):
        return error(400, MSG_MALFORMED)
    return body


def paging(request: Request, *, allow_limit: bool) -> tuple[int, int] | Response:
    """select 1..1000 (default 1000), skip >= 0 (dotdigital-api-v2.md §4)."""
    raw_select = request.query_one("select")
    if raw_select is None and allow_limit:
        raw_select = request.query_one("limit")  # AB names it "limit" on /private
    raw_skip = request.query_one("skip")
    try:
        select = int(raw_select) if raw_select is not None else 1000
        skip = int(raw_skip) if raw_skip is not None else 0
    except ValueError:
        return error(400, MSG_PAGING_INVALID)
    if not 1 <= select <= 1000 or not 0 <= skip <= INT32_MAX:  # SW types both as int32
        return error(400, MSG_PAGING_INVALID)
    return select, skip


def lower_keys(body: Mapping[str, Any]) -> dict[str, Any]:
    return {str(k).lower(): v for k, v in body.items()}


def _enum(value: Any, choices: tuple[str, ...]) -> str | None:
    if not isinstance(value, str):
        return None
    return next((c for c in choices if c.lower() == value.lower()), None)


def _field_invalid(what: str) -> Response:
    return error(400, f"{what} ERROR_DATAFIELD_INVALID")


def check_data_field(body: Mapping[str, Any], account: Account) -> dict[str, Any] | Response:
    """POST /v2/data-fields validation (dotdigital-api-v2.md §7 item 4)."""
    keys = lower_keys(body)
    name = keys.get("name")
    if not isinstance(name, str) or not _FIELD_NAME.match(name):
        return _field_invalid("The data field name is not valid.")
    # dotdigital-api-v2.md §3: restricted data-field names.
    if name.lower() in RESTRICTED_DATA_FIELDS:
        return _field_invalid("The data field name is reserved.")
    type_ = _enum(keys.get("type"), FIELD_TYPES)
    if type_ is None:
        return _field_invalid("The data field type is not valid.")
    visibility = _enum(keys.get("visibility", "Private"), VISIBILITIES)
    if visibility is None:
        return _field_invalid("The data field visibility is not valid.")
    default = keys.get("defaultvalue")
    ok, default = defaults.dotmailer_accepts(type_, default)
    if not ok:
        return _field_invalid("The default value does not match the data field type.")
    if name.upper() in account.data_fields:
        return error(400, MSG_FIELD_EXISTS)
    cap = account.settings.maxDataFields
    if cap is not None and len(account.data_fields) - len(BUILTIN_FIELDS) >= cap:
        return error(400, "The data field limit has been reached. ERROR_DATAFIELD_LIMITEXCEEDED")
    return {"name": name.upper(), "type": type_, "visibility": visibility, "defaultValue": default}


def check_book(
    body: Mapping[str, Any], account: Account, book_id: int | None, *, for_update: bool
) -> dict[str, Any] | Response:
    """POST/PUT /v2/address-books validation (dotdigital-api-v2.md §7 items 8-9)."""
    keys = lower_keys(body)
    name = keys.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > 128:
        return error(400, "The address book name is not valid. ERROR_ADDRESSBOOK_INVALID")
    default = account.books[book_id]["visibility"] if for_update and book_id else "Private"
    visibility = _enum(keys.get("visibility", default), VISIBILITIES)
    if visibility is None:
        return error(400, "The address book visibility is not valid. ERROR_ADDRESSBOOK_INVALID")
    for other in account.books.values():
        if other["id"] != book_id and other["name"].casefold() == name.casefold():
            return error(400, MSG_BOOK_DUPLICATE)
    cap = account.settings.maxAddressBooks
    if not for_update and cap is not None and len(account.books) - len(BUILTIN_BOOKS) >= cap:
        return error(
            400, "The address book limit has been reached. ERROR_ADDRESSBOOK_LIMITEXCEEDED"
        )
    return {"name": name, "visibility": visibility}
