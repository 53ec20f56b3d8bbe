"""OroClient against the Oro emulator over real HTTP on 127.0.0.1."""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from reconciler.errors import (
    AuthenticationError,
    NotFoundError,
    RemoteError,
    UnsupportedServerError,
)
from reconciler.model import (
    BusinessUnit,
    LiveUser,
    MarketingList,
    Organization,
    OroAddressBook,
    OroDataField,
    OroIntegration,
    OroMapping,
    OroMappingConfig,
    SyncJob,
)
from reconciler.providers.http import RetryPolicy
from reconciler.providers.oro import NewIntegration, OroClient
from reconciler.providers.oro.session import jsonapi_message
from reconciler.sandbox.core import Request, Response, SandboxServer
from reconciler.sandbox.oro import OroApp

SECRET = "sandbox-oro-secret"
CONTACT = "Oro\\Bundle\\ContactBundle\\Entity\\Contact"
SEED: dict[str, Any] = {
    "clients": [{"id": "ci", "secret": SECRET}],
    "organizations": [{"name": "ACME"}, {"name": "Other"}],
    "businessUnits": [{"name": "Main", "organization": "ACME"}],
    "users": [
        {"username": "mkt.ops", "organization": "ACME", "enabled": True},
        {"username": "old.user", "organization": "ACME", "enabled": False},
    ]
    + [{"username": f"filler{n:02d}", "organization": "ACME"} for n in range(12)],
    "marketingLists": [{"name": "EMEA subscribers", "entity": "contact"}],
    "settings": {"tokenLifetime": 3600},
}


@dataclass
class Clock:
    now: float = 1_800_000_000.0
    slept: list[float] = field(default_factory=list)

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)


class Flaky:
    """Answers 503 to the first ``failures`` requests, then passes them to the emulator."""

    def __init__(self, app: OroApp, failures: int) -> None:
        self.app = app
        self.prefixes = app.prefixes
        self.failures = failures

    def handle(self, request: Request) -> Response:
        if self.failures > 0 and request.path.startswith("/admin/api/"):
            self.failures -= 1
            return Response.json(503, {"message": "Service unavailable"})
        return self.app.handle(request)


@dataclass
class World:
    app: OroApp
    client: OroClient
    clock: Clock
    url: str


@pytest.fixture(scope="module")
def server() -> Iterator[SandboxServer]:
    """One loopback server per module; each test mounts its own fresh emulator on it."""
    with SandboxServer([]) as running:
        yield running


def make(
    server: SandboxServer, mode: str = "extended", failures: int = 0, secret: str = SECRET
) -> Iterator[World]:
    clock = Clock()
    # The data-field import reads the account: one with no fields of its own.
    app = OroApp(SEED, clock=clock, mode=mode, dotmailer_fields=lambda username: [])
    server.apps[:] = [Flaky(app, failures)]
    client = OroClient(
        server.url,
        "ci",
        secret,
        sleep=clock.sleep,
        clock=clock,
        policy=RetryPolicy(max_attempts=3),
    )
    yield World(app, client, clock, server.url)
    client.close()


@pytest.fixture
def oro(server: SandboxServer) -> Iterator[World]:
    yield from make(server)


def create(oro: World, name: str = "EMEA") -> OroIntegration:
    return oro.client.create_integration(
        NewIntegration(
            name=name,
            enabled=True,
            organization_id="1",
            owner_user_id="1",
            business_unit_id=None,
            username="apiuser@apiconnector.com",
            password="s3cret-password",
            client_id="1234",
            client_key="oauth-key-1",
            custom_domain="https://r1-app.dotmailer.com/",
        )
    )


# --- tokens ---------------------------------------------------------------------------------


def test_one_token_for_many_requests(oro: World) -> None:
    for _ in range(5):
        oro.client.list_organizations()
    assert oro.app.counters["POST /oauth2-token"] == 1
    assert oro.app.counters["GET /admin/api/organizations"] == 5


def test_token_renewed_before_expiry(oro: World) -> None:
    oro.client.list_organizations()
    oro.clock.now += 3600 - 59  # inside the renewal margin, still valid on the server
    oro.client.list_organizations()
    assert oro.app.counters["POST /oauth2-token"] == 2
    assert oro.app.counters["total"] == 4  # no request was answered 401


