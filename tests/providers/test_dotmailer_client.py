"""The dotmailer client end to end over real HTTP against the emulator on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from fakeclock import FakeClock

from reconciler.errors import (
    AuthenticationError,
    ConflictError,
    NotFoundError,
    OutcomeUnknownError,
    RemoteError,
    UntrustedEndpointError,
)
from reconciler.model import RemoteAddressBook, RemoteDataField
from reconciler.providers.dotmailer import (
    AccountInfo,
    DeleteResult,
    DotmailerClient,
    ImportJob,
)
from reconciler.providers.endpoints import is_official_endpoint
from reconciler.providers.limits import LimiterStats
from reconciler.sandbox.core import Faults, Request, Response, SandboxServer
from reconciler.sandbox.dotmailer import DotmailerApp

EMEA = ("apiuser-emea@apiconnector.com", "sandbox-emea-pw")
AMER = ("apiuser-amer@apiconnector.com", "sandbox-amer-pw")
FLAT = ("apiuser-flat@apiconnector.com", "sandbox-flat-pw")
OPEN = ("apiuser-open@apiconnector.com", "sandbox-open-pw")

SEED: dict[str, Any] = {
    "accounts": [
        {
            "username": EMEA[0],
            "password": EMEA[1],
            "rateLimit": {"mode": "tiered", "perMinute": 35},
            "dataFields": [{"name": "POINTS", "type": "Numeric", "inUse": True}],
            "addressBooks": [{"name": "Newsletter"}],
        },
        {"username": AMER[0], "password": AMER[1], "region": "r2", "rateLimit": {"mode": "off"}},
        {"username": FLAT[0], "password": FLAT[1], "rateLimit": {"mode": "flat", "perHour": 3}},
        {"username": OPEN[0], "password": OPEN[1], "rateLimit": {"mode": "off"}},
    ]
}


class Recording(httpx.BaseTransport):
    """The real HTTP transport, remembering every request it sent."""

    def __init__(self, rewrite: dict[str, str] | None = None) -> None:
        self.inner = httpx.HTTPTransport()
        self.sent: list[httpx.Request] = []
        self.rewrite = rewrite or {}

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.sent.append(request)
        target = self.rewrite.get(request.url.host)
        if target is not None:  # stands in for DNS: official hosts answered on loopback
            url = httpx.URL(target).join(request.url.raw_path.decode("ascii"))
            request = httpx.Request(
                request.method, url, headers=request.headers, content=request.content
            )
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


class Mount:
    """The emulator, unless a test makes a route answer as another server would."""

    prefixes = DotmailerApp.prefixes

    def __init__(self) -> None:
        self.app = DotmailerApp()
        self.answers: dict[tuple[str, str], Response] = {}

    def handle(self, request: Request) -> Response:
        answer = self.answers.get((request.method, request.path))
        return answer if answer is not None else self.app.handle(request)


@pytest.fixture(scope="module")
def mounted() -> Iterator[tuple[Mount, SandboxServer]]:
    mount = Mount()
    server = SandboxServer([mount]).start()
    yield mount, server
    server.stop()


@dataclass
class Env:
    app: DotmailerApp
    answers: dict[tuple[str, str], Response]
    server: SandboxServer
    clock: FakeClock
    transport: Recording
    clients: list[DotmailerClient] = field(default_factory=list)

    @property
    def url(self) -> str:
        return self.server.url

    def client(self, creds: tuple[str, str] = EMEA, **kwargs: Any) -> DotmailerClient:
        kwargs.setdefault("api_url", self.url)
        client = DotmailerClient(
            creds[0],
            creds[1],
            transport=self.transport,
            sleep=self.clock.sleep,
            clock=self.clock.time,
            timeout=10.0,
            **kwargs,
        )
        self.clients.append(client)
        return client

    def paths(self) -> list[str]:
        return [f"{r.method} {r.url.path}" for r in self.transport.sent]


@pytest.fixture
def env(mounted: tuple[Mount, SandboxServer]) -> Iterator[Env]:
    mount, server = mounted
    clock = FakeClock()
    mount.app = DotmailerApp(SEED, clock=clock.time)
    mount.answers = {}
    server.set_faults(Faults())
    env = Env(mount.app, mount.answers, server, clock, Recording())
    yield env
    for client in env.clients:
        client.close()
    server.set_faults(Faults())


def test_region_discovery_moves_every_later_call(env: Env) -> None:
    client = env.client(AMER)
    info = client.account_info()
    assert info == AccountInfo(
        id=100002,
        api_endpoint=f"{env.url}/r2",
        properties=(
            ("Name", "apiuser-amer"),
            ("MainEmail", "ops+r2@sandbox.example"),
            ("APILocale", "en-GB"),
            ("ApiCallsInLastHour", "1"),
            ("ApiCallsRemaining", "1999"),
            ("ApiEndpoint", f"{env.url}/r2/"),
            ("CurrencyCode", "GBP"),
            ("TimeZoneIana", "Europe/London"),
        ),
    )
    assert info.get("ApiCallsRemaining") == "1999"
    assert [f.name for f in client.list_data_fields()] == [
        "FIRSTNAME", "LASTNAME", "FULLNAME", "GENDER", "POSTCODE",
    ]  # fmt: skip
    assert env.paths() == ["GET /v2/account-info", "GET /r2/v2/data-fields"]


def test_first_call_discovers_the_endpoint_by_itself(env: Env) -> None:
    client = env.client(AMER)
    assert client.list_address_books()[0] == RemoteAddressBook(1, "All Contacts", "Private", 0)
    assert env.paths() == [
        "GET /v2/account-info",
        "GET /r2/v2/address-books",
    ]


def test_refused_credentials_fail_at_once_naming_the_url_only(env: Env) -> None:
    client = env.client((EMEA[0], "wrong-password-123"))
    with pytest.raises(AuthenticationError) as info:
        client.account_info()
    assert str(info.value) == (
        f"dotmailer: credentials refused: GET {env.url}/v2/account-info: HTTP 401: "
        "Authorization has been denied for this request."
    )
    assert "wrong-password-123" not in repr(info.value.__dict__)
    assert env.app.unauthorized == 1
    assert env.clock.slept == []


def test_thirty_percent_injected_5xx_still_succeeds(env: Env) -> None:
    env.server.set_faults(Faults(error_rate=0.3, seed=2024))
    client = env.client(OPEN)
    created = [client.create_data_field(f"F{n}", "String", "Private", None) for n in range(8)]
    assert created[0] == RemoteDataField("F0", "String", "Private", None)
    book = client.create_address_book("VIP", "Public")
    assert client.update_address_book(book.id, "VIP list", "Private") == RemoteAddressBook(
        book.id, "VIP list", "Private", 0
    )
    assert client.delete_data_field("F7") == DeleteResult(True, ())
    client.delete_address_book(book.id)
    names = [f.name for f in client.list_data_fields()][5:]
    assert names == ["F0", "F1", "F2", "F3", "F4", "F5", "F6"]
    assert [b.name for b in client.list_address_books()] == ["All Contacts", "Test"]
    assert env.server.fault_counters.errors >= 5
    assert (
        len(env.transport.sent)
        == env.app.total_requests(OPEN[0]) + env.server.fault_counters.errors
    )


def test_tiered_limit_of_35_per_minute_waits_from_the_headers(env: Env) -> None:
    client = env.client(EMEA)
    client.account_info()
    for _ in range(100):
        client.list_data_fields()
    # 101 calls: 35 at EPOCH, a wait to the announced reset (EPOCH+60, plus the 0.25 s margin),
    # 35 more, a wait to EPOCH+120.25, then the last 31.
    assert env.clock.slept == [60.25, 60.0]
    assert client.limiter.stats() == LimiterStats(calls=101, waits=2, waited_seconds=120.25)
    assert env.app.total_requests(EMEA[0]) == 101  # no 429 was ever answered


def test_flat_limit_backs_off_until_the_hour_rolls(env: Env) -> None:
    client = env.client(FLAT)
    client.account_info()
    client.list_data_fields()
    client.list_data_fields()
    fields = client.list_data_fields()  # the 4th call of the hour: ERROR_APIUSAGE_EXCEEDED
    assert len(fields) == 5
    assert env.clock.slept == [60.0, 120.0, 240.0, 480.0, 900.0, 900.0, 900.0]
    assert client.limiter.stats().rate_limited == 7


def test_dropped_create_is_outcome_unknown_and_the_book_exists(env: Env) -> None:
    client = env.client(OPEN)
    client.account_info()
    env.server.set_faults(Faults(drop_after_commit_rate=1.0, methods=("POST",)))
    with pytest.raises(OutcomeUnknownError) as info:
        client.create_address_book("VIP", "Private")
    assert str(info.value) == (
        "dotmailer: the connection broke after the request was sent (server closed the "
        "connection without an answer); it may or may not have taken effect: "
        f"POST {env.url}/v2/address-books"
    )
    assert [b["name"] for b in env.app.account(OPEN[0]).books.values()] == [
        "All Contacts", "Test", "VIP",
    ]  # fmt: skip
    env.server.set_faults(Faults())
    with pytest.raises(ConflictError) as again:
        client.create_address_book("vip", "Private")
    assert again.value.api_message == (
        "That name is in use already, please choose another. ERROR_ADDRESSBOOK_DUPLICATE"
    )


def test_untrusted_endpoint_is_refused_and_gets_nothing(env: Env) -> None:
    env.app.account(EMEA[0]).settings.apiEndpoint = "https://r1-api.dotdigital.com.evil.example/"
    client = env.client(EMEA)
    with pytest.raises(UntrustedEndpointError) as info:
        client.list_data_fields()
    assert str(info.value) == (
        "dotmailer: account-info named ApiEndpoint https://r1-api.dotdigital.com.evil.example/, "
        "which is neither an official Dotdigital API host nor the origin of the API URL "
        f"override {env.url}; credentials are not sent there: GET {env.url}/v2/account-info"
    )
    assert env.paths() == ["GET /v2/account-info"]


def test_with_an_override_another_loopback_listener_is_not_trusted(env: Env) -> None:
    # A second server on 127.0.0.1 (another port) is as foreign as any host: only the
    # override's own origin is followed.
    other_app = DotmailerApp(SEED)
    other = SandboxServer([other_app]).start()
    try:
        env.app.account(EMEA[0]).settings.apiEndpoint = f"{other.url}/"
        with pytest.raises(UntrustedEndpointError) as info:
            env.client(EMEA).list_data_fields()
        assert str(info.value) == (
            f"dotmailer: account-info named ApiEndpoint {other.url}/, which is neither an "
            "official Dotdigital API host nor the origin of the API URL override "
            f"{env.url}; credentials are not sent there: GET {env.url}/v2/account-info"
        )
        assert [str(r.url) for r in env.transport.sent] == [f"{env.url}/v2/account-info"]
        assert other_app.total_requests(EMEA[0]) == 0
        assert other_app.unauthorized == 0
    finally:
        other.stop()


def test_without_override_only_official_hosts_are_used(env: Env) -> None:
    # No api_url: discovery starts on r1-api.dotdigital.com; a rewriting transport stands in
    # for DNS so the official hosts answer from loopback.
    env.transport.rewrite = {"r1-api.dotdigital.com": env.url, "r2-api.dotdigital.com": env.url}
    env.app.account(EMEA[0]).settings.apiEndpoint = "https://r2-api.dotdigital.com/"
    env.app.account(EMEA[0]).settings.regionCheck = False
    client = env.client(EMEA, api_url=None)
    assert client.account_info().api_endpoint == "https://r2-api.dotdigital.com"
    client.list_data_fields()
    assert [str(r.url) for r in env.transport.sent] == [
        "https://r1-api.dotdigital.com/v2/account-info",
        "https://r2-api.dotdigital.com/v2/data-fields",
    ]
    env.app.account(OPEN[0]).settings.apiEndpoint = f"{env.url}/"  # loopback, but no override
    with pytest.raises(UntrustedEndpointError):
        env.client(OPEN, api_url=None).account_info()


@pytest.mark.parametrize(
    ("url", "official"),
    [
        ("https://r1-api.dotdigital.com/", True),
        ("https://r3-api.dotdigital.com", True),
        ("https://api.dotmailer.com", True),
        ("https://r2-api.dotmailer.com/", True),
        ("https://apiconnector.com", True),
        ("https://r1.apiconnector.com", True),
        ("http://r1-api.dotdigital.com", False),
        ("https://r1-api.dotdigital.com.evil.example", False),
        ("https://api.attacker.net/.dotdigital.com", False),
        ("https://user@r1-api.dotdigital.com", False),
        ("https://r1-api.dotdigital.com:8443", False),
        ("https://evil.com/r1-api.dotdigital.com", False),
    ],
)
def test_official_endpoint_pattern(url: str, official: bool) -> None:
    assert is_official_endpoint(url) is official


def test_data_field_lifecycle_and_errors(env: Env) -> None:
    client = env.client(OPEN)
    assert client.create_data_field("tier", "String", "Public", "gold") == RemoteDataField(
        "TIER", "String", "Public", "gold"
    )
    with pytest.raises(ConflictError) as duplicate:
        client.create_data_field("TIER", "String", "Public", None)
    assert str(duplicate.value) == (
        f"dotmailer: request failed: POST {env.url}/v2/data-fields: HTTP 400: "
        "Field already exists. ERROR_NON_UNIQUE_DATAFIELD"
    )
    assert client.delete_data_field("tier") == DeleteResult(True, ())
    with pytest.raises(NotFoundError):
        client.delete_data_field("tier")


def test_delete_of_a_field_in_use_names_the_dependencies(env: Env) -> None:
    client = env.client(EMEA)
    assert client.delete_data_field("POINTS") == DeleteResult(False, ("Campaign 1000",))
    env.app.account(EMEA[0]).settings.dependenciesAs409 = True
    assert client.delete_data_field("POINTS") == DeleteResult(
        False, ("POINTS has 1 dependencies.",)
    )


def test_address_books_are_read_in_pages_of_1000(env: Env) -> None:
    seed = {
        "accounts": [
            {**SEED["accounts"][3], "addressBooks": [{"name": f"B{n:04}"} for n in range(2100)]}
        ]
    }
    env.app.accounts.update(DotmailerApp(seed, clock=env.clock.time).accounts)
    books = env.client(OPEN).list_address_books()
    assert len(books) == 2102
    assert books[-1] == RemoteAddressBook(2102, "B2099", "Private", 0)
    assert [r.url.params.get("skip") for r in env.transport.sent[1:]] == ["0", "1000", "2000"]


def test_contact_import(env: Env) -> None:
    client = env.client(EMEA)
    book = next(b for b in client.list_address_books() if b.name == "Newsletter")
    job = client.import_contacts(book.id, b"Email,FirstName\nann@example.com,Ann\n")
    assert job.status == "NotFinished"
    assert client.import_status(job.id) == ImportJob(job.id, "NotFinished")
    assert client.import_status(job.id) == ImportJob(job.id, "Finished")
    assert next(b for b in client.list_address_books() if b.id == book.id).contacts == 1


# -- what a create or delete answers (issue 11 item 5) ---------------------------------------


def test_a_create_answered_with_another_book_fails(env: Env) -> None:
    # A server generated from the spec answers every create with its example object.
    env.answers[("POST", "/v2/address-books")] = Response.json(
        201, {"id": 1, "name": "string", "visibility": "Private", "contacts": 0}
    )
    with pytest.raises(RemoteError) as info:
        env.client(OPEN).create_address_book("Newsletter EMEA", "Private")
    assert type(info.value) is RemoteError
    assert str(info.value) == (
        'dotmailer: the create answered with address book "string" (id 1), not the '
        f'"Newsletter EMEA" it was asked to make: POST {env.url}/v2/address-books: HTTP 201'
    )


def test_a_create_answered_with_another_data_field_fails(env: Env) -> None:
    env.answers[("POST", "/v2/data-fields")] = Response.json(
        201, {"name": "STRING", "type": "String", "visibility": "Private", "defaultValue": None}
    )
    with pytest.raises(RemoteError) as info:
        env.client(OPEN).create_data_field("TIER", "String", "Private", None)
    assert str(info.value) == (
        'dotmailer: the create answered with data field "STRING", not the "TIER" it was asked '
        f"to make: POST {env.url}/v2/data-fields: HTTP 201"
    )


def test_a_create_answer_naming_the_object_in_another_case_is_the_same_object(env: Env) -> None:
    # dotmailer keeps names unique case-insensitively and returns field names upper-cased.
    client = env.client(OPEN)
    assert client.create_data_field("tier", "String", "Public", None).name == "TIER"
    env.answers[("POST", "/v2/address-books")] = Response.json(
        201, {"id": 9, "name": "NEWSLETTER", "visibility": "Private", "contacts": 0}
    )
    assert client.create_address_book("Newsletter", "Private") == RemoteAddressBook(
        9, "NEWSLETTER", "Private", 0
    )


def test_a_problem_details_duplicate_is_a_conflict(env: Env) -> None:
    # RFC 9457 Problem Details (SW components.schemas.ProblemDetails) read like {message}, so
    # "already exists" is recognised and apply re-reads the list.
    env.answers[("POST", "/v2/address-books")] = Response.json(
        400,
        {
            "type": "https://tools.ietf.org/html/rfc7231#section-6.5.1",
            "title": "Bad Request",
            "status": 400,
            "detail": "That name is in use already, please choose another. "
            "ERROR_ADDRESSBOOK_DUPLICATE",
        },
        content_type="application/problem+json; charset=utf-8",
    )
    with pytest.raises(ConflictError) as info:
        env.client(OPEN).create_address_book("Newsletter", "Private")
    assert str(info.value) == (
        f"dotmailer: request failed: POST {env.url}/v2/address-books: HTTP 400: "
        "That name is in use already, please choose another. ERROR_ADDRESSBOOK_DUPLICATE"
    )


@pytest.mark.parametrize("status", [200, 204])
def test_an_address_book_delete_accepts_200_and_204(env: Env, status: int) -> None:
    # dotdigital-v2-api-swagger.json: 200 application/octet-stream (the emulator's default);
    # the Lists / Address books spec: 204. The emulator negotiates the Accept strictly.
    env.app.account(OPEN[0]).settings.addressBookDeleteStatus = status
    client = env.client(OPEN)
    book = client.create_address_book("Old", "Private")
    client.delete_address_book(book.id)
    assert [b.name for b in client.list_address_books()] == ["All Contacts", "Test"]
    delete = next(r for r in env.transport.sent if r.method == "DELETE")
    assert delete.headers["Accept"] == "application/octet-stream, application/json"
    with pytest.raises(NotFoundError):
        client.delete_address_book(book.id)
