"""The dotmailer v2 emulator over real HTTP on loopback (dotdigital-api-v2.md §7)."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from reconciler.sandbox.core import Request, Response, SandboxServer
from reconciler.sandbox.dotmailer import DotmailerApp

EPOCH = 1_800_000_000.0  # a minute boundary: 1_800_000_000 / 60 = 30_000_000
EMEA = ("apiuser-emea@apiconnector.com", "sandbox-emea-pw")
AMER = ("apiuser-amer@apiconnector.com", "sandbox-amer-pw")
FLAT = ("apiuser-flat@apiconnector.com", "sandbox-flat-pw")

SEED: dict[str, Any] = {
    "accounts": [
        {
            "username": EMEA[0],
            "password": EMEA[1],
            "region": "r1",
            "rateLimit": {"mode": "tiered", "perMinute": 35},
            "dataFields": [
                {
                    "name": "LOYALTY",
                    "type": "String",
                    "visibility": "Private",
                    "defaultValue": None,
                },
                {"name": "points", "type": "Numeric", "defaultValue": 5, "inUse": True},
            ],
            "addressBooks": [{"name": "Newsletter", "visibility": "Private"}],
        },
        {"username": AMER[0], "password": AMER[1], "region": "r2", "rateLimit": {"mode": "off"}},
        {
            "username": FLAT[0],
            "password": FLAT[1],
            "region": "r1",
            "rateLimit": {"mode": "flat", "perHour": 3},
        },
    ]
}


@dataclass
class FakeClock:
    now: float = EPOCH

    def time(self) -> float:
        return self.now


@dataclass
class Env:
    app: DotmailerApp
    server: SandboxServer
    client: httpx.Client
    clock: FakeClock

    def call(
        self, method: str, path: str, auth: tuple[str, str] = EMEA, **kwargs: Any
    ) -> httpx.Response:
        return self.client.request(method, path, auth=auth, **kwargs)


class Mount:
    """One server for the module; each test mounts a fresh app (stopping a server takes 0.5 s)."""

    prefixes = DotmailerApp.prefixes

    def __init__(self) -> None:
        self.app = DotmailerApp()

    def handle(self, request: Request) -> Response:
        return self.app.handle(request)


@pytest.fixture(scope="module")
def mounted() -> Iterator[tuple[Mount, SandboxServer]]:
    mount = Mount()
    server = SandboxServer([mount]).start()
    yield mount, server
    server.stop()


@pytest.fixture
def env(mounted: tuple[Mount, SandboxServer]) -> Iterator[Env]:
    mount, server = mounted
    clock = FakeClock()
    mount.app = DotmailerApp(SEED, clock=clock.time)
    with httpx.Client(base_url=server.url, timeout=5.0) as client:
        yield Env(mount.app, server, client, clock)


BAD_NAME = "The data field name is not valid. ERROR_DATAFIELD_INVALID"
RESERVED = "The data field name is reserved. ERROR_DATAFIELD_INVALID"
BAD_TYPE = "The data field type is not valid. ERROR_DATAFIELD_INVALID"
BAD_VIS = "The data field visibility is not valid. ERROR_DATAFIELD_INVALID"
BAD_DEFAULT = "The default value does not match the data field type. ERROR_DATAFIELD_INVALID"
DUPLICATE = "That name is in use already, please choose another. ERROR_ADDRESSBOOK_DUPLICATE"
BAD_BOOK = "The address book name is not valid. ERROR_ADDRESSBOOK_INVALID"
BAD_BOOK_VIS = "The address book visibility is not valid. ERROR_ADDRESSBOOK_INVALID"
NOT_CSV = "The file format is not supported. ERROR_IMPORT_UNSUPPORTED_FORMAT"
BAD_FILE = "The file is not valid. ERROR_IMPORT_UNSUPPORTED_FORMAT"

BUILTINS = [
    {"name": n, "type": "String", "visibility": "Public", "defaultValue": None}
    for n in ("FIRSTNAME", "LASTNAME", "FULLNAME", "GENDER", "POSTCODE")
]


# --- auth, account-info, regions ---------------------------------------------------------


def test_account_info_names_the_server_as_api_endpoint(env: Env) -> None:
    response = env.call("GET", "/v2/account-info")
    assert response.status_code == 200
    assert response.json() == {
        "id": 100001,
        "properties": [
            {"name": "Name", "type": "String", "value": "apiuser-emea"},
            {"name": "MainEmail", "type": "String", "value": "ops+r1@sandbox.example"},
            {"name": "APILocale", "type": "String", "value": "en-GB"},
            {"name": "ApiCallsInLastHour", "type": "Int", "value": "1"},
            {"name": "ApiCallsRemaining", "type": "Int", "value": "1999"},
            {"name": "ApiEndpoint", "type": "String", "value": f"{env.server.url}/"},
            {"name": "CurrencyCode", "type": "String", "value": "GBP"},
            {"name": "TimeZoneIana", "type": "String", "value": "Europe/London"},
        ],
    }


@pytest.mark.parametrize(
    "auth", [None, ("apiuser-emea@apiconnector.com", "wrong"), ("nobody@x.com", "sandbox-emea-pw")]
)
def test_bad_credentials_get_401(env: Env, auth: tuple[str, str] | None) -> None:
    response = env.client.get("/v2/data-fields", auth=auth or httpx.USE_CLIENT_DEFAULT)
    assert (response.status_code, response.json()) == (
        401,
        {"message": "Authorization has been denied for this request."},
    )
    assert "x-ratelimit-limit" not in response.headers
    assert env.app.unauthorized == 1


def test_other_regions_live_under_their_own_path_and_refuse_the_wrong_host(env: Env) -> None:
    info = env.call("GET", "/v2/account-info", auth=AMER).json()
    endpoint = next(p["value"] for p in info["properties"] if p["name"] == "ApiEndpoint")
    assert endpoint == f"{env.server.url}/r2/"
    wrong = env.call("GET", "/v2/data-fields", auth=AMER)
    assert (wrong.status_code, wrong.json()) == (403, {"message": "Access is denied"})
    assert env.call("GET", "/r2/v2/data-fields", auth=AMER).json() == BUILTINS
    assert env.call("GET", "/r2/v2/data-fields").status_code == 403  # r1 account on r2 host


def test_server_time_is_the_clock(env: Env) -> None:
    assert env.call("GET", "/v2/server-time").json() == "2027-01-15T08:00:00Z"


def test_unknown_path_and_method(env: Env) -> None:
    assert env.call("GET", "/v2/nothing").json() == {
        "message": "No HTTP resource was found that matches the request URI."
    }
    response = env.call("PATCH", "/v2/data-fields")
    assert (response.status_code, response.json()) == (
        405,
        {"message": "The requested resource does not support http method 'PATCH'."},
    )


# --- data fields ----------------------------------------------------------------------------


def test_data_fields_list_has_builtins_then_seeded(env: Env) -> None:
    assert env.call("GET", "/v2/data-fields").json() == [
        *BUILTINS,
        {"name": "LOYALTY", "type": "String", "visibility": "Private", "defaultValue": None},
        {"name": "POINTS", "type": "Numeric", "visibility": "Private", "defaultValue": 5},
    ]


def test_create_data_field_upper_cases_and_matches_case_insensitively(env: Env) -> None:
    body = {"Name": "tier", "TYPE": "string", "visibility": "public", "defaultValue": "gold"}
    response = env.call("POST", "/v2/data-fields", json=body)
    assert (response.status_code, response.json()) == (
        201,
        {"name": "TIER", "type": "String", "visibility": "Public", "defaultValue": "gold"},
    )
    again = env.call("POST", "/v2/data-fields", json={"name": "Tier", "type": "String"})
    assert (again.status_code, again.json()) == (
        400,
        {"message": "Field already exists. ERROR_NON_UNIQUE_DATAFIELD"},
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"type": "String"}, BAD_NAME),
        ({"name": "A" * 21, "type": "String"}, BAD_NAME),
        ({"name": "has space", "type": "String"}, BAD_NAME),
        ({"name": "Email", "type": "String"}, RESERVED),
        ({"name": "X", "type": "Text"}, BAD_TYPE),
        ({"name": "X"}, BAD_TYPE),
        ({"name": "X", "type": "String", "visibility": "Secret"}, BAD_VIS),
        ({"name": "X", "type": "Numeric", "defaultValue": "Hello"}, BAD_DEFAULT),
        ({"name": "X", "type": "Boolean", "defaultValue": 1}, BAD_DEFAULT),
        ({"name": "X", "type": "Date", "defaultValue": "2024-13-01T00:00:00"}, BAD_DEFAULT),
    ],
)
def test_invalid_data_fields_are_refused(env: Env, body: dict[str, Any], message: str) -> None:
    response = env.call("POST", "/v2/data-fields", json=body)
    assert (response.status_code, response.json()) == (400, {"message": message})


@pytest.mark.parametrize(
    ("type_", "given", "stored"),
    [
        ("Numeric", "12.5", 12.5),
        ("Boolean", True, True),
        ("Date", "2024-02-29T10:00:00", "2024-02-29T10:00:00"),
    ],
)
def test_typed_defaults_are_accepted(env: Env, type_: str, given: Any, stored: Any) -> None:
    response = env.call(
        "POST", "/v2/data-fields", json={"name": "D", "type": type_, "defaultValue": given}
    )
    assert response.json() == {
        "name": "D",
        "type": type_,
        "visibility": "Private",
        "defaultValue": stored,
    }


def test_body_must_be_json(env: Env) -> None:
    response = env.call(
        "POST", "/v2/data-fields", content=b"name=X", headers={"Content-Type": "text/plain"}
    )
    assert (response.status_code, response.json()) == (
        400,
        {
            "message": "The request content type is not supported. "
            "ERROR_CONTENT_TYPE_IS_NOT_SUPPORTED"
        },
    )
    response = env.call(
        "POST", "/v2/data-fields", content=b"{", headers={"Content-Type": "application/json"}
    )
    assert (response.status_code, response.json()) == (
        400,
        {"message": "The request body could not be read. ERROR_MALFORMED_REQUEST"},
    )


def test_delete_data_field(env: Env) -> None:
    response = env.call("DELETE", "/v2/data-fields/loyalty")
    assert (response.status_code, response.json()) == (200, {"dependencies": None, "result": True})
    assert [f["name"] for f in env.call("GET", "/v2/data-fields").json()][-1] == "POINTS"
    gone = env.call("DELETE", "/v2/data-fields/LOYALTY")
    assert (gone.status_code, gone.json()) == (404, {"message": "Error: ERROR_DATAFIELD_NOTFOUND"})
    builtin = env.call("DELETE", "/v2/data-fields/FirstName")
    assert (builtin.status_code, builtin.json()) == (
        404,
        {"message": "Error: ERROR_DATAFIELD_INVALID"},
    )


def test_a_field_in_use_is_not_deleted(env: Env) -> None:
    response = env.call("DELETE", "/v2/data-fields/POINTS")
    assert (response.status_code, response.json()) == (
        200,
        {"dependencies": [{"type": "Campaign", "objectId": 1000}], "result": False},
    )
    env.app.account(EMEA[0]).settings.dependenciesAs409 = True
    conflict = env.call("DELETE", "/v2/data-fields/POINTS")
    assert (conflict.status_code, conflict.json()["status"]) == (409, 409)
    env.app.set_dependencies(EMEA[0], "points", [])
    assert env.call("DELETE", "/v2/data-fields/POINTS").json() == {
        "dependencies": None,
        "result": True,
    }


# --- address books ------------------------------------------------------------------------


def book(id_: int, name: str, visibility: str = "Private", contacts: int = 0) -> dict[str, Any]:
    return {"id": id_, "name": name, "visibility": visibility, "contacts": contacts}


def test_address_books_list_pages_by_id_with_builtins(env: Env) -> None:
    for n in range(4):
        env.call(
            "POST",
            "/v2/address-books",
            json={"name": f"B{n}", "visibility": "Public" if n % 2 else "Private"},
        )
    assert env.call("GET", "/v2/address-books").json() == [
        book(1, "All Contacts"),
        book(2, "Test"),
        book(3, "Newsletter"),
        book(4, "B0"),
        book(5, "B1", "Public"),
        book(6, "B2"),
        book(7, "B3", "Public"),
    ]
    page = env.call("GET", "/v2/address-books", params={"select": 2, "skip": 5}).json()
    assert page == [book(6, "B2"), book(7, "B3", "Public")]
    assert env.call("GET", "/v2/address-books", params={"select": 2, "skip": 7}).json() == []
    assert env.call("GET", "/v2/address-books/public").json() == [
        book(5, "B1", "Public"),
        book(7, "B3", "Public"),
    ]
    assert env.call("GET", "/v2/address-books/private", params={"limit": 2, "skip": 3}).json() == [
        book(4, "B0"),
        book(6, "B2"),
    ]


@pytest.mark.parametrize(
    "params", [{"select": 0}, {"select": 1001}, {"skip": -1}, {"skip": 2**31}, {"select": "x"}]
)
def test_invalid_paging_is_refused(env: Env, params: dict[str, Any]) -> None:
    response = env.call("GET", "/v2/address-books", params=params)
    assert (response.status_code, response.json()) == (
        400,
        {"message": "The paging parameters are not valid. ERROR_PARAMETER_INVALID"},
    )


def test_create_get_update_delete_address_book(env: Env) -> None:
    created = env.call("POST", "/v2/address-books", json={"name": "VIP"})
    assert (created.status_code, created.json()) == (201, book(4, "VIP"))
    assert env.call("GET", "/v2/address-books/4").json() == book(4, "VIP")
    updated = env.call(
        "PUT", "/v2/address-books/4", json={"name": "VIP list", "visibility": "Public"}
    )
    assert (updated.status_code, updated.json()) == (200, book(4, "VIP list", "Public"))
    same_name = env.call("PUT", "/v2/address-books/4", json={"name": "vip LIST"})
    assert same_name.json() == book(4, "vip LIST", "Public")
    deleted = env.call("DELETE", "/v2/address-books/4")
    # dotdigital-v2-api-swagger.json: 200 with an empty application/octet-stream body.
    assert (deleted.status_code, deleted.headers["content-type"], deleted.content) == (
        200,
        "application/octet-stream",
        b"",
    )
    missing = env.call("GET", "/v2/address-books/4")
    assert (missing.status_code, missing.json()) == (
        404,
        {"message": "Error: ERROR_ADDRESSBOOK_NOT_FOUND"},
    )
    assert env.call("GET", "/v2/address-books/abc").status_code == 404
    assert env.call("DELETE", "/v2/address-books/4").status_code == 404


def test_success_codes_are_settings(env: Env) -> None:
    # The Lists / Address books spec (AB) says 200 for a create and 204 for a delete.
    settings = env.app.account(EMEA[0]).settings
    settings.addressBookCreateStatus, settings.addressBookDeleteStatus = 200, 204
    assert env.call("POST", "/v2/address-books", json={"name": "VIP"}).status_code == 200
    deleted = env.call("DELETE", "/v2/address-books/4")
    assert (deleted.status_code, deleted.content) == (204, b"")


@pytest.mark.parametrize(
    ("accept", "status"),
    [
        (None, 200),
        ("*/*", 200),
        ("application/*", 200),
        ("application/octet-stream", 200),
        ("application/json, application/octet-stream", 200),
        ("application/json;q=1, application/octet-stream;q=0.1", 200),
        ("application/json", 406),
        ("text/*", 406),
        ("application/json, application/octet-stream;q=0", 406),
    ],
)
def test_a_delete_of_an_address_book_negotiates_its_octet_stream_strictly(
    env: Env, accept: str | None, status: int
) -> None:
    # dotdigital-v2-api-swagger.json declares only application/octet-stream for the 200; a
    # strict server refuses an Accept that excludes it (RFC 9110 §15.5.7), before deleting.
    headers = {"Accept": accept} if accept is not None else {}
    if accept is None:
        env.client.headers.pop("Accept")  # httpx sends */* by default
    deleted = env.call("DELETE", "/v2/address-books/3", headers=headers)
    assert (deleted.status_code, deleted.content) == (status, b"")
    remaining = env.call("GET", "/v2/address-books/3").status_code
    assert remaining == (404 if status == 200 else 200)


def test_json_answers_refuse_an_accept_without_json(env: Env) -> None:
    refused = env.call("GET", "/v2/address-books", headers={"Accept": "text/html"})
    assert (refused.status_code, refused.content) == (406, b"")
    listed = env.call("GET", "/v2/address-books", headers={"Accept": "application/json"})
    assert listed.status_code == 200


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"name": "newsletter"}, DUPLICATE),
        ({"name": "TEST"}, DUPLICATE),
        ({"name": "All contacts"}, DUPLICATE),
        ({"name": ""}, BAD_BOOK),
        ({"name": "x" * 129}, BAD_BOOK),
        ({"name": "X", "visibility": "Hidden"}, BAD_BOOK_VIS),
    ],
)
def test_invalid_address_books_are_refused(env: Env, body: dict[str, Any], message: str) -> None:
    response = env.call("POST", "/v2/address-books", json=body)
    assert (response.status_code, response.json()) == (400, {"message": message})


def test_builtin_books_are_not_writable(env: Env) -> None:
    text = {
        "message": "Address book cannot be written to via the API. ERROR_ADDRESSBOOK_NOTWRITABLE"
    }
    put = env.call("PUT", "/v2/address-books/2", json={"name": "Mine"})
    assert (put.status_code, put.json()) == (400, text)
    delete = env.call("DELETE", "/v2/address-books/1")
    assert (delete.status_code, delete.json()) == (400, text)
    upload = env.call(
        "POST", "/v2/address-books/2/contacts/import", json=_file(b"Email\na@b.com\n")
    )
    assert (upload.status_code, upload.json()) == (400, text)


# --- contact import ---------------------------------------------------------------------------


def _file(data: bytes, name: str = "contacts.csv") -> dict[str, str]:
    return {"FileName": name, "Data": base64.b64encode(data).decode("ascii")}


CSV = (
    b"Email,FirstName,Loyalty,Unknown\nann@example.com,Ann,gold,x\nbad-address,Bob,,\n"
    b"ANN@example.com,Dup,,\nCy@example.com,Cy,silver,\n"
)


def test_import_runs_asynchronously_and_reports(env: Env) -> None:
    started = env.call("POST", "/v2/address-books/3/contacts/import", json=_file(CSV))
    assert started.status_code == 202
    job = started.json()
    assert job["status"] == "NotFinished"
    url = f"/v2/contacts/import/{job['id']}"
    not_ready = env.call("GET", f"{url}/report")
    assert (not_ready.status_code, not_ready.json()) == (
        400,
        {
            "message": "Import is not processed yet or completed with error. "
            "ERROR_IMPORT_REPORT_NOT_FOUND"
        },
    )
    assert env.call("GET", url).json() == {"id": job["id"], "status": "NotFinished"}
    assert env.call("GET", url).json() == {"id": job["id"], "status": "Finished"}
    report = env.call("GET", f"{url}/report").json()
    assert report == {
        "newContacts": 2,
        "updatedContacts": 0,
        "globallySuppressed": 0,
        "invalidEntries": 1,
        "duplicateEmails": 1,
        "blocked": 0,
        "unsubscribed": 0,
        "hardBounced": 0,
        "softBounced": 0,
        "ispComplaints": 0,
        "mailBlocked": 0,
        "domainSuppressed": 0,
        "pendingDoubleOptin": 0,
        "failures": 0,
        "suppressedContacts": 0,
    }
    faults = env.call("GET", f"{url}/report-faults")
    assert (faults.headers["content-type"], faults.text) == (
        "text/csv; charset=utf-8",
        "Reason,Email\r\nInvalid Email,bad-address\r\n",
    )
    contacts = env.call(
        "GET", "/v2/address-books/3/contacts", params={"withFullData": "true"}
    ).json()
    assert contacts == [
        {
            "id": 1,
            "email": "ann@example.com",
            "optInType": "Unknown",
            "emailType": "Html",
            "dataFields": [
                {"key": "FIRSTNAME", "value": "Ann"},
                {"key": "LOYALTY", "value": "gold"},
            ],
            "status": "Subscribed",
        },
        {
            "id": 2,
            "email": "Cy@example.com",
            "optInType": "Unknown",
            "emailType": "Html",
            "dataFields": [
                {"key": "FIRSTNAME", "value": "Cy"},
                {"key": "LOYALTY", "value": "silver"},
            ],
            "status": "Subscribed",
        },
    ]
    assert env.call("GET", "/v2/address-books/3").json() == book(3, "Newsletter", contacts=2)
    assert env.call("GET", "/v2/contacts/cy@example.com").json()["id"] == 2
    assert env.call("DELETE", "/v2/address-books/3/contacts/2").status_code == 204
    assert env.call("GET", "/v2/address-books/3").json() == book(3, "Newsletter", contacts=1)


def test_multipart_import_with_merge_option(env: Env) -> None:
    first = env.call(
        "POST", "/v2/address-books/3/contacts/import", json=_file(b"Email,Loyalty\na@b.com,gold\n")
    )
    env.call("GET", f"/v2/contacts/import/{first.json()['id']}")
    env.call("GET", f"/v2/contacts/import/{first.json()['id']}")
    second = env.call(
        "POST",
        "/v2/address-books/3/contacts/import/with-merge-option/OnlyOverwriteIfNotEmpty",
        files={"file": ("c.csv", b"email,loyalty,firstname\nA@B.COM,,Al\n", "text/csv")},
    )
    assert second.status_code == 202
    url = f"/v2/contacts/import/{second.json()['id']}"
    env.call("GET", url)
    assert env.call("GET", url).json()["status"] == "Finished"
    assert env.call("GET", f"{url}/report").json()["updatedContacts"] == 1
    assert env.call("GET", "/v2/contacts/a@b.com").json()["dataFields"] == [
        {"key": "FIRSTNAME", "value": "Al"},
        {"key": "LOYALTY", "value": "gold"},
    ]


@pytest.mark.parametrize(
    ("kwargs", "status", "message"),
    [
        ({"json": _file(b"Name\nx\n")}, 400, "The file has no Email column. ERROR_NO_EMAIL_COLUMN"),
        ({"json": _file(b"Email\n", "c.xlsx")}, 400, NOT_CSV),
        ({"json": {"fileName": "c.csv", "data": "%%%"}}, 400, BAD_FILE),
        (
            {"files": [("file", ("a.csv", b"Email\n")), ("file", ("b.csv", b"Email\n"))]},
            400,
            "Only one file may be uploaded. ERROR_MULTI_FILE_UPLOAD_NOT_ALLOWED",
        ),
    ],
)
def test_bad_imports_are_refused(
    env: Env, kwargs: dict[str, Any], status: int, message: str
) -> None:
    response = env.call("POST", "/v2/address-books/3/contacts/import", **kwargs)
    assert (response.status_code, response.json()) == (status, {"message": message})


def test_import_errors(env: Env) -> None:
    unknown_book = env.call("POST", "/v2/address-books/99/contacts/import", json=_file(b"Email\n"))
    assert (unknown_book.status_code, unknown_book.json()) == (
        404,
        {"message": "Error: ERROR_ADDRESSBOOK_NOT_FOUND"},
    )
    for import_id in ("not-a-guid", "00000000-0000-4000-8000-000000000000"):
        response = env.call("GET", f"/v2/contacts/import/{import_id}")
        assert (response.status_code, response.json()) == (
            404,
            {"message": "Error: ERROR_IMPORT_NOT_FOUND"},
        )
    for _ in range(25):
        env.call("POST", "/v2/address-books/3/contacts/import", json=_file(b"Email\n"))
    too_many = env.call("POST", "/v2/address-books/3/contacts/import", json=_file(b"Email\n"))
    assert (too_many.status_code, too_many.json()) == (
        400,
        {"message": "Too many imports are running. ERROR_IMPORT_TOOMANYACTIVEIMPORTS"},
    )


def test_forced_final_status(env: Env) -> None:
    env.app.account(EMEA[0]).settings.importFinalStatus = "RejectedByWatchdog"
    env.app.account(EMEA[0]).settings.importPolls = 0
    job = env.call(
        "POST", "/v2/address-books/3/contacts/import", json=_file(b"Email\na@b.com\n")
    ).json()
    assert (
        env.call("GET", f"/v2/contacts/import/{job['id']}").json()["status"] == "RejectedByWatchdog"
    )
    assert env.call("GET", f"/v2/contacts/import/{job['id']}/report").status_code == 400


# --- rate limits and counters ------------------------------------------------------------------


def test_tiered_limit_headers_and_429(env: Env) -> None:
    first = env.call("GET", "/v2/data-fields")
    assert {k: v for k, v in first.headers.items() if k.startswith("x-ratelimit")} == {
        "x-ratelimit-limit": "35",
        "x-ratelimit-remaining": "34",
        "x-ratelimit-reset": str(int(EPOCH) + 60),
        "x-ratelimit-scope": "lowCallRate",
    }
    for _ in range(34):
        assert env.call("GET", "/v2/data-fields").status_code == 200
    over = env.call("GET", "/v2/data-fields")
    assert (over.status_code, over.headers["x-ratelimit-remaining"]) == (429, "0")
    env.clock.now += 60
    again = env.call("GET", "/v2/data-fields")
    assert (again.status_code, again.headers["x-ratelimit-remaining"]) == (200, "34")
    assert again.headers["x-ratelimit-reset"] == str(int(EPOCH) + 120)


def test_flat_limit_counts_the_hour(env: Env) -> None:
    info = env.call("GET", "/v2/account-info", auth=FLAT).json()["properties"]
    assert [p["value"] for p in info if p["name"].startswith("ApiCalls")] == ["1", "2"]
    env.call("GET", "/v2/data-fields", auth=FLAT)
    env.call("GET", "/v2/data-fields", auth=FLAT)
    over = env.call("GET", "/v2/data-fields", auth=FLAT)
    assert (over.status_code, over.json()) == (
        400,
        {
            "message": "Your account has generated excess API activity and is being temporarily "
            "capped. Please contact support. ERROR_APIUSAGE_EXCEEDED"
        },
    )
    assert "x-ratelimit-limit" not in over.headers
    env.clock.now += 3600
    assert env.call("GET", "/v2/data-fields", auth=FLAT).status_code == 200


def test_counters_per_account_and_endpoint(env: Env) -> None:
    env.call("GET", "/v2/data-fields")
    env.call("GET", "/v2/data-fields")
    env.call("DELETE", "/v2/data-fields/loyalty")
    env.call("GET", "/r2/v2/address-books/7", auth=AMER)
    assert dict(env.app.counters) == {
        (EMEA[0], "GET /v2/data-fields"): 2,
        (EMEA[0], "DELETE /v2/data-fields/{name}"): 1,
        (EMEA[0], "total"): 3,
        (AMER[0], "GET /v2/address-books/{id}"): 1,
        (AMER[0], "total"): 1,
    }
    assert env.app.total_requests(EMEA[0]) == 3


def test_snapshot_restore_round_trip(env: Env, mounted: tuple[Mount, SandboxServer]) -> None:
    env.call("POST", "/v2/address-books", json={"name": "VIP"})
    job = env.call("POST", "/v2/address-books/3/contacts/import", json=_file(CSV)).json()
    env.call("GET", f"/v2/contacts/import/{job['id']}")
    snapshot = env.app.snapshot()
    restored = DotmailerApp.restore(snapshot, clock=env.clock.time)
    assert restored.snapshot() == snapshot
    assert "sandbox-emea-pw" not in repr(snapshot)
    mount, _ = mounted
    mount.app = restored
    response = env.call("GET", f"/v2/contacts/import/{job['id']}")
    assert response.json() == {"id": job["id"], "status": "Finished"}
    assert env.call("GET", "/v2/address-books/4").json() == book(4, "VIP")


def test_seed_errors_name_the_problem() -> None:
    with pytest.raises(
        ValueError, match=re.escape("rateLimit.mode must be tiered, flat or off, not 'fast'")
    ):
        DotmailerApp(
            {"accounts": [{"username": "u", "password": "p", "rateLimit": {"mode": "fast"}}]}
        )
    with pytest.raises(ValueError, match="dotmailer account u is seeded twice"):
        DotmailerApp({"accounts": [{"username": "u", "password": "p"}] * 2})