def test_token_renewed_once_after_401(oro: World) -> None:
    oro.client.list_organizations()
    oro.app.revoke_tokens()
    assert oro.client.list_organizations() == [
        Organization(id="1", name="ACME"),
        Organization(id="2", name="Other"),
    ]
    assert oro.app.counters["POST /oauth2-token"] == 2
    assert oro.app.counters["GET /admin/api/organizations"] == 3


def test_bad_secret_is_named_without_the_secret(server: SandboxServer) -> None:
    for world in make(server, secret="wrong-secret-value"):
        with pytest.raises(AuthenticationError) as caught:
            world.client.list_organizations()
        assert str(caught.value) == (
            f"oro: credentials refused: POST {world.url}/oauth2-token: HTTP 401: "
            "Client authentication failed"
        )
        assert "wrong-secret-value" not in repr(caught.value.__dict__)


# --- lookups --------------------------------------------------------------------------------


def test_list_users_in_one_filtered_call(oro: World) -> None:
    users = oro.client.list_users(["old.user", "mkt.ops", "nobody"])
    assert users == [
        LiveUser(id="1", username="mkt.ops", enabled=True, organization_ids=("1",),
                 business_unit_ids=("1",)),
        LiveUser(id="2", username="old.user", enabled=False, organization_ids=("1",),
                 business_unit_ids=("1",)),
    ]  # fmt: skip
    assert oro.app.counters["GET /admin/api/users"] == 1


def test_list_users_by_id_in_one_call_on_either_oro(server: SandboxServer) -> None:
    """``filter[id]`` takes a comma list in stock Oro too (oro-jsonapi.md §4, §9 C)."""
    for mode in ("extended", "stock"):
        for world in make(server, mode):
            users = world.client.list_users_by_id(["2", "1", "404", "2"])
            assert [(u.id, u.username) for u in users] == [("1", "mkt.ops"), ("2", "old.user")]
            assert world.app.counters["GET /admin/api/users"] == 1
            assert world.client.list_users_by_id([]) == []
            assert world.app.counters["GET /admin/api/users"] == 1


def test_list_users_falls_back_to_one_call_each_on_stock_oro(server: SandboxServer) -> None:
    for world in make(server, "stock"):
        users = world.client.list_users(["mkt.ops", "old.user"])
        assert [u.username for u in users] == ["mkt.ops", "old.user"]
        assert world.app.counters["GET /admin/api/users"] == 3


def test_lookups(oro: World) -> None:
    assert oro.client.list_business_units() == [
        BusinessUnit(id="1", name="Main", organization_id="1")
    ]
    assert oro.client.list_marketing_lists() == [
        MarketingList(id="1", name="EMEA subscribers", entity=CONTACT)
    ]


def test_lists_follow_links_next_when_the_server_caps_pages(oro: World) -> None:
    oro.app.settings["maxPageSize"] = 5
    users = oro.client.list_users([f"filler{n:02d}" for n in range(12)] + ["mkt.ops"])
    assert len(users) == 13
    # One refused -1, then pages of 5: 14 users need 3 pages.
    assert oro.app.counters["GET /admin/api/users"] == 4


# --- integrations ---------------------------------------------------------------------------


def test_create_list_update_delete_integration(oro: World) -> None:
    created = create(oro)
    expected = OroIntegration(
        id="1",
        name="EMEA",
        enabled=True,
        organization_id="1",
        owner_user_id="1",
        business_unit_id=None,
        username="apiuser@apiconnector.com",
        client_id="1234",
        custom_domain="https://r1-app.dotmailer.com/",
        transport_id="1",
    )
    assert created == expected
    assert oro.client.list_integrations() == [expected]
    stored = oro.app.integration_row("EMEA")["transport"]["a"]
    assert (stored["password"], stored["clientKey"]) == ("s3cret-password", "oauth-key-1")

    updated = oro.client.update_integration("1", "1", enabled=False, username="new@api.com")
    assert (updated.enabled, updated.username) == (False, "new@api.com")
    assert oro.app.integration_row("EMEA")["transport"]["a"]["password"] == "s3cret-password"
    oro.client.update_integration("1", "1", password="an0ther-password", client_key=None)
    stored = oro.app.integration_row("EMEA")["transport"]["a"]
    assert (stored["password"], stored["clientKey"]) == ("an0ther-password", "oauth-key-1")

    oro.client.delete_integration("1")
    assert oro.client.list_integrations() == []


