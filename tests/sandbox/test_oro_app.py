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
    "settings": {"tokenLifetime": 3600, "autoDefaultMappings": False, "jobSteps": 2},
}


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


def sync_doc(channel: str, connector: str | None = None) -> dict[str, Any]:
    return {
        "data": {
            "type": "integrationsyncs",
            "attributes": {"connector": connector, "force": False},
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
    app = OroApp(SEED, clock=clock, mode=mode)
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
    assert body["data"]["attributes"] == {"name": "EMEA", "type": "dotmailer", "enabled": True}
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
            "BAD NAME",
            "regex constraint",
            "The name should contain only alphanumeric symbols, hyphens and underscores.",
        ),
        (
            "tier",
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


def test_mapping_rules(oro: Oro) -> None:
    channel = oro.create_integration()
    oro.create_field(channel, "FULLNAME")  # id 1
    oro.create_field(channel, "AGE", "Numeric")  # id 2
    several = oro.call("POST", "dotmailerdatafieldmappings", mapping_doc(channel, [("2", "a,b")]))
    assert several.json() == error(
        400,
        "data field mapping config constraint",
        "Several entity fields can be mapped only to the Data Field of type string",
        "/included/0/attributes/entityFields",
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
    # Ids come from sequences: the refused requests above used 1-3 (as a database does).
    assert created.json()["data"]["relationships"]["configs"] == {
        "data": [{"type": "dotmailerdatafieldmappingconfigs", "id": "4"}]
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
    long_name = oro.call("POST", "dotmaileraddressbooks", book_doc(channel, "x" * 129, 12))
    assert long_name.json() == error(
        400,
        "length constraint",
        "This value is too long. It should have 128 characters or less.",
        "/data/attributes/name",
    )
    same_list = oro.call("POST", "dotmaileraddressbooks", book_doc(channel, "Other", 13, "1"))
    assert same_list.json() == error(
        400,
        "unique entity constraint",
        "This marketing list is already connected to another address book.",
        "/data/relationships/marketingList/data",
    )
    same_name = oro.call("POST", "dotmaileraddressbooks", book_doc(channel, "NEWSLETTER", 14))
    assert same_name.json()["errors"][0]["detail"] == (
        'Integration has duplication of address books. Field "Name" should be unique.'
    )


def test_delete_integration_cascades(oro: Oro) -> None:
    channel = oro.create_integration()
    oro.create_field(channel, "TIER")
    oro.call("POST", "dotmaileraddressbooks", book_doc(channel, "Newsletter", 11))
    assert oro.call("DELETE", f"integrationchannels/{channel}").status_code == 204
    assert [
        oro.app.rows(t)
        for t in ("integrationchannels", "dotmailertransports", "dotmailerdatafields")
    ] == [[], [], []]
    assert oro.app.rows("dotmaileraddressbooks") == []


# --- sync jobs ------------------------------------------------------------------------------


def test_sync_job_lifecycle_and_duplicate(oro: Oro) -> None:
    channel = oro.create_integration()
    scheduled = oro.call("POST", "integrationsyncs", sync_doc(channel))
    assert scheduled.status_code == 201
    attrs = scheduled.json()["data"]["attributes"]
    assert attrs == {
        "jobId": "1",
        "jobName": "oro_integration:sync_integration:1",
        "status": "new",
        "connector": None,
        "force": False,
    }
    dup = oro.call("POST", "integrationsyncs", sync_doc(channel))
    assert (dup.status_code, dup.json()["errors"][0]["meta"]) == (409, {"jobId": "1"})
    statuses = []
    for _ in range(3):
        job = oro.call("GET", "oro_message_queue_jobs/1").json()["data"]["attributes"]
        statuses.append((job["status"], job["jobProgress"]))
    assert statuses == [
        ("oro.message_queue_job.status.running", 0.5),
        ("oro.message_queue_job.status.success", 1.0),
        ("oro.message_queue_job.status.success", 1.0),
    ]
    assert oro.call("POST", "integrationsyncs", sync_doc(channel)).status_code == 201


def test_failed_job_and_stale_duplicate(oro: Oro) -> None:
    channel = oro.create_integration()
    oro.app.set_job_outcome("EMEA", "failed")
    oro.call("POST", "integrationsyncs", sync_doc(channel))
    oro.clock.now += 1801  # the first job was never polled: it goes stale
    again = oro.call("POST", "integrationsyncs", sync_doc(channel))
    assert again.json()["data"]["attributes"]["jobId"] == "2"
    first = oro.call("GET", "oro_message_queue_jobs/1").json()["data"]["attributes"]
    assert first["status"] == "oro.message_queue_job.status.stale"
    oro.call("GET", "oro_message_queue_jobs/2")
    second = oro.call("GET", "oro_message_queue_jobs/2").json()["data"]["attributes"]
    assert second["status"] == "oro.message_queue_job.status.failed"


def test_disabled_integration_cannot_sync(oro: Oro) -> None:
    channel = oro.create_integration()
    oro.app.patch_integration("EMEA", enabled=False)
    answer = oro.call("POST", "integrationsyncs", sync_doc(channel))
    assert answer.json() == error(
        400,
        "integration constraint",
        "The integration is disabled.",
        "/data/relationships/integration/data",
    )


def _run_sync(oro: Oro, channel: str) -> None:
    job = oro.call("POST", "integrationsyncs", sync_doc(channel)).json()["data"]["id"]
    oro.call("GET", f"oro_message_queue_jobs/{job}")
    oro.call("GET", f"oro_message_queue_jobs/{job}")


@pytest.mark.parametrize(
    ("switch", "export_running"), [(True, False), (False, False), (True, True)]
)
def test_auto_default_mappings(oro: Oro, switch: bool, export_running: bool) -> None:
    oro.app.settings["autoDefaultMappings"] = switch
    channel = oro.create_integration()
    oro.app.set_export_running("EMEA", export_running)
    _run_sync(oro, channel)
    mappings = oro.call("GET", "dotmailerdatafieldmappings", params={"include": "configs"}).json()
    got = [(m["attributes"]["entity"], m["attributes"]["syncPriority"]) for m in mappings["data"]]
    expected = [(CONTACT, 20), (LEAD, 10)] if switch and not export_running else []
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
        _run_sync(oro, channel)
        assert len(oro.call("GET", "dotmailerdatafieldmappings").json()["data"]) == 1


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
    assert again.call("POST", "integrationsyncs", sync_doc(channel)).status_code == 409
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
    job = oro.call("GET", "oro_message_queue_jobs/1").json()["data"]["attributes"]
    assert (job["status"], job["jobProgress"]) == ("oro.message_queue_job.status.running", 0.75)


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


def test_integration_statuses_record_finished_runs(oro: Oro) -> None:
    channel = oro.create_integration()
    _run_sync(oro, channel)
    statuses = oro.call("GET", "integrationstatuses", params={"filter[channel]": channel}).json()
    assert [s["attributes"] for s in statuses["data"]] == [
        {"code": "1", "connector": "all", "message": "", "date": "2027-01-15T08:00:00Z"}
    ]


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
