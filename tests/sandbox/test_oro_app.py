"""The Oro emulator over real HTTP on 127.0.0.1 (oro-jsonapi.md §9 is the checklist)."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from reconciler.model import DOTMAILER_CONNECTORS
from reconciler.sandbox.core import SandboxServer
from reconciler.sandbox.oro import JSONAPI, TYPES, OroApp

REPO = Path(__file__).resolve().parents[2]

SECRET = "sandbox-oro-secret"
CONTACT = "Oro\\Bundle\\ContactBundle\\Entity\\Contact"
LEAD = "Oro\\Bundle\\SalesBundle\\Entity\\Lead"

SEED: dict[str, Any] = {
    "clients": [{"id": "ci", "secret": SECRET}],
    "organizations": [{"name": "ACME"}],
    "businessUnits": [{"name": "Main", "organization": "ACME"}],
    "users": [
        {"username": f"user{n:02d}", "organization": "ACME", "enabled": n != 3}
        for n in range(1, 13)
    ],
    "marketingLists": [
        {"name": "EMEA subscribers", "entity": "contact"},
        {"name": "APAC subscribers", "entity": "contact"},
    ],
    "integrations": [],
    "entities": {"contact": {"age": "integer"}},  # a custom field (Entity Management)
    "settings": {"tokenLifetime": 3600, "autoDefaultMappings": False, "jobSteps": 2},
}
# What the data-field import reads from the transport's dotmailer account (the world connects
# the dotmailer emulator; here, an account with its built-in fields and one of its own).
ACCOUNT_FIELDS = [
    {"name": "FIRSTNAME", "type": "String", "visibility": "Private", "defaultValue": None},
    {"name": "FULLNAME", "type": "String", "visibility": "Private", "defaultValue": None},
    {"name": "LASTNAME", "type": "String", "visibility": "Private", "defaultValue": None},
    {"name": "VIP", "type": "Boolean", "visibility": "Public", "defaultValue": True},
]


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


class Oro:
    """One emulator behind a SandboxServer, and an authenticated JSON:API client."""

    def __init__(self, app: OroApp, server: SandboxServer, clock: Clock) -> None:
        self.app = app
        self.server = server
        self.clock = clock
        self.http = httpx.Client(base_url=server.url)
        self.token = self.new_token()

    def new_token(self) -> str:
        answer = self.http.post(
            "/oauth2-token",
            json={"grant_type": "client_credentials", "client_id": "ci", "client_secret": SECRET},
        )
        assert answer.status_code == 200
        return str(answer.json()["access_token"])

    def call(self, method: str, path: str, doc: Any = None, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.token}", "Accept": JSONAPI}
        if doc is not None:
            headers["Content-Type"] = JSONAPI
            kwargs["content"] = json.dumps(doc)
        headers.update(kwargs.pop("headers", {}))
        return self.http.request(method, f"/admin/api/{path}", headers=headers, **kwargs)

    def create_integration(self, name: str = "EMEA", password: str = "s3cret-pw") -> str:
        answer = self.call("POST", "integrationchannels", integration_doc(name, password))
        assert answer.status_code == 201, answer.text
        return str(answer.json()["data"]["id"])

    def create_field(self, channel: str, name: str, type_: str = "String") -> httpx.Response:
        return self.call("POST", "dotmailerdatafields", field_doc(channel, name, type_))


def integration_doc(name: str, password: str = "s3cret-pw") -> dict[str, Any]:
    return {
        "data": {
            "type": "integrationchannels",
            "attributes": {"name": name, "type": "dotmailer", "enabled": True},
            "relationships": {
                "transport": {"data": {"type": "dotmailertransports", "id": "t1"}},
                "organization": {"data": {"type": "organizations", "id": "1"}},
                "defaultUserOwner": {"data": {"type": "users", "id": "1"}},
            },
        },
        "included": [
            {
                "type": "dotmailertransports",
                "id": "t1",
                "attributes": {
                    "username": "apiuser@apiconnector.com",
                    "password": password,
                    "clientId": "1234",
                    "clientKey": "oauth-key-1",
                    "customDomain": "https://r1-app.dotmailer.com/",
                },
            }
        ],
    }


def field_doc(channel: str, name: str, type_: str = "String") -> dict[str, Any]:
    return {
        "data": {
            "type": "dotmailerdatafields",
            "attributes": {"name": name, "defaultValue": None, "notes": None},
            "relationships": {
                "channel": {"data": {"type": "integrationchannels", "id": channel}},
                "type": {"data": {"type": "dotmailerdatafieldtypes", "id": type_}},
                "visibility": {"data": {"type": "dotmailerdatafieldvisibilities", "id": "Private"}},
            },
        }
    }


def mapping_doc(channel: str, configs: list[tuple[str, str]]) -> dict[str, Any]:
    return {
        "data": {
            "type": "dotmailerdatafieldmappings",
            "attributes": {"entity": CONTACT, "syncPriority": 5},
            "relationships": {
                "channel": {"data": {"type": "integrationchannels", "id": channel}},
                "configs": {
                    "data": [
                        {"type": "dotmailerdatafieldmappingconfigs", "id": f"c{i}"}
                        for i in range(len(configs))
                    ]
                },
            },
        },
        "included": [
            {
                "type": "dotmailerdatafieldmappingconfigs",
                "id": f"c{i}",
                "attributes": {"entityFields": fields, "isTwoWaySync": False},
                "relationships": {
                    "dataField": {"data": {"type": "dotmailerdatafields", "id": field}}
                },
            }
            for i, (field, fields) in enumerate(configs)
        ],
    }


def book_doc(channel: str, name: str, origin: int, ml: str | None = None) -> dict[str, Any]:
    rels: dict[str, Any] = {
        "channel": {"data": {"type": "integrationchannels", "id": channel}},
        "visibility": {"data": {"type": "dotmaileraddressbookvisibilities", "id": "Private"}},
    }
    if ml:
        rels["marketingList"] = {"data": {"type": "marketinglists", "id": ml}}
    return {
        "data": {
            "type": "dotmaileraddressbooks",
            "attributes": {"name": name, "originId": origin, "createEntities": False},
            "relationships": rels,
        }
    }


def sync_doc(channel: str, connector: str | None = None, force: bool = False) -> dict[str, Any]:
    return {
        "data": {
            "type": "integrationsyncs",
            "attributes": {"connector": connector, "datafieldsForceSync": force},
            "relationships": {
                "integration": {"data": {"type": "integrationchannels", "id": channel}}
            },
        }
    }


def error(status: int, title: str, detail: str, pointer: str) -> dict[str, Any]:
    return {
        "errors": [
            {
                "status": str(status),
                "title": title,
                "detail": detail,
                "source": {"pointer": pointer},
            }
        ]
    }


@pytest.fixture(scope="module")
def server() -> Iterator[SandboxServer]:
    """One loopback server per module; each test mounts its own fresh emulator on it."""
    with SandboxServer([]) as running:
        yield running


def make(server: SandboxServer, mode: str = "extended") -> Iterator[Oro]:
    clock = Clock()
    accounts = {"apiuser@apiconnector.com": ACCOUNT_FIELDS}
    app = OroApp(SEED, clock=clock, mode=mode, dotmailer_fields=accounts.get)
    server.apps[:] = [app]
    oro = Oro(app, server, clock)
    yield oro
    oro.http.close()


@pytest.fixture
def oro(server: SandboxServer) -> Iterator[Oro]:
    yield from make(server)


@pytest.fixture
def stock(server: SandboxServer) -> Iterator[Oro]:
    yield from make(server, "stock")


# --- OAuth2 ---------------------------------------------------------------------------------


@pytest.mark.parametrize("style", ["json", "form", "basic"])
def test_token_accepts_json_form_and_basic(oro: Oro, style: str) -> None:
    creds = {"grant_type": "client_credentials", "client_id": "ci", "client_secret": SECRET}
    if style == "json":
        answer = oro.http.post("/oauth2-token", json=creds)
    elif style == "form":
        answer = oro.http.post("/oauth2-token", data=creds)
    else:
        basic = base64.b64encode(f"ci:{SECRET}".encode()).decode()
        answer = oro.http.post(
            "/oauth2-token",
            data={"grant_type": "client_credentials"},
            headers={"Authorization": f"Basic {basic}"},
        )
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/json; charset=UTF-8"
    body = answer.json()
    assert {k: v for k, v in body.items() if k != "access_token"} == {
        "token_type": "Bearer",
        "expires_in": 3600,
    }
    assert oro.call("GET", "users/1", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert oro.app.counters["POST /oauth2-token"] == 2


def test_token_bad_secret_and_missing_client_id(oro: Oro) -> None:
    bad = oro.http.post(
        "/oauth2-token",
        json={"grant_type": "client_credentials", "client_id": "ci", "client_secret": "nope"},
    )
    assert (bad.status_code, bad.content) == (
        401,
        b'{"error":"invalid_client","message":"Client authentication failed",'
        b'"error_description":"Client authentication failed"}',
    )
    missing = oro.http.post("/oauth2-token", data={"grant_type": "client_credentials"})
    message = (
        "The request is missing a required parameter, includes an invalid parameter value, "
        "includes a parameter more than once, or is otherwise malformed."
    )
    assert (missing.status_code, missing.json()) == (
        400,
        {
            "error": "invalid_request",
            "message": message,
            "error_description": message,
            "hint": "Check the `client_id` parameter",
        },
    )


def test_token_expires_on_the_injected_clock(oro: Oro) -> None:
    assert oro.call("GET", "users/1").status_code == 200
    oro.clock.now += 3599
    assert oro.call("GET", "users/1").status_code == 200
    oro.clock.now += 1
    expired = oro.call("GET", "users/1")
    assert (expired.status_code, expired.content, "www-authenticate" in expired.headers) == (
        401,
        b"",
        False,
    )


def test_no_credentials_answers_401_with_bearer_challenge(oro: Oro) -> None:
    answer = oro.http.get("/admin/api/users", headers={"Accept": JSONAPI})
    assert (answer.status_code, answer.content, answer.headers["www-authenticate"]) == (
        401,
        b"",
        "Bearer",
    )


# --- transport rules ------------------------------------------------------------------------


def test_media_type_rules(oro: Oro) -> None:
    with_params = oro.call(
        "POST",
        "integrationchannels",
        headers={"Content-Type": f"{JSONAPI}; charset=utf-8"},
        content=json.dumps(integration_doc("EMEA")),
    )
    assert with_params.status_code == 415
    plain_json = oro.call("GET", "users", headers={"Accept": "application/json"})
    assert plain_json.status_code == 406
    assert plain_json.json()["errors"][0]["title"] == "not acceptable http exception"
    accepted = oro.call("GET", "users/1")
    assert accepted.headers["content-type"] == JSONAPI


def test_paging_default_ten_and_minus_one(oro: Oro) -> None:
    first = oro.call("GET", "users", headers={"X-Include": "totalCount"})
    body = first.json()
    assert [u["attributes"]["username"] for u in body["data"]] == [
        f"user{n:02d}" for n in range(1, 11)
    ]
    assert first.headers["x-include-total-count"] == "12"
    assert body["links"]["next"] == f"{oro.server.url}/admin/api/users?page%5Bnumber%5D=2"
    second = oro.call("GET", "users", params={"page[number]": "2"}).json()
    assert [u["id"] for u in second["data"]] == ["11", "12"]
    assert "next" not in second["links"]
    everything = oro.call("GET", "users", params={"page[size]": "-1"}).json()
    assert len(everything["data"]) == 12
    assert everything["links"] == {"self": f"{oro.server.url}/admin/api/users"}


def test_filters_and_unknown_filter(oro: Oro) -> None:
    found = oro.call("GET", "users", params={"filter[username]": "user02,user05"}).json()
    assert [
        (u["id"], u["attributes"]["username"], u["attributes"]["enabled"]) for u in found["data"]
    ] == [("2", "user02", True), ("5", "user05", True)]
    by_id = oro.call("GET", "users", params={"filter[id]": "3,4"}).json()
    assert [u["id"] for u in by_id["data"]] == ["3", "4"]
    unknown = oro.call("GET", "users", params={"filter[enabled]": "true"})
    assert (unknown.status_code, unknown.json()) == (
        400,
        {
            "errors": [
                {
                    "status": "400",
                    "title": "filter constraint",
                    "detail": 'Filter "filter[enabled]" is not supported.',
                    "source": {"parameter": "filter[enabled]"},
                }
            ]
        },
    )


def test_not_found_and_unknown_type(oro: Oro) -> None:
    missing = oro.call("GET", "users/99")
    assert (missing.status_code, missing.json()) == (
        404,
        {
            "errors": [
                {
                    "status": "404",
                    "title": "not found http exception",
                    "detail": "An entity with the requested identifier does not exist.",
                }
            ]
        },
    )
    unknown = oro.call("GET", "widgets")
    assert unknown.json()["errors"][0]["title"] == "entity type constraint"


# --- stock mode -----------------------------------------------------------------------------


def test_stock_mode_is_read_only_and_hides_dotmailer(stock: Oro) -> None:
    write = stock.call("POST", "integrationchannels", integration_doc("EMEA"))
    assert (write.status_code, write.content, write.headers["allow"]) == (
        405,
        b"",
        "OPTIONS, GET",
    )
    assert stock.call("GET", "integrationchannels").json() == {
        "data": [],
        "links": {"self": f"{stock.server.url}/admin/api/integrationchannels"},
    }
    for resource in ("dotmailerdatafields", "dotmaileraddressbooks", "marketinglists"):
        hidden = stock.call("GET", resource)
        assert (hidden.status_code, hidden.json()) == (
            404,
            {
                "errors": [
                    {
                        "status": "404",
                        "title": "resource not accessible exception",
                        "detail": "The resource is not accessible.",
                    }
                ]
            },
        )
    assert stock.call("GET", "dotmailerdatafieldtypes").status_code == 200


# --- extended mode: writes and validation ---------------------------------------------------


def test_integration_created_with_transport_secrets_write_only(oro: Oro) -> None:
    answer = oro.call("POST", "integrationchannels", integration_doc("EMEA"))
    assert answer.status_code == 201
    assert answer.headers["location"] == f"{oro.server.url}/admin/api/integrationchannels/1"
    body = answer.json()
    # The bundle fills an API-created integration's connectors as the UI does
    # (oro-bundle/Api/Processor/SetDotmailerConnectors.php), so Oro's sync runs something.
    assert body["data"]["attributes"] == {
        "name": "EMEA",
        "type": "dotmailer",
        "enabled": True,
        "connectors": list(DOTMAILER_CONNECTORS),
    }
    # The dotmailer channel type declares no business-unit owner: nothing fills it in.
    assert body["data"]["relationships"]["defaultBusinessUnitOwner"] == {"data": None}
    assert body["included"] == [
        {
            "type": "dotmailertransports",
            "id": "1",
            "links": {"self": f"{oro.server.url}/admin/api/dotmailertransports/1"},
            "attributes": {
                "username": "apiuser@apiconnector.com",
                "clientId": "1234",
                "customDomain": "https://r1-app.dotmailer.com/",
            },
            "meta": {"includeId": "t1"},
        }
    ]
    listed = oro.call("GET", "integrationchannels", params={"include": "transport"})
    assert "s3cret-pw" not in listed.text and "oauth-key-1" not in listed.text
    stored = oro.app.integration_row("EMEA")["transport"]["a"]
    assert (stored["password"], stored["clientKey"]) == ("s3cret-pw", "oauth-key-1")
    # An empty password on update keeps the stored one (IntegrationSettingsSubscriber).
    patch = {"data": {"type": "dotmailertransports", "id": "1", "attributes": {"password": ""}}}
    assert oro.call("PATCH", "dotmailertransports/1", patch).status_code == 200
    assert oro.app.integration_row("EMEA")["transport"]["a"]["password"] == "s3cret-pw"


def test_integration_validation_rolls_back_included(oro: Oro) -> None:
    short = oro.call("POST", "integrationchannels", integration_doc("EM", password="short"))
    assert (short.status_code, short.json()) == (
        400,
        {
            "errors": [
                {
                    "status": "400",
                    "title": "length constraint",
                    "detail": "This value is too short. It should have 3 characters or more.",
                    "source": {"pointer": "/data/attributes/name"},
                },
                {
                    "status": "400",
                    "title": "length constraint",
                    "detail": "This value is too short. It should have 8 characters or more.",
                    "source": {"pointer": "/included/0/attributes/password"},
                },
            ]
        },
    )
    assert oro.app.rows("dotmailertransports") == []
    oro.create_integration("EMEA")
    again = oro.call("POST", "integrationchannels", integration_doc("EMEA"))
    assert again.json() == error(
        400, "unique entity constraint", "This value is already used.", "/data/attributes/name"
    )


def test_unknown_attribute_and_type_id_mismatch(oro: Oro) -> None:
    channel = oro.create_integration()
    doc = field_doc(channel, "TIER")
    doc["data"]["attributes"]["colour"] = "red"
    extra = oro.call("POST", "dotmailerdatafields", doc)
    assert extra.json() == error(
        400,
        "extra fields constraint",
        'This form should not contain extra fields: "colour".',
        "/data/attributes/colour",
    )
    patch = {"data": {"type": "integrationchannels", "id": "9", "attributes": {"enabled": False}}}
    mismatch = oro.call("PATCH", f"integrationchannels/{channel}", patch)
    assert (mismatch.status_code, mismatch.json()["errors"][0]["source"]) == (
        409,
        {"pointer": "/data/id"},
    )


@pytest.mark.parametrize(
    ("name", "title", "detail"),
    [
        (
            "A_VERY_LONG_FIELD_NAME",
            "length constraint",
            "This value is too long. It should have 20 characters or less.",
        ),
        (
            # [DM] Resources/config/validation.yml, DataField.name: Oro's own spelling
            "BAD NAME",
            "regex constraint",
            "Must consist of alphnumeric characters only, with hyphens and underscores if required",
        ),
        (
            "TIER",
            "unique entity constraint",
            "Field with such name already exists in this dotdigital integration",
        ),
    ],
)
def test_data_field_name_rules(oro: Oro, name: str, title: str, detail: str) -> None:
    channel = oro.create_integration()
    assert oro.create_field(channel, "TIER").status_code == 201
    answer = oro.create_field(channel, name)
    assert answer.json() == error(400, title, detail, "/data/attributes/name")


def test_data_field_names_are_unique_case_sensitively_in_oro(oro: Oro) -> None:
    """UniqueEntity(channel, name) compares as the database does ([DM] validation.yml): Oro
    alone takes "tier" beside "TIER" (dotmailer would not; reconciler's config refuses it)."""
    channel = oro.create_integration()
    assert oro.create_field(channel, "TIER").status_code == 201
    assert oro.create_field(channel, "tier").status_code == 201


def test_mapping_rules(oro: Oro) -> None:
    channel = oro.create_integration()
    oro.create_field(channel, "FULLNAME")  # id 1
    oro.create_field(channel, "AGE", "Numeric")  # id 2
    several = oro.call("POST", "dotmailerdatafieldmappings", mapping_doc(channel, [("2", "a,b")]))
    # A class-level constraint: the pointer is the config object, not one of its fields
    # ([DM] Validator/DataFieldMappingConfigValidator.php:55-66).
    assert several.json() == error(
        400,
        "data field mapping config constraint",
        "Several entity fields can be mapped only to the Data Field of type string",
        "/included/0",
    )
    # The entity field's type must fit the data field's ([DM] DataFieldMappingConfigValidator
    # .php:85-124; messages in Resources/translations/messages.en.yml:282-285).
    wrong = oro.call(
        "POST", "dotmailerdatafieldmappings", mapping_doc(channel, [("2", "firstName")])
    )
    assert wrong.json() == error(
        400,
        "data field mapping config constraint",
        'Mapping for field "AGE" must be of numeric type',
        "/included/0",
    )
    twice = oro.call(
        "POST", "dotmailerdatafieldmappings", mapping_doc(channel, [("1", "a"), ("1", "b")])
    )
    assert twice.json()["errors"][0]["detail"] == "The same Data Field can be mapped only one time"
    assert oro.app.rows("dotmailerdatafieldmappingconfigs") == []
    created = oro.call(
        "POST", "dotmailerdatafieldmappings", mapping_doc(channel, [("1", "firstName,lastName")])
    )
    assert created.status_code == 201
    # Ids come from sequences: the refused requests above used 1-4 (as a database does).
    assert created.json()["data"]["relationships"]["configs"] == {
        "data": [{"type": "dotmailerdatafieldmappingconfigs", "id": "5"}]
    }
    dup = oro.call("POST", "dotmailerdatafieldmappings", mapping_doc(channel, [("2", "age")]))
    assert dup.json() == error(
        400,
        "unique entity constraint",
        "Mapping for this entity already exists in this dotdigital integration",
        "/data/attributes/entity",
    )
    # Replacing the configs removes the orphans; deleting a data field cascades its configs.
    mapping_id = created.json()["data"]["id"]
    replace = mapping_doc(channel, [("2", "age")])
    replace["data"]["id"] = mapping_id
    replace["data"]["attributes"] = {"syncPriority": 7}
    del replace["data"]["relationships"]["channel"]
    assert oro.call("PATCH", f"dotmailerdatafieldmappings/{mapping_id}", replace).status_code == 200
    configs = oro.app.rows("dotmailerdatafieldmappingconfigs")
    assert [(c["a"]["entityFields"], c["r"]) for c in configs] == [
        ("age", {"dataField": 2, "mapping": int(mapping_id)})
    ]
    assert oro.call("DELETE", "dotmailerdatafields/2").status_code == 204
    assert oro.app.rows("dotmailerdatafieldmappingconfigs") == []


def test_address_book_rules(oro: Oro) -> None:
    channel = oro.create_integration()
    made = oro.call("POST", "dotmaileraddressbooks", book_doc(channel, "Newsletter", 11, "1"))
    assert made.status_code == 201
    assert made.json()["data"]["attributes"] == {
        "name": "Newsletter",
        "createEntities": False,
        "originId": 11,
        "contactCount": 0,
        "lastImportedAt": None,
        "lastExportedAt": None,
    }
    # Oro allows 255 ([DM] validation.yml); 128 is dotdigital's limit, not Oro's.
    assert (
        oro.call("POST", "dotmaileraddressbooks", book_doc(channel, "x" * 129, 12)).status_code
        == 201
    )
    long_name = oro.call("POST", "dotmaileraddressbooks", book_doc(channel, "x" * 256, 15))
    assert long_name.json() == error(
        400,
        "length constraint",
        "This value is too long. It should have 255 characters or less.",
        "/data/attributes/name",
    )
    # A marketing list is unique by a database index, not a validator: SaveEntity answers 409
    # with no pointer ([DM] Installer.php:135; oroinc/platform ApiBundle/Processor/Create/
    # SaveEntity.php:56-60).
    same_list = oro.call("POST", "dotmaileraddressbooks", book_doc(channel, "Other", 13, "1"))
    assert (same_list.status_code, same_list.json()) == (
        409,
        {"errors": [{"status": "409", "title": "conflict constraint",
                     "detail": "The entity already exists."}]},
    )  # fmt: skip
    same_name = oro.call("POST", "dotmaileraddressbooks", book_doc(channel, "Newsletter", 14))
    assert same_name.json()["errors"][0]["detail"] == (
        'Integration has duplication of address books. Field "Name" should be unique.'
    )


def test_delete_integration_cascades_but_leaves_its_books_with_their_lists(oro: Oro) -> None:
    """Data fields, mappings and the transport cascade; ``AddressBook.channel`` is onDelete SET
    NULL: the book stays with its marketing list, which a new book cannot take (a 409) until
    the orphan is given a channel again or deleted ([DM] Entity/AddressBook.php:65-71)."""
    channel = oro.create_integration()
    oro.create_field(channel, "TIER")
    oro.call("POST", "dotmaileraddressbooks", book_doc(channel, "Newsletter", 11, "1"))
    assert oro.call("DELETE", f"integrationchannels/{channel}").status_code == 204
    assert [
        oro.app.rows(t)
        for t in ("integrationchannels", "dotmailertransports", "dotmailerdatafields")
    ] == [[], [], []]
    (orphan,) = oro.app.rows("dotmaileraddressbooks")
    assert (orphan["r"]["channel"], orphan["r"]["marketingList"]) == (None, 1)
    again = oro.create_integration("EMEA again")
    taken = oro.call("POST", "dotmaileraddressbooks", book_doc(again, "Newsletter", 11, "1"))
    assert taken.status_code == 409
    relink = {
        "data": {
            "type": "dotmaileraddressbooks",
            "id": str(orphan["id"]),
            "relationships": {"channel": {"data": {"type": "integrationchannels", "id": again}}},
        }
    }
    assert oro.call("PATCH", f"dotmaileraddressbooks/{orphan['id']}", relink).status_code == 200


# --- sync jobs ------------------------------------------------------------------------------


def _poll(oro: Oro, job: str) -> dict[str, Any]:
    attrs: dict[str, Any] = oro.call("GET", f"integrationsyncs/{job}").json()["data"]["attributes"]
    return attrs


def test_sync_job_lifecycle_and_an_active_sync(oro: Oro) -> None:
    """The bundle's integrationsyncs (oro-bundle/Api/Processor/ScheduleIntegrationSync.php):
    201 and the root job; while one is new or running, 200 and that one, nothing scheduled."""
    channel = oro.create_integration()
    scheduled = oro.call("POST", "integrationsyncs", sync_doc(channel, "datafield", True))
    assert (scheduled.status_code, scheduled.headers["location"]) == (
        201,
        f"{oro.server.url}/admin/api/integrationsyncs/1",
    )
    assert scheduled.json()["data"]["attributes"] == {
        "jobId": 1,
        "jobName": "oro_integration:sync_integration:1",
        "status": "new",
        "progress": 0.0,
        "connector": "datafield",
        "datafieldsForceSync": True,
    }
    active = oro.call("POST", "integrationsyncs", sync_doc(channel))
    assert (active.status_code, active.json()["data"]["id"]) == (200, "1")
    assert active.json()["data"]["attributes"]["connector"] is None  # the job keeps no options
    statuses = [(a["status"], a["progress"]) for a in (_poll(oro, "1") for _ in range(3))]
    assert statuses == [("running", 0.5), ("success", 1.0), ("success", 1.0)]
    assert oro.call("POST", "integrationsyncs", sync_doc(channel)).status_code == 201


def test_failed_job_and_stale_duplicate(oro: Oro) -> None:
    channel = oro.create_integration()
    oro.app.set_job_outcome("EMEA", "failed")
    oro.call("POST", "integrationsyncs", sync_doc(channel))
    oro.clock.now += 1801  # the first job was never polled: it goes stale
    again = oro.call("POST", "integrationsyncs", sync_doc(channel))
    assert (again.status_code, again.json()["data"]["attributes"]["jobId"]) == (201, 2)
    assert _poll(oro, "1")["status"] == "stale"
    _poll(oro, "2")
    assert _poll(oro, "2")["status"] == "failed"


def test_sync_requests_the_bundle_refuses(oro: Oro) -> None:
    channel = oro.create_integration()
    oro.app.patch_integration("EMEA", enabled=False)
    pointer = "/data/relationships/integration/data"
    disabled = oro.call("POST", "integrationsyncs", sync_doc(channel))
    assert disabled.json() == error(
        400, "integration constraint", "The integration is disabled.", pointer
    )
    missing = oro.call("POST", "integrationsyncs", sync_doc("99"))
    assert missing.json() == error(400, "form constraint", "The entity does not exist.", pointer)
    oro.app.patch_integration("EMEA", enabled=True)
    unknown = oro.call("POST", "integrationsyncs", sync_doc(channel, "contacts"))
    assert unknown.json() == error(
        400,
        "value constraint",
        'The connector "contacts" is not a connector of "dotmailer" integrations. Known '
        "connectors: " + ", ".join(sorted(DOTMAILER_CONNECTORS)) + ".",
        "/data/attributes/connector",
    )


def _run_sync(oro: Oro, channel: str, connector: str | None = None, force: bool = False) -> None:
    answer = oro.call("POST", "integrationsyncs", sync_doc(channel, connector, force))
    job = answer.json()["data"]["id"]
    _poll(oro, job)
    _poll(oro, job)


def _oro_fields(oro: Oro) -> dict[str, tuple[str, str, Any]]:
    return {
        r["a"]["name"]: (r["r"]["type"], r["r"]["visibility"], r["a"]["defaultValue"])
        for r in oro.app.rows("dotmailerdatafields")
    }


def test_the_data_field_import_brings_dotmailer_fields_and_drops_the_gone(oro: Oro) -> None:
    """[DM] batch_jobs.yml dotmailer_datafield_import: import, then removeNotExistingDataFields;
    a Boolean default as Yes/No ([DM] ImportExport/DataConverter/DataFieldDataConverter.php)."""
    channel = oro.create_integration()
    oro.create_field(channel, "GONE")
    _run_sync(oro, channel, "datafield")
    assert _oro_fields(oro) == {
        "FIRSTNAME": ("String", "Private", None),
        "FULLNAME": ("String", "Private", None),
        "LASTNAME": ("String", "Private", None),
        "VIP": ("Boolean", "Public", "Yes"),
    }


def test_the_data_field_import_waits_a_day_unless_forced(oro: Oro) -> None:
    """[DM] Provider/Connector/DataFieldConnector.php:36-60: skipped while the last import is
    younger than datafields_sync_interval (1 day) unless ``datafields-force-sync``."""
    channel = oro.create_integration()
    _run_sync(oro, channel, "datafield")
    ACCOUNT_FIELDS.append({"name": "NEW", "type": "String", "visibility": "Private"})
    try:
        _run_sync(oro, channel, "datafield")
        assert "NEW" not in _oro_fields(oro)
        _run_sync(oro, channel, "datafield", force=True)
        assert "NEW" in _oro_fields(oro)
    finally:
        ACCOUNT_FIELDS.pop()


def test_an_integration_without_connectors_syncs_nothing(oro: Oro) -> None:
    """[P] IntegrationBundle/Provider/SyncProcessor.php:143-151: only Channel.connectors run.
    An integration created through stock Oro's API had none (the UI fills them)."""
    channel = oro.create_integration()
    oro.app.tables["integrationchannels"][int(channel)]["a"]["connectors"] = []
    _run_sync(oro, channel, None, force=True)
    assert _oro_fields(oro) == {}
    assert oro.app.rows("integrationstatuses") == []


def test_a_finished_sync_records_a_status_per_connector(oro: Oro) -> None:
    channel = oro.create_integration()
    _run_sync(oro, channel)
    statuses = [(r["a"]["connector"], r["a"]["code"]) for r in oro.app.rows("integrationstatuses")]
    assert statuses == [(c, "1") for c in DOTMAILER_CONNECTORS]


def test_linking_a_marketing_list_on_update_schedules_a_sync(oro: Oro) -> None:
    """[DM] Resources/config/oro/processes.yml:133-150, 195-198: on update of marketingList,
    never on create."""
    channel = oro.create_integration()
    made = oro.call("POST", "dotmaileraddressbooks", book_doc(channel, "Newsletter", 11, "1"))
    assert oro.app.rows("oro_message_queue_jobs") == []
    book = made.json()["data"]["id"]
    patch = {
        "data": {
            "type": "dotmaileraddressbooks",
            "id": book,
            "relationships": {"marketingList": {"data": {"type": "marketinglists", "id": "2"}}},
        }
    }
    assert oro.call("PATCH", f"dotmaileraddressbooks/{book}", patch).status_code == 200
    (job,) = oro.app.rows("oro_message_queue_jobs")
    assert (job["a"]["name"], job["a"]["data"]["connector_parameters"]) == (
        "oro_integration:sync_integration:1",
        {"address-book": int(book)},
    )


@pytest.mark.parametrize(
    ("switch", "export_running"), [(True, False), (False, False), (True, True)]
)
def test_auto_default_mappings(oro: Oro, switch: bool, export_running: bool) -> None:
    """[DM] EventListener/AddDefaultMappingListener.php: after the first completed data-field
    import, for every contact-information entity with firstName and lastName that has no
    mapping ([MK] ContactInformationExclusionProvider): Contact 20, Lead 10, others 0."""
    oro.app.settings["autoDefaultMappings"] = switch
    channel = oro.create_integration()
    oro.app.set_export_running("EMEA", export_running)
    _run_sync(oro, channel)
    mappings = oro.call("GET", "dotmailerdatafieldmappings", params={"include": "configs"}).json()
    got = [(m["attributes"]["entity"], m["attributes"]["syncPriority"]) for m in mappings["data"]]
    customer_user = "Oro\\Bundle\\CustomerBundle\\Entity\\CustomerUser"
    expected = (
        [(CONTACT, 20), (customer_user, 0), (LEAD, 10)] if switch and not export_running else []
    )
    assert got == expected
    if expected:
        fields = {
            f["id"]: f["attributes"]["name"]
            for f in oro.call("GET", "dotmailerdatafields").json()["data"]
        }
        configs = [
            (fields[c["relationships"]["dataField"]["data"]["id"]], c["attributes"]["entityFields"])
            for c in mappings["included"]
        ]
        assert configs[:3] == [
            ("FIRSTNAME", "firstName"),
            ("LASTNAME", "lastName"),
            ("FULLNAME", "firstName,lastName"),
        ]
        # Only the first datafield sync creates them: a deleted default mapping stays deleted.
        oro.call("DELETE", "dotmailerdatafieldmappings/1")
        _run_sync(oro, channel, force=True)
        assert len(oro.call("GET", "dotmailerdatafieldmappings").json()["data"]) == 2


def test_entity_structures_report_field_types(oro: Oro) -> None:
    """The stock entitystructures resource (oroinc/platform EntityBundle/Resources/config/oro/
    api.yml:1-72): a seed's custom field beside the entity's own, 404 for an unknown entity."""
    answer = oro.call("GET", "entitystructures/Oro_Bundle_ContactBundle_Entity_Contact")
    fields = {f["name"]: f["type"] for f in answer.json()["data"]["attributes"]["fields"]}
    assert (fields["firstName"], fields["birthday"], fields["age"], fields["addresses"]) == (
        "string",
        "date",
        "integer",
        "ref-many",
    )
    assert oro.call("GET", "entitystructures/Acme_Entity_Nothing").status_code == 404


def test_an_api_created_record_is_owned_by_the_tokens_organization(oro: Oro) -> None:
    """[P] OrganizationBundle/Api/Processor/SetOwnershipAssociations.php: an unset owner is
    the API user's organization, not the integration's."""
    channel = oro.create_integration()
    field = oro.create_field(channel, "TIER").json()["data"]
    assert field["relationships"]["owner"]["data"] == {"type": "organizations", "id": "1"}


# --- persistence ----------------------------------------------------------------------------


def test_snapshot_restore_round_trip(oro: Oro) -> None:
    channel = oro.create_integration()
    oro.create_field(channel, "TIER")
    oro.call("POST", "integrationsyncs", sync_doc(channel))
    snapshot = json.loads(json.dumps(oro.app.snapshot()))
    restored = OroApp.restore(snapshot, clock=oro.clock)
    assert restored.snapshot() == snapshot
    oro.server.apps[:] = [restored]
    again = Oro(restored, oro.server, oro.clock)
    fields = again.call("GET", "dotmailerdatafields").json()["data"]
    assert [f["attributes"]["name"] for f in fields] == ["TIER"]
    assert again.create_field(channel, "TIER2").json()["data"]["id"] == "2"
    assert again.call("POST", "integrationsyncs", sync_doc(channel)).status_code == 200
    again.http.close()


def test_counters_per_endpoint(oro: Oro) -> None:
    oro.call("GET", "users/1")
    oro.call("GET", "users/2")
    oro.call("GET", "users")
    assert {k: v for k, v in oro.app.counters.items() if "users" in k} == {
        "GET /admin/api/users/{id}": 2,
        "GET /admin/api/users": 1,
    }
    assert oro.app.counters["total"] == 4


def test_jobs_also_advance_on_the_clock(oro: Oro) -> None:
    oro.app.settings.update(jobSteps=4, jobStepSeconds=10)
    channel = oro.create_integration()
    oro.call("POST", "integrationsyncs", sync_doc(channel))
    oro.clock.now += 25  # two steps on the clock, plus this poll's own: three of four
    job = _poll(oro, "1")
    assert (job["status"], job["progress"]) == ("running", 0.75)


def test_upsert_by_fields(oro: Oro) -> None:
    channel = oro.create_integration()
    doc = book_doc(channel, "Newsletter", 11)
    doc["data"]["meta"] = {"upsert": ["originId", "channel"]}
    first = oro.call("POST", "dotmaileraddressbooks", doc)
    doc["data"]["attributes"]["name"] = "Newsletter EMEA"
    second = oro.call("POST", "dotmaileraddressbooks", doc)
    assert (first.status_code, second.status_code) == (201, 200)
    assert [(b["id"], b["a"]["name"]) for b in oro.app.rows("dotmaileraddressbooks")] == [
        (1, "Newsletter EMEA")
    ]
    doc["data"]["meta"] = {"upsert": True}
    by_id = oro.call("POST", "dotmaileraddressbooks", doc)
    assert by_id.json() == error(
        400,
        "value constraint",
        "The upsert operation cannot use the entity identifier to find an entity.",
        "/data/meta/upsert",
    )


def test_delete_list_needs_a_filter(oro: Oro) -> None:
    channel = oro.create_integration()
    for name in ("A1", "A2", "B1"):
        oro.create_field(channel, name)
    bare = oro.call("DELETE", "dotmailerdatafields")
    assert (bare.status_code, bare.json()["errors"][0]["detail"]) == (
        400,
        "At least one filter must be provided.",
    )
    gone = oro.call(
        "DELETE",
        "dotmailerdatafields",
        params={"filter[id]": "1,3"},
        headers={"X-Include": "deletedCount"},
    )
    assert (gone.status_code, gone.headers["x-include-deleted-count"]) == (204, "2")
    assert [f["a"]["name"] for f in oro.app.rows("dotmailerdatafields")] == ["A2"]


def test_sort_sparse_fields_include_and_options(oro: Oro) -> None:
    channel = oro.create_integration()
    listed = oro.call(
        "GET",
        "users",
        params={"sort": "-username", "page[size]": "2", "fields[users]": "username,owner"},
        headers={"X-Include": "noHateoas"},
    ).json()
    assert listed == {
        "data": [
            {
                "type": "users",
                "id": "12",
                "attributes": {"username": "user12"},
                "relationships": {"owner": {"data": {"type": "businessunits", "id": "1"}}},
            },
            {
                "type": "users",
                "id": "11",
                "attributes": {"username": "user11"},
                "relationships": {"owner": {"data": {"type": "businessunits", "id": "1"}}},
            },
        ]
    }
    bad_sort = oro.call("GET", "users", params={"sort": "password"})
    assert bad_sort.json()["errors"][0]["title"] == "sort constraint"
    item = oro.call("GET", f"integrationchannels/{channel}", params={"include": "transport"})
    assert [i["type"] for i in item.json()["included"]] == ["dotmailertransports"]
    options = oro.call("OPTIONS", "dotmailerdatafields/1")
    assert (options.status_code, options.headers["allow"]) == (200, "OPTIONS, GET, PATCH, DELETE")
    enum_write = oro.call("POST", "dotmailerdatafieldtypes", {"data": {"type": "x"}})
    assert (enum_write.status_code, enum_write.headers["allow"]) == (405, "OPTIONS, GET")


def test_api_base_is_configurable(server: SandboxServer) -> None:
    clock = Clock()
    app = OroApp(SEED, clock=clock, api_base="/api")
    server.apps[:] = [app]
    oro = Oro(app, server, clock)
    answer = oro.http.get(
        "/api/organizations", headers={"Authorization": f"Bearer {oro.token}", "Accept": JSONAPI}
    )
    oro.http.close()
    assert [o["attributes"]["name"] for o in answer.json()["data"]] == ["ACME"]
    assert app.counters["GET /api/organizations"] == 1


@pytest.mark.parametrize(
    "type_name",
    [
        "integrationchannels",
        "dotmailertransports",
        "dotmailerdatafields",
        "dotmailerdatafieldmappings",
        "dotmailerdatafieldmappingconfigs",
        "dotmaileraddressbooks",
    ],
)
def test_docs_name_every_field_the_emulator_has(type_name: str) -> None:
    """docs/oro-api.md is the contract: each emulated field has a row in its type's table."""
    doc = (REPO / "docs" / "oro-api.md").read_text(encoding="utf-8")
    sections = doc.split("\n### ")
    section = next(s for s in sections if f"`{type_name}`" in s.splitlines()[0])
    rt = TYPES[type_name]
    documented = set(re.findall(r"^\| `(\w+)`", section, flags=re.MULTILINE))
    documented |= {n for row in re.findall(r"^\| (`\w+`(?:, `\w+`)+) \|", section, re.M)
                   for n in re.findall(r"`(\w+)`", row)}  # fmt: skip
    assert sorted((set(rt.attrs) | set(rt.rels)) - documented) == []


# --- indexes: a write reads the rows in its scope, not the whole table ----------------------


class NoScan(dict[Any, Any]):
    """A table that answers lookups by id and fails any walk over all its rows."""

    def _scan(self, *args: Any) -> Any:
        raise AssertionError("a whole-table scan")

    values = items = keys = __iter__ = _scan


def test_writes_check_uniqueness_and_links_through_indexes_not_table_scans(oro: Oro) -> None:
    """Each uniqueness check (UniqueEntity(channel, name), [DM] validation.yml) and each derived
    to-many link (a mapping's configs) reads the rows of its channel or mapping from an index:
    scanning the table per write made a 1,000-integration apply quadratic (docs/performance.md).
    Once the index exists, walking the table fails, and the answers are those of Oro."""
    channel, other = oro.create_integration(), oro.create_integration("APAC")
    assert oro.create_field(channel, "FULLNAME").status_code == 201  # id 1; indexes built
    first = oro.call(
        "POST", "dotmailerdatafieldmappings", mapping_doc(channel, [("1", "firstName")])
    )
    assert first.status_code == 201, first.text
    tables = oro.app.store.tables
    for name in ("dotmailerdatafields", "dotmailerdatafieldmappingconfigs"):
        tables[name] = NoScan(tables[name])

    duplicate = oro.create_field(channel, "FULLNAME")
    assert duplicate.json() == error(
        400,
        "unique entity constraint",
        "Field with such name already exists in this dotdigital integration",
        "/data/attributes/name",
    )
    assert oro.create_field(other, "FULLNAME").status_code == 201  # another channel: fine
    assert oro.create_field(channel, "TIER").status_code == 201  # id 3
    mapping = first.json()["data"]["id"]
    read = oro.call("GET", f"dotmailerdatafieldmappings/{mapping}").json()
    assert read["data"]["relationships"]["configs"]["data"] == [
        {"type": "dotmailerdatafieldmappingconfigs", "id": "1"}
    ]
    doc = mapping_doc(channel, [("1", "firstName"), ("3", "lastName")])
    doc["data"]["id"] = mapping
    del doc["data"]["attributes"]["entity"]  # create-only, as the channel is
    del doc["data"]["relationships"]["channel"]
    patched = oro.call("PATCH", f"dotmailerdatafieldmappings/{mapping}", doc)
    assert patched.status_code == 200, patched.text
    assert patched.json()["data"]["relationships"]["configs"]["data"] == [
        {"type": "dotmailerdatafieldmappingconfigs", "id": "2"},
        {"type": "dotmailerdatafieldmappingconfigs", "id": "3"},
    ]
    assert oro.call("DELETE", f"dotmailerdatafieldmappings/{mapping}").status_code == 204
    assert oro.call("GET", "dotmailerdatafieldmappingconfigs/2").status_code == 404