def test_validation_error_names_method_url_and_pointer_never_the_password(oro: World) -> None:
    create(oro)
    with pytest.raises(RemoteError) as caught:
        create(oro)
    assert str(caught.value) == (
        f"oro: request failed: POST {oro.url}/admin/api/integrationchannels: HTTP 400: "
        "unique entity constraint: This value is already used. (/data/attributes/name)"
    )
    assert "s3cret-password" not in str(caught.value)
    assert SECRET not in str(caught.value)


def test_missing_row_is_not_found(oro: World) -> None:
    with pytest.raises(NotFoundError) as caught:
        oro.client.delete_data_field("42")
    assert str(caught.value) == (
        f"oro: not found: DELETE {oro.url}/admin/api/dotmailerdatafields/42: HTTP 404: "
        "not found http exception: An entity with the requested identifier does not exist."
    )


# --- data fields, address books, mappings ---------------------------------------------------


def test_data_fields(oro: World) -> None:
    create(oro)
    tier = oro.client.create_data_field("1", "TIER", "String", "Public", "bronze", None)
    flag = oro.client.create_data_field("1", "VIP", "Boolean", "Private", True, "Oro note")
    assert oro.client.list_data_fields() == [
        tier,
        OroDataField(id="2", channel_id="1", name="VIP", type="Boolean", visibility="Private",
                     default="Yes", notes="Oro note"),
    ]  # fmt: skip
    assert oro.client.update_data_field_notes("2", "new note") == OroDataField(
        id="2", channel_id="1", name="VIP", type="Boolean", visibility="Private",
        default="Yes", notes="new note",
    )  # fmt: skip
    oro.client.delete_data_field(flag.id)
    assert [f.name for f in oro.client.list_data_fields()] == ["TIER"]


def test_address_books(oro: World) -> None:
    create(oro)
    book = oro.client.create_address_book("1", 11, "Newsletter", "Private", "1", False)
    assert book == OroAddressBook(
        id="1", channel_id="1", name="Newsletter", visibility="Private", origin_id=11,
        marketing_list_id="1", create_entities=False,
    )  # fmt: skip
    changed = oro.client.update_address_book(
        "1", name="Newsletter EMEA", visibility="Public", marketing_list_id=None
    )
    assert (changed.name, changed.visibility, changed.marketing_list_id) == (
        "Newsletter EMEA",
        "Public",
        None,
    )
    assert oro.client.list_address_books() == [changed]
    oro.client.delete_address_book("1")
    assert oro.client.list_address_books() == []


def test_mappings(oro: World) -> None:
    create(oro)
    first = oro.client.create_data_field("1", "FIRSTNAME", "String", "Private", None, None)
    full = oro.client.create_data_field("1", "FULLNAME", "String", "Private", None, None)
    mapping = oro.client.create_mapping(
        "1",
        CONTACT,
        20,
        [(first.id, ["firstName"], True), (full.id, ["firstName", "lastName"], False)],
    )
    assert mapping == OroMapping(
        id="1",
        channel_id="1",
        entity=CONTACT,
        sync_priority=20,
        configs=(
            OroMappingConfig(id="1", data_field_id="1", entity_fields=("firstName",),
                             two_way_sync=True),
            OroMappingConfig(id="2", data_field_id="2", entity_fields=("firstName", "lastName"),
                             two_way_sync=False),
        ),
    )  # fmt: skip
    assert oro.client.list_mappings() == [mapping]
    replaced = oro.client.update_mapping("1", sync_priority=5, configs=[(full.id, ["name"], False)])
    assert replaced == OroMapping(
        id="1", channel_id="1", entity=CONTACT, sync_priority=5,
        configs=(OroMappingConfig(id="3", data_field_id="2", entity_fields=("name",),
                                  two_way_sync=False),),
    )  # fmt: skip
    assert oro.client.list_mappings() == [replaced]
    oro.client.delete_mapping("1")
    assert oro.client.list_mappings() == []


# --- sync -----------------------------------------------------------------------------------


def test_schedule_sync_and_duplicate(oro: World) -> None:
    create(oro)
    job = oro.client.schedule_sync("1", "datafield", True)
    assert job == SyncJob(id="1", name="oro_integration:sync_integration:1", status="new")
    # One is new: Oro schedules nothing and the bundle answers that one, 200.
    again = oro.client.schedule_sync("1", None, False)
    assert again == SyncJob(
        id="1", name="oro_integration:sync_integration:1", status="new", already_active=True
    )
    assert oro.client.get_job("1") == SyncJob(
        id="1", name="oro_integration:sync_integration:1", status="running", progress=0.5
    )
    assert oro.client.get_job("1") == SyncJob(
        id="1", name="oro_integration:sync_integration:1", status="success", progress=1.0
    )
    assert oro.client.get_job("1").finished


