"""The v2 routes the emulator answers: method, path template, the handler itself, and flags.

Each route holds its handler function, not its name, so a typo fails at import and under mypy,
and dispatch calls ``route.handler`` directly. ``produces`` is the media type of the route's
success answer, the one the official v2 Swagger (dotdigital-v2-api-swagger.json) declares
(tests/sandbox/test_dotmailer_conformance.py checks it); the app negotiates it strictly,
answering 406 to an ``Accept`` that excludes it (RFC 9110 §12.5.1, §15.5.7), as a strict
server does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote

from reconciler.sandbox.core import Response
from reconciler.sandbox.dotmailer.books import (
    book_contacts,
    create_book,
    delete_book,
    get_book,
    list_books,
    list_private_books,
    list_public_books,
    remove_member,
    update_book,
)
from reconciler.sandbox.dotmailer.call import Handler
from reconciler.sandbox.dotmailer.contacts import get_contact
from reconciler.sandbox.dotmailer.fields import create_field, delete_field, list_fields
from reconciler.sandbox.dotmailer.imports import (
    import_faults,
    import_report,
    import_status,
    start_import,
)
from reconciler.sandbox.dotmailer.info import account_info, server_time
from reconciler.sandbox.dotmailer.messages import MSG_NO_ROUTE, error


@dataclass(frozen=True)
class Route:
    method: str
    template: str
    pattern: re.Pattern[str]
    handler: Handler
    mutates: bool  # a success bumps the app's revision (worth persisting)
    exempt_on_r1: bool  # answered on the r1 host whatever the account's region
    produces: str | None  # the success answer's media type (SW); None: no body


JSON = "application/json"
OCTETS = "application/octet-stream"


def route(
    method: str,
    template: str,
    handler: Handler,
    *,
    mutates: bool = False,
    exempt_on_r1: bool = False,
    produces: str | None = JSON,
) -> Route:
    regex = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template))
    pattern = re.compile(f"^{regex}$")
    return Route(method, template, pattern, handler, mutates, exempt_on_r1, produces)


def accepts(header: str | None, media_type: str | None) -> bool:
    """Does an ``Accept`` header admit ``media_type``? No header, or no body, admits all;
    ``*/*`` and ``type/*`` ranges match, and ``q=0`` excludes (RFC 9110 §12.5.1)."""
    if not header or not header.strip() or media_type is None:
        return True
    kind = media_type.split("/", 1)[0]
    for item in header.split(","):
        media_range, *params = (part.strip().lower() for part in item.split(";"))
        if media_range in ("*/*", f"{kind}/*", media_type) and not any(
            _is_zero_weight(param) for param in params
        ):
            return True
    return False


def _is_zero_weight(param: str) -> bool:
    name, _, value = param.partition("=")
    try:
        return name.strip() == "q" and float(value) == 0
    except ValueError:
        return False


# Order matters: fixed segments before parameters.
ROUTES: tuple[Route, ...] = (
    # dotdigital-api-v2.md §1, §7: account-info is called on r1 whatever the account's region,
    # so it is exempt from the region check there.
    route("GET", "/v2/account-info", account_info, exempt_on_r1=True),
    route("GET", "/v2/server-time", server_time),
    route("GET", "/v2/data-fields", list_fields),
    route("POST", "/v2/data-fields", create_field, mutates=True),
    route("DELETE", "/v2/data-fields/{name}", delete_field, mutates=True),
    route("GET", "/v2/address-books", list_books),
    route("GET", "/v2/address-books/private", list_private_books),
    route("GET", "/v2/address-books/public", list_public_books),
    route("POST", "/v2/address-books", create_book, mutates=True),
    route("GET", "/v2/address-books/{id}", get_book),
    route("PUT", "/v2/address-books/{id}", update_book, mutates=True),
    # SW: 200 with an empty application/octet-stream body.
    route("DELETE", "/v2/address-books/{id}", delete_book, mutates=True, produces=OCTETS),
    route("POST", "/v2/address-books/{id}/contacts/import", start_import, mutates=True),
    route(
        "POST",
        "/v2/address-books/{id}/contacts/import/with-merge-option/{mergeOption}",
        start_import,
        mutates=True,
    ),
    route("GET", "/v2/address-books/{id}/contacts", book_contacts),
    route(
        "DELETE",
        "/v2/address-books/{id}/contacts/{contactId}",
        remove_member,
        mutates=True,
        produces=None,  # SW: 204 without content
    ),
    route("GET", "/v2/contacts/import/{importId}", import_status, mutates=True),
    route("GET", "/v2/contacts/import/{importId}/report", import_report),
    # The sources disagree (SW application/octet-stream, the email-contacts spec text/plain);
    # the emulator answers CSV, and the client never asks for it.
    route(
        "GET", "/v2/contacts/import/{importId}/report-faults", import_faults, produces="text/csv"
    ),
    route("GET", "/v2/contacts/{email}", get_contact),
)


def find_route(method: str, path: str) -> tuple[Route | None, dict[str, str]]:
    """The first route matching ``method`` and ``path``, with its parameters percent-decoded."""
    for candidate in ROUTES:
        found = candidate.pattern.match(path)
        if found and candidate.method == method:
            return candidate, {k: unquote(v) for k, v in found.groupdict().items()}
    return None, {}


def no_route(method: str, path: str) -> Response:
    """405 when the path is known under another method, else 404."""
    if any(candidate.pattern.match(path) for candidate in ROUTES):
        return error(405, f"The requested resource does not support http method '{method}'.")
    return error(404, MSG_NO_ROUTE)