# --- stock Oro and faults -------------------------------------------------------------------


def test_stock_oro_raises_one_clear_unsupported_error(server: SandboxServer) -> None:
    for world in make(server, "stock"):
        with pytest.raises(UnsupportedServerError) as created:
            create(world)
        assert str(created.value) == (
            "oro: this Oro does not let the API create integrationchannels; enable the extended "
            "API contract in that Oro application (install the companion bundle "
            "oro-bundle/; see docs/oro-api.md): "
            f"POST {world.url}/admin/api/integrationchannels: HTTP 405"
        )
        with pytest.raises(UnsupportedServerError) as listed:
            world.client.list_data_fields()
        assert str(listed.value).startswith(
            "oro: this Oro does not let the API read dotmailerdatafields; enable the extended"
        )
        with pytest.raises(UnsupportedServerError) as integrations:
            world.client.list_integrations()
        assert str(integrations.value).startswith(
            "oro: this Oro does not let the API read integrationchannels;"
        )
        with pytest.raises(UnsupportedServerError):
            world.client.schedule_sync("1", None, False)


def test_retries_injected_5xx(server: SandboxServer) -> None:
    for world in make(server, failures=2):
        assert [o.name for o in world.client.list_organizations()] == ["ACME", "Other"]
        assert len(world.clock.slept) == 2
        assert world.app.counters["GET /admin/api/organizations"] == 1


def test_gives_up_after_the_retry_budget(server: SandboxServer) -> None:
    for world in make(server, failures=10):
        with pytest.raises(RemoteError) as caught:
            world.client.list_organizations()
        assert str(caught.value) == (
            "oro: request failed after 3 attempts: "
            f"GET {world.url}/admin/api/organizations?page%5Bsize%5D=-1: HTTP 503: "
            "Service unavailable"
        )


def test_threads_share_one_token(oro: World) -> None:
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda _: oro.client.list_business_units(), range(16)))
    assert results == [[BusinessUnit(id="1", name="Main", organization_id="1")]] * 16
    assert oro.app.counters["POST /oauth2-token"] == 1


def test_update_integration_owner_and_business_unit(oro: World) -> None:
    create(oro)
    updated = oro.client.update_integration("1", "1", owner_user_id="2", business_unit_id="1")
    assert (updated.owner_user_id, updated.business_unit_id, updated.username) == (
        "2",
        "1",
        "apiuser@apiconnector.com",
    )
    cleared = oro.client.update_integration("1", "1", business_unit_id=None)
    assert cleared.business_unit_id is None
    assert oro.client.list_users([]) == []
    with pytest.raises(TypeError) as caught:
        oro.client.update_integration("1", "1", colour="red")
    assert str(caught.value) == "update_integration: unknown fields colour"


def test_seeded_integration_reads_back(server: SandboxServer) -> None:
    seed = dict(SEED)
    seed["integrations"] = [
        {
            "name": "Legacy",
            "owner": "mkt.ops",
            "transport": {"username": "legacy@apiconnector.com", "password": "legacy-pw-1"},
            "dataFields": [{"name": "TIER", "type": "Numeric", "default": 3, "notes": "hand-made"}],
            "addressBooks": [
                {"name": "Old list", "originId": 77, "marketingList": "EMEA subscribers"}
            ],
            "mappings": [
                {"entity": "contact", "syncPriority": 20,
                 "fields": [{"dataField": "tier", "entityFields": ["score"]}]}
            ],
        }
    ]  # fmt: skip
    clock = Clock()
    server.apps[:] = [OroApp(seed, clock=clock)]
    with OroClient(server.url, "ci", SECRET, sleep=clock.sleep, clock=clock) as client:
        assert client.list_integrations() == [
            OroIntegration(id="1", name="Legacy", enabled=True, organization_id="1",
                           owner_user_id="1", business_unit_id=None,
                           username="legacy@apiconnector.com", client_id=None,
                           custom_domain=None, transport_id="1")
        ]  # fmt: skip
        assert client.list_data_fields() == [
            OroDataField(id="1", channel_id="1", name="TIER", type="Numeric",
                         visibility="Private", default="3", notes="hand-made")
        ]  # fmt: skip
        assert client.list_address_books() == [
            OroAddressBook(id="1", channel_id="1", name="Old list", visibility="Private",
                           origin_id=77, marketing_list_id="1", create_entities=False)
        ]  # fmt: skip
        assert client.list_mappings() == [
            OroMapping(id="1", channel_id="1", entity=CONTACT, sync_priority=20,
                       configs=(OroMappingConfig(id="1", data_field_id="1",
                                                 entity_fields=("score",),
                                                 two_way_sync=False),))
        ]  # fmt: skip


@pytest.mark.parametrize(
    ("body", "text"),
    [
        ({"errors": [{"title": "not blank constraint", "detail": "This value should not be "
          "blank.", "source": {"pointer": "/data/attributes/name"}}]},
         "not blank constraint: This value should not be blank. (/data/attributes/name)"),
        ({"error": "invalid_client", "message": "Client authentication failed"},
         "Client authentication failed"),
        # Problem Details (RFC 9457) as symfony/serializer Normalizer/ProblemNormalizer.php
        # writes them for an error outside the JSON:API layer: read like {message}.
        ({"type": "https://tools.ietf.org/html/rfc2616#section-10", "title": "An error occurred",
          "status": 500, "detail": "Internal Server Error"}, "Internal Server Error"),
        ({"title": "Method Not Allowed", "status": 405}, "Method Not Allowed"),
    ],
)  # fmt: skip
def test_error_text_reads_jsonapi_oauth_and_problem_details(body: object, text: str) -> None:
    assert jsonapi_message(httpx.Response(400, json=body)) == text


class Recording:
    """Passes requests to the emulator and keeps each list answer's resources."""

    def __init__(self, app: OroApp) -> None:
        self.app = app
        self.prefixes = app.prefixes
        self.lists: dict[str, tuple[str | None, list[dict[str, Any]]]] = {}

    def handle(self, request: Request) -> Response:
        response = self.app.handle(request)
        type_ = request.path.rpartition("/")[2]
        if request.method == "GET" and type_.startswith("dotmailer"):
            body = json.loads(response.body)
            self.lists[type_] = (request.query_one(f"fields[{type_}]"), body["data"])
        return response


def test_data_field_and_book_lists_ask_oro_for_only_the_fields_they_read(
    server: SandboxServer, oro: World
) -> None:
    """JSON:API sparse fieldsets (fields[TYPE], oroinc/platform ApiBundle
    Processor/GetConfig/FilterFieldsByExtra.php): the lists carry no owner, createdAt,
    contactCount or import times; what is read from them is the same (test_data_fields)."""
    create(oro)
    recording = Recording(oro.app)
    oro.client.create_data_field("1", "TIER", "String", "Public", "bronze", None)
    oro.client.create_address_book("1", 11, "Newsletter", "Private", "1", False)
    server.apps[:] = [recording]
    oro.client.list_data_fields()
    oro.client.list_address_books()

    fields, data = recording.lists["dotmailerdatafields"]
    assert fields == "name,defaultValue,notes,channel,type,visibility"
    assert [(sorted(r["attributes"]), sorted(r["relationships"])) for r in data] == [
        (["defaultValue", "name", "notes"], ["channel", "type", "visibility"])
    ]
    fields, data = recording.lists["dotmaileraddressbooks"]
    assert fields == "name,originId,createEntities,channel,visibility,marketingList"
    assert [(sorted(r["attributes"]), sorted(r["relationships"])) for r in data] == [
        (["createEntities", "name", "originId"], ["channel", "marketingList", "visibility"])
    ]


def test_a_new_integration_never_shows_its_secrets_in_a_repr() -> None:
    new = NewIntegration(
        name="EMEA",
        enabled=True,
        organization_id="1",
        owner_user_id="1",
        business_unit_id=None,
        username="apiuser@apiconnector.com",
        password="s3cret-password",
        client_id="1234",
        client_key="oauth-key-1",
        custom_domain=None,
    )
    assert repr(new) == (
        "NewIntegration(name='EMEA', enabled=True, organization_id='1', owner_user_id='1', "
        "business_unit_id=None, username='apiuser@apiconnector.com', client_id='1234', "
        "custom_domain=None)"
    )
