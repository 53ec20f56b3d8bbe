"""An emulator of the dotmailer (Dotdigital) v2 REST API, as specified in dotdigital-api-v2.md §7.

One :class:`DotmailerApp` holds any number of accounts, keyed by their HTTP Basic credentials.
It answers ``/v2/...`` on the server's own host, which plays the r1 host, and ``/rN/v2/...``,
which plays the host of region rN: ``account-info`` names ``<base>/`` (r1) or ``<base>/rN/`` as the
account's ``ApiEndpoint``, and with ``regionCheck`` on (the default) a call on another region's host
gets 403, as the real API does (§1). Everything is in memory, guarded by one lock;
:meth:`DotmailerApp.snapshot` / :meth:`DotmailerApp.restore` persist it.

Seed (the ``dotmailer`` key of the sandbox seed file)::

    accounts:
      - username: apiuser-emea@apiconnector.com
        password: sandbox-emea-pw            # kept only as a SHA-256 digest
        region: r1                           # r1 | r2 | r3
        rateLimit: {mode: tiered, perMinute: 35}   # or {mode: flat, perHour: 2000}, {mode: off}
                                             # windowSeconds: 60 (shorter: a tier scaled in time)
        dataFields: [{name: LOYALTY, type: String, visibility: Private, defaultValue: null,
                      inUse: true}]          # inUse / dependencies block a delete
        addressBooks: [{name: Newsletter, visibility: Private}]
        settings: {addressBookCreateStatus: 201, addressBookDeleteStatus: 204, ...}

The open points of §7 are per-account settings (see :class:`AccountSettings`).
"""

from __future__ import annotations

import base64
import binascii
import csv
import hashlib
import hmac
import io
import re
import threading
import time
import uuid
from collections import Counter, deque
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any
from urllib.parse import unquote

from reconciler.model import RESTRICTED_DATA_FIELDS
from reconciler.sandbox.core import Request, Response

Clock = Callable[[], float]
Handler = Callable[["_Call"], Response]

# dotdigital-api-v2.md §7: every account has these, String/Public/null, and they cannot be deleted.
BUILTIN_FIELDS: tuple[str, ...] = ("FIRSTNAME", "LASTNAME", "FULLNAME", "GENDER", "POSTCODE")
# dotdigital-api-v2.md §7: "All Contacts" (id 1) and "Test" (id 2), Private, read-only.
BUILTIN_BOOKS: tuple[tuple[int, str], ...] = ((1, "All Contacts"), (2, "Test"))
FIELD_TYPES = ("String", "Numeric", "Date", "Boolean")
VISIBILITIES = ("Private", "Public")
# dotdigital-api-v2.md §3: restricted data-field names.
MERGE_OPTIONS = {
    "overwrite": "Overwrite",
    "0": "Overwrite",
    "onlyoverwriteifnotempty": "OnlyOverwriteIfNotEmpty",
    "1": "OnlyOverwriteIfNotEmpty",
    "onlyoverwriteifcontactdatanotpopulated": "OnlyOverwriteIfContactDataNotPopulated",
    "2": "OnlyOverwriteIfContactDataNotPopulated",
}
REPORT_KEYS = (
    "newContacts",
    "updatedContacts",
    "globallySuppressed",
    "invalidEntries",
    "duplicateEmails",
    "blocked",
    "unsubscribed",
    "hardBounced",
    "softBounced",
    "ispComplaints",
    "mailBlocked",
    "domainSuppressed",
    "pendingDoubleOptin",
    "failures",
    "suppressedContacts",
)
MAX_ACTIVE_IMPORTS = 25
INT32_MAX = 2**31 - 1

# Exact texts, dotdigital-api-v2.md §1, §2, §4, §7.
MSG_UNAUTHORIZED = "Authorization has been denied for this request."
MSG_ACCESS_DENIED = "Access is denied"
MSG_FIELD_EXISTS = "Field already exists. ERROR_NON_UNIQUE_DATAFIELD"
MSG_BOOK_DUPLICATE = (
    "That name is in use already, please choose another. ERROR_ADDRESSBOOK_DUPLICATE"
)
MSG_BOOK_NOT_FOUND = "Error: ERROR_ADDRESSBOOK_NOT_FOUND"
MSG_BOOK_NOT_WRITABLE = (
    "Address book cannot be written to via the API. ERROR_ADDRESSBOOK_NOTWRITABLE"
)
MSG_IMPORT_NOT_FOUND = "Error: ERROR_IMPORT_NOT_FOUND"
MSG_REPORT_NOT_READY = (
    "Import is not processed yet or completed with error. ERROR_IMPORT_REPORT_NOT_FOUND"
)
MSG_USAGE_EXCEEDED = (
    "Your account has generated excess API activity and is being temporarily capped. "
    "Please contact support. ERROR_APIUSAGE_EXCEEDED"
)
MSG_MALFORMED = "The request body could not be read. ERROR_MALFORMED_REQUEST"
MSG_CONTENT_TYPE = "The request content type is not supported. ERROR_CONTENT_TYPE_IS_NOT_SUPPORTED"

_EMAIL = re.compile(r"^[^@\s,;]+@[^@\s,;]+\.[^@\s,;]+$")
_FIELD_NAME = re.compile(r"^[A-Za-z0-9_-]{1,20}$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$")
_PATH = re.compile(r"^(?:/(r\d+))?(/v2/.*)$")


def _error(status: int, message: str) -> Response:
    return Response.json(status, {"message": message})


def password_digest(password: str) -> str:
    return hashlib.sha256(password.encode("utf-8")).hexdigest()


# --- state -------------------------------------------------------------------------------


@dataclass
class AccountSettings:
    """Per-account answers to the open points of dotdigital-api-v2.md §7."""

    addressBookCreateStatus: int = 201  # seed keys are camelCase; SW 201, AB 200
    addressBookDeleteStatus: int = 204  # AB 204, SW 200
    builtinFieldDeleteStatus: int = 404  # unverified, ORO says 404
    dependenciesAs409: bool = False  # SW allows 409 ProblemDetails
    importPolls: int = 1  # polls answered NotFinished before the final status
    importFinalStatus: str = "Finished"
    regionCheck: bool = True
    apiEndpoint: str | None = None  # overrides the ApiEndpoint property
    maxDataFields: int | None = None
    maxAddressBooks: int | None = None

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any] | None) -> AccountSettings:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in (raw or {}).items() if k in known})


@dataclass
class RateLimitSettings:
    mode: str = "tiered"  # tiered | flat | off
    perMinute: int = 35  # dotdigital-api-v2.md §4: "Low: 35 calls per minute"
    perHour: int = 2000  # flat scheme: 2,000 calls/hour
    scope: str = "lowCallRate"
    # The tier's window. Real accounts have 60 s; a shorter one scales a tier down in time, so
    # a benchmark can see many windows in a short run (benchmarks/scale.py).
    windowSeconds: int = 60

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any] | None) -> RateLimitSettings:
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in (raw or {}).items() if k in known}
        if values.get("mode") is False:  # YAML 1.1 reads an unquoted `off` as false
            values["mode"] = "off"
        settings = cls(**values)
        if settings.mode not in ("tiered", "flat", "off"):
            raise ValueError(f"rateLimit.mode must be tiered, flat or off, not {settings.mode!r}")
        if settings.windowSeconds < 1:
            raise ValueError(f"rateLimit.windowSeconds must be >= 1, not {settings.windowSeconds}")
        return settings


@dataclass
class Account:
    username: str
    password_sha256: str
    region: str
    account_id: int
    settings: AccountSettings
    rate_limit: RateLimitSettings
    data_fields: dict[str, dict[str, Any]] = field(default_factory=dict)  # UPPER name -> field
    dependencies: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    books: dict[int, dict[str, Any]] = field(default_factory=dict)  # id -> book (with members)
    next_book_id: int = 3
    contacts: dict[str, dict[str, Any]] = field(default_factory=dict)  # lower email -> contact
    next_contact_id: int = 1
    imports: dict[str, dict[str, Any]] = field(default_factory=dict)
    call_times: deque[float] = field(default_factory=deque)  # for the hourly figures
    window_start: float = 0.0
    window_count: int = 0
    # Calls admitted per tiered window start (not persisted): how well a client uses its budget.
    window_log: Counter[float] = field(default_factory=Counter)

    def to_json(self) -> dict[str, Any]:
        return {
            "username": self.username,
            "passwordSha256": self.password_sha256,
            "region": self.region,
            "accountId": self.account_id,
            "settings": asdict(self.settings),
            "rateLimit": asdict(self.rate_limit),
            "dataFields": list(self.data_fields.values()),
            "dependencies": self.dependencies,
            "books": [{**book, "members": sorted(book["members"])} for book in self.books.values()],
            "nextBookId": self.next_book_id,
            "contacts": list(self.contacts.values()),
            "nextContactId": self.next_contact_id,
            "imports": list(self.imports.values()),
            "callTimes": list(self.call_times),
            "windowStart": self.window_start,
            "windowCount": self.window_count,
        }

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> Account:
        return cls(
            username=raw["username"],
            password_sha256=raw["passwordSha256"],
            region=raw["region"],
            account_id=int(raw["accountId"]),
            settings=AccountSettings.from_dict(raw["settings"]),
            rate_limit=RateLimitSettings.from_dict(raw["rateLimit"]),
            data_fields={f["name"]: dict(f) for f in raw["dataFields"]},
            dependencies={k: list(v) for k, v in raw["dependencies"].items()},
            books={int(b["id"]): {**b, "members": set(b["members"])} for b in raw["books"]},
            next_book_id=int(raw["nextBookId"]),
            contacts={c["email"].lower(): dict(c) for c in raw["contacts"]},
            next_contact_id=int(raw["nextContactId"]),
            imports={i["id"]: dict(i) for i in raw["imports"]},
            call_times=deque(float(t) for t in raw["callTimes"]),
            window_start=float(raw["windowStart"]),
            window_count=int(raw["windowCount"]),
        )

    def book_json(self, book: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "id": book["id"],
            "name": book["name"],
            "visibility": book["visibility"],
            "contacts": len(book["members"]),
        }


def _account_from_seed(raw: Mapping[str, Any], number: int) -> Account:
    region = str(raw.get("region", "r1"))
    if not re.fullmatch(r"r\d+", region):
        raise ValueError(f"region must look like r1, not {region!r}")
    if "password" in raw:
        digest = password_digest(str(raw["password"]))
    else:
        digest = str(raw["passwordSha256"])
    account = Account(
        username=str(raw["username"]),
        password_sha256=digest,
        region=region,
        account_id=int(raw.get("accountId", 100000 + number)),
        settings=AccountSettings.from_dict(raw.get("settings")),
        rate_limit=RateLimitSettings.from_dict(raw.get("rateLimit")),
    )
    for name in BUILTIN_FIELDS:
        account.data_fields[name] = {
            "name": name,
            "type": "String",
            "visibility": "Public",
            "defaultValue": None,
        }
    for book_id, name in BUILTIN_BOOKS:
        account.books[book_id] = {
            "id": book_id,
            "name": name,
            "visibility": "Private",
            "builtin": True,
            "members": set(),
        }
    for item in raw.get("dataFields") or ():
        checked = _check_data_field(dict(item), account)
        if isinstance(checked, Response):
            raise ValueError(f"{account.username}: data field {item!r} is invalid")
        account.data_fields[checked["name"]] = checked
        deps = item.get("dependencies")
        if deps is None and item.get("inUse"):
            deps = [{"type": "Campaign", "objectId": 1000 + len(account.dependencies)}]
        if deps:
            account.dependencies[checked["name"]] = list(deps)
    for item in raw.get("addressBooks") or ():
        checked_book = _check_book(dict(item), account, None, for_update=False)
        if isinstance(checked_book, Response):
            raise ValueError(f"{account.username}: address book {item!r} is invalid")
        _add_book(account, checked_book)
    return account


def _add_book(account: Account, values: Mapping[str, Any]) -> dict[str, Any]:
    book = {
        "id": account.next_book_id,
        "name": values["name"],
        "visibility": values["visibility"],
        "builtin": False,
        "members": set(),
    }
    account.books[account.next_book_id] = book
    account.next_book_id += 1
    return book


# --- validation (shared by seed loading and the API) ----------------------------------------


def _lower_keys(body: Mapping[str, Any]) -> dict[str, Any]:
    return {str(k).lower(): v for k, v in body.items()}


def _enum(value: Any, choices: tuple[str, ...]) -> str | None:
    if not isinstance(value, str):
        return None
    return next((c for c in choices if c.lower() == value.lower()), None)


def _field_invalid(what: str) -> Response:
    return _error(400, f"{what} ERROR_DATAFIELD_INVALID")


def _check_data_field(body: Mapping[str, Any], account: Account) -> dict[str, Any] | Response:
    """POST /v2/data-fields validation (dotdigital-api-v2.md §7 item 4)."""
    keys = _lower_keys(body)
    name = keys.get("name")
    if not isinstance(name, str) or not _FIELD_NAME.match(name):
        return _field_invalid("The data field name is not valid.")
    if name.lower() in RESTRICTED_DATA_FIELDS:
        return _field_invalid("The data field name is reserved.")
    type_ = _enum(keys.get("type"), FIELD_TYPES)
    if type_ is None:
        return _field_invalid("The data field type is not valid.")
    visibility = _enum(keys.get("visibility", "Private"), VISIBILITIES)
    if visibility is None:
        return _field_invalid("The data field visibility is not valid.")
    default = keys.get("defaultvalue")
    ok, default = _coerce_default(type_, default)
    if not ok:
        return _field_invalid("The default value does not match the data field type.")
    if name.upper() in account.data_fields:
        return _error(400, MSG_FIELD_EXISTS)
    cap = account.settings.maxDataFields
    if cap is not None and len(account.data_fields) - len(BUILTIN_FIELDS) >= cap:
        return _error(400, "The data field limit has been reached. ERROR_DATAFIELD_LIMITEXCEEDED")
    return {"name": name.upper(), "type": type_, "visibility": visibility, "defaultValue": default}


def _coerce_default(type_: str, value: Any) -> tuple[bool, Any]:
    if value is None:
        return True, None
    if type_ == "String":
        return isinstance(value, str), value
    if type_ == "Numeric":
        if isinstance(value, bool):
            return False, value
        if isinstance(value, int | float):
            return True, value
        if isinstance(value, str):
            try:
                number = float(value)
            except ValueError:
                return False, value
            return True, int(number) if number.is_integer() else number
        return False, value
    if type_ == "Boolean":
        if isinstance(value, bool):
            return True, value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return True, value.lower() == "true"
        return False, value
    # Date: ISO YYYY-MM-DDTHH:MM:SS (ORO formats Y-m-d\TH:i:s).
    if isinstance(value, str) and _DATE.match(value):
        try:
            datetime.fromisoformat(value)
        except ValueError:
            return False, value
        return True, value
    return False, value


def _check_book(
    body: Mapping[str, Any], account: Account, book_id: int | None, *, for_update: bool
) -> dict[str, Any] | Response:
    """POST/PUT /v2/address-books validation (dotdigital-api-v2.md §7 items 8-9)."""
    keys = _lower_keys(body)
    name = keys.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > 128:
        return _error(400, "The address book name is not valid. ERROR_ADDRESSBOOK_INVALID")
    default = account.books[book_id]["visibility"] if for_update and book_id else "Private"
    visibility = _enum(keys.get("visibility", default), VISIBILITIES)
    if visibility is None:
        return _error(400, "The address book visibility is not valid. ERROR_ADDRESSBOOK_INVALID")
    for other in account.books.values():
        if other["id"] != book_id and other["name"].casefold() == name.casefold():
            return _error(400, MSG_BOOK_DUPLICATE)
    cap = account.settings.maxAddressBooks
    if not for_update and cap is not None and len(account.books) - len(BUILTIN_BOOKS) >= cap:
        return _error(
            400, "The address book limit has been reached. ERROR_ADDRESSBOOK_LIMITEXCEEDED"
        )
    return {"name": name, "visibility": visibility}


# --- the app -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Call:
    request: Request
    account: Account
    params: dict[str, str]
    region: str  # the region whose host the request came in on


@dataclass(frozen=True)
class _Route:
    method: str
    template: str
    pattern: re.Pattern[str]
    handler: str
    mutates: bool


def _route(method: str, template: str, handler: str, *, mutates: bool = False) -> _Route:
    regex = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template))
    return _Route(method, template, re.compile(f"^{regex}$"), handler, mutates)


# Order matters: fixed segments before parameters.
ROUTES: tuple[_Route, ...] = (
    _route("GET", "/v2/account-info", "_account_info"),
    _route("GET", "/v2/server-time", "_server_time"),
    _route("GET", "/v2/data-fields", "_list_fields"),
    _route("POST", "/v2/data-fields", "_create_field", mutates=True),
    _route("DELETE", "/v2/data-fields/{name}", "_delete_field", mutates=True),
    _route("GET", "/v2/address-books", "_list_books"),
    _route("GET", "/v2/address-books/private", "_list_private_books"),
    _route("GET", "/v2/address-books/public", "_list_public_books"),
    _route("POST", "/v2/address-books", "_create_book", mutates=True),
    _route("GET", "/v2/address-books/{id}", "_get_book"),
    _route("PUT", "/v2/address-books/{id}", "_update_book", mutates=True),
    _route("DELETE", "/v2/address-books/{id}", "_delete_book", mutates=True),
    _route("POST", "/v2/address-books/{id}/contacts/import", "_import", mutates=True),
    _route(
        "POST",
        "/v2/address-books/{id}/contacts/import/with-merge-option/{mergeOption}",
        "_import",
        mutates=True,
    ),
    _route("GET", "/v2/address-books/{id}/contacts", "_book_contacts"),
    _route("DELETE", "/v2/address-books/{id}/contacts/{contactId}", "_remove_member", mutates=True),
    _route("GET", "/v2/contacts/import/{importId}", "_import_status", mutates=True),
    _route("GET", "/v2/contacts/import/{importId}/report", "_import_report"),
    _route("GET", "/v2/contacts/import/{importId}/report-faults", "_import_faults"),
    _route("GET", "/v2/contacts/{email}", "_get_contact"),
)


class DotmailerApp:
    """The dotmailer v2 emulator: an :class:`reconciler.sandbox.core.App`."""

    prefixes: tuple[str, ...] = ("/v2/", "/r1/v2/", "/r2/v2/", "/r3/v2/")

    def __init__(self, seed: Mapping[str, Any] | None = None, *, clock: Clock = time.time) -> None:
        self._clock = clock
        self._lock = threading.RLock()
        self.accounts: dict[str, Account] = {}
        self.counters: Counter[tuple[str, str]] = Counter()
        self.unauthorized = 0
        self.revision = 0  # bumped by every change worth persisting
        for number, raw in enumerate((seed or {}).get("accounts") or (), start=1):
            account = _account_from_seed(raw, number)
            if account.username in self.accounts:
                raise ValueError(f"dotmailer account {account.username} is seeded twice")
            self.accounts[account.username] = account

    # -- persistence and test hooks ----------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "version": 1,
                "accounts": [self.accounts[k].to_json() for k in sorted(self.accounts)],
            }

    @classmethod
    def restore(cls, snapshot: Mapping[str, Any], *, clock: Clock = time.time) -> DotmailerApp:
        if snapshot.get("version") != 1:
            raise ValueError(f"unknown dotmailer snapshot version {snapshot.get('version')!r}")
        app = cls(None, clock=clock)
        for raw in snapshot["accounts"]:
            account = Account.from_json(raw)
            app.accounts[account.username] = account
        return app

    def account(self, username: str) -> Account:
        return self.accounts[username]

    def set_dependencies(
        self, username: str, field_name: str, dependencies: list[dict[str, Any]]
    ) -> None:
        """Mark a data field as in use (``[]`` frees it); a delete then answers result false."""
        with self._lock:
            account = self.accounts[username]
            if field_name.upper() not in account.data_fields:
                raise KeyError(field_name)
            if dependencies:
                account.dependencies[field_name.upper()] = list(dependencies)
            else:
                account.dependencies.pop(field_name.upper(), None)
            self.revision += 1

    def total_requests(self, username: str) -> int:
        return self.counters[(username, "total")]

    # -- dispatch ------------------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        with self._lock:
            return self._handle(request)

    def _handle(self, request: Request) -> Response:
        match = _PATH.match(request.path)
        if match is None:
            return _error(404, "No HTTP resource was found that matches the request URI.")
        region = match.group(1) or "r1"
        path = match.group(2)
        account = self._authenticate(request)
        if account is None:
            self.unauthorized += 1
            return _error(401, MSG_UNAUTHORIZED)
        route, params = self._find_route(request.method, path)
        endpoint = f"{request.method} {route.template}" if route else f"{request.method} {path}"
        self.counters[(account.username, endpoint)] += 1
        self.counters[(account.username, "total")] += 1
        limited, headers = self._rate_limit(account)
        if limited is not None:
            limited.headers.update(headers)
            return limited
        if route is None:
            response = self._no_route(request.method, path)
        elif (
            account.settings.regionCheck
            and region != account.region
            and not (route.handler == "_account_info" and region == "r1")
        ):
            response = _error(403, MSG_ACCESS_DENIED)  # dotdigital-api-v2.md §1: wrong region
        else:
            handler: Handler = getattr(self, route.handler)
            response = handler(_Call(request, account, params, region))
            if route.mutates and response.status < 400:
                self.revision += 1
        response.headers.update(headers)
        return response

    def _authenticate(self, request: Request) -> Account | None:
        header = request.headers.get("Authorization") or ""
        scheme, _, encoded = header.partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        username, sep, password = decoded.partition(":")
        account = self.accounts.get(username)
        if not sep or account is None:
            return None
        if not hmac.compare_digest(password_digest(password), account.password_sha256):
            return None
        return account

    def _find_route(self, method: str, path: str) -> tuple[_Route | None, dict[str, str]]:
        for route in ROUTES:
            found = route.pattern.match(path)
            if found and route.method == method:
                return route, {k: unquote(v) for k, v in found.groupdict().items()}
        return None, {}

    def _no_route(self, method: str, path: str) -> Response:
        if any(route.pattern.match(path) for route in ROUTES):
            return _error(405, f"The requested resource does not support http method '{method}'.")
        return _error(404, "No HTTP resource was found that matches the request URI.")

    def _rate_limit(self, account: Account) -> tuple[Response | None, dict[str, str]]:
        """dotdigital-api-v2.md §4: tiered per-minute windows, or a flat rolling hourly budget."""
        now = self._clock()
        limits = account.rate_limit
        hour_ago = now - 3600.0
        while account.call_times and account.call_times[0] <= hour_ago:
            account.call_times.popleft()
        if limits.mode == "flat":
            if len(account.call_times) >= limits.perHour:
                return _error(400, MSG_USAGE_EXCEEDED), {}
            account.call_times.append(now)
            return None, {}
        if limits.mode == "off":
            account.call_times.append(now)
            return None, {}
        size = limits.windowSeconds
        window = float(int(now // size) * size)
        if window != account.window_start:
            account.window_start, account.window_count = window, 0
        reset = str(int(window + size))  # an epoch (AE); the client also accepts a delta
        headers = {
            "X-RateLimit-Limit": str(limits.perMinute),
            "X-RateLimit-Reset": reset,
            "X-RateLimit-Scope": limits.scope,
        }
        if account.window_count >= limits.perMinute:
            headers["X-RateLimit-Remaining"] = "0"
            return _error(429, "Too many requests. ERROR_APIUSAGE_EXCEEDED"), headers
        account.window_count += 1
        account.window_log[window] += 1
        account.call_times.append(now)
        headers["X-RateLimit-Remaining"] = str(limits.perMinute - account.window_count)
        return None, headers

    # -- account ---------------------------------------------------------------------------------

    def _account_info(self, call: _Call) -> Response:
        account = call.account
        in_last_hour = len(account.call_times)
        per_hour = account.rate_limit.perHour
        endpoint = account.settings.apiEndpoint
        if endpoint is None:
            region_path = "" if account.region == "r1" else f"/{account.region}"
            endpoint = f"{call.request.base_url}{region_path}/"
        properties = [
            ("Name", "String", account.username.split("@")[0]),
            ("MainEmail", "String", f"ops+{account.region}@sandbox.example"),
            ("APILocale", "String", "en-GB"),
            ("ApiCallsInLastHour", "Int", str(in_last_hour)),
            ("ApiCallsRemaining", "Int", str(max(0, per_hour - in_last_hour))),
            ("ApiEndpoint", "String", endpoint),
            ("CurrencyCode", "String", "GBP"),
            ("TimeZoneIana", "String", "Europe/London"),
        ]
        return Response.json(
            200,
            {
                "id": account.account_id,
                "properties": [{"name": n, "type": t, "value": v} for n, t, v in properties],
            },
        )

    def _server_time(self, call: _Call) -> Response:
        now = datetime.fromtimestamp(self._clock(), tz=UTC)
        return Response.json(200, now.isoformat().replace("+00:00", "Z"))

    # -- data fields -------------------------------------------------------------------------

    def _list_fields(self, call: _Call) -> Response:
        return Response.json(200, list(call.account.data_fields.values()))

    def _create_field(self, call: _Call) -> Response:
        body = _json_body(call.request)
        if isinstance(body, Response):
            return body
        checked = _check_data_field(body, call.account)
        if isinstance(checked, Response):
            return checked
        call.account.data_fields[checked["name"]] = checked
        return Response.json(201, checked)

    def _delete_field(self, call: _Call) -> Response:
        account = call.account
        name = call.params["name"].upper()
        if name in BUILTIN_FIELDS:
            return _error(
                account.settings.builtinFieldDeleteStatus, "Error: ERROR_DATAFIELD_INVALID"
            )
        if name not in account.data_fields:
            return _error(404, "Error: ERROR_DATAFIELD_NOTFOUND")
        dependencies = account.dependencies.get(name)
        if dependencies:
            if account.settings.dependenciesAs409:
                return Response.json(
                    409,
                    {
                        "type": "https://tools.ietf.org/html/rfc7231#section-6.5.8",
                        "title": "The data field is in use.",
                        "status": 409,
                        "detail": f"{name} has {len(dependencies)} dependencies.",
                    },
                    content_type="application/problem+json; charset=utf-8",
                )
            return Response.json(200, {"dependencies": dependencies, "result": False})
        del account.data_fields[name]
        for contact in account.contacts.values():
            contact["dataFields"].pop(name, None)
        return Response.json(200, {"dependencies": None, "result": True})

    # -- address books -----------------------------------------------------------------------

    def _list_books(self, call: _Call, visibility: str | None = None) -> Response:
        paging = _paging(call.request, allow_limit=visibility == "Private")
        if isinstance(paging, Response):
            return paging
        select, skip = paging
        books = [
            call.account.book_json(book)
            for _, book in sorted(call.account.books.items())
            if visibility is None or book["visibility"] == visibility
        ]
        return Response.json(200, books[skip : skip + select])

    def _list_private_books(self, call: _Call) -> Response:
        return self._list_books(call, "Private")

    def _list_public_books(self, call: _Call) -> Response:
        return self._list_books(call, "Public")

    def _find_book(self, call: _Call) -> dict[str, Any] | Response:
        try:
            book_id = int(call.params["id"])
        except ValueError:
            return _error(404, MSG_BOOK_NOT_FOUND)
        book = call.account.books.get(book_id)
        return book if book is not None else _error(404, MSG_BOOK_NOT_FOUND)

    def _get_book(self, call: _Call) -> Response:
        book = self._find_book(call)
        if isinstance(book, Response):
            return book
        return Response.json(200, call.account.book_json(book))

    def _create_book(self, call: _Call) -> Response:
        body = _json_body(call.request)
        if isinstance(body, Response):
            return body
        checked = _check_book(body, call.account, None, for_update=False)
        if isinstance(checked, Response):
            return checked
        book = _add_book(call.account, checked)
        status = call.account.settings.addressBookCreateStatus
        return Response.json(status, call.account.book_json(book))

    def _update_book(self, call: _Call) -> Response:
        book = self._find_book(call)
        if isinstance(book, Response):
            return book
        if book["builtin"]:
            return _error(400, MSG_BOOK_NOT_WRITABLE)
        body = _json_body(call.request)
        if isinstance(body, Response):
            return body
        checked = _check_book(body, call.account, book["id"], for_update=True)
        if isinstance(checked, Response):
            return checked
        book.update(checked)
        return Response.json(200, call.account.book_json(book))

    def _delete_book(self, call: _Call) -> Response:
        book = self._find_book(call)
        if isinstance(book, Response):
            return book
        if book["builtin"]:
            return _error(400, MSG_BOOK_NOT_WRITABLE)
        del call.account.books[book["id"]]  # memberships go with it; contacts stay
        status = call.account.settings.addressBookDeleteStatus
        if status == 200:  # SW: 200 with an empty octet-stream
            return Response(200, b"", {"Content-Type": "application/octet-stream"})
        return Response.empty(status)

    def _book_contacts(self, call: _Call) -> Response:
        book = self._find_book(call)
        if isinstance(book, Response):
            return book
        paging = _paging(call.request, allow_limit=False)
        if isinstance(paging, Response):
            return paging
        select, skip = paging
        full = (call.request.query_one("withFullData") or "").lower() == "true"
        members = sorted(
            (call.account.contacts[email] for email in book["members"]), key=lambda c: c["id"]
        )
        return Response.json(
            200, [_contact_json(c, full=full) for c in members[skip : skip + select]]
        )

    def _remove_member(self, call: _Call) -> Response:
        book = self._find_book(call)
        if isinstance(book, Response):
            return book
        if book["builtin"]:
            return _error(400, MSG_BOOK_NOT_WRITABLE)
        for email, contact in call.account.contacts.items():
            if str(contact["id"]) == call.params["contactId"] and email in book["members"]:
                book["members"].discard(email)
                return Response.empty(204)
        return _error(404, "Error: ERROR_CONTACT_NOT_FOUND")

    def _get_contact(self, call: _Call) -> Response:
        key = call.params["email"]
        contact = call.account.contacts.get(key.lower())
        if contact is None:
            contact = next((c for c in call.account.contacts.values() if str(c["id"]) == key), None)
        if contact is None:
            return _error(404, "Error: ERROR_CONTACT_NOT_FOUND")
        return Response.json(200, _contact_json(contact, full=True))

    # -- contact import ------------------------------------------------------------------------

    def _import(self, call: _Call) -> Response:
        book = self._find_book(call)
        if isinstance(book, Response):
            return book
        if book["builtin"]:
            return _error(400, MSG_BOOK_NOT_WRITABLE)
        merge = MERGE_OPTIONS.get(call.params.get("mergeOption", "overwrite").lower())
        if merge is None:
            return _error(400, "The merge option is not valid. ERROR_PARAMETER_INVALID")
        upload = _uploaded_csv(call.request)
        if isinstance(upload, Response):
            return upload
        rows = _parse_csv(upload)
        if isinstance(rows, Response):
            return rows
        active = sum(1 for i in call.account.imports.values() if i["status"] == "NotFinished")
        if active >= MAX_ACTIVE_IMPORTS:
            return _error(400, "Too many imports are running. ERROR_IMPORT_TOOMANYACTIVEIMPORTS")
        import_id = str(uuid.uuid4())
        call.account.imports[import_id] = {
            "id": import_id,
            "bookId": book["id"],
            "status": "NotFinished",
            "pollsLeft": call.account.settings.importPolls,
            "mergeOption": merge,
            "rows": rows,
            "report": None,
            "faults": [],
        }
        return Response.json(202, {"id": import_id, "status": "NotFinished"})

    def _find_import(self, call: _Call) -> dict[str, Any] | Response:
        key = call.params["importId"].lower()
        job = call.account.imports.get(key)
        return job if job is not None else _error(404, MSG_IMPORT_NOT_FOUND)

    def _import_status(self, call: _Call) -> Response:
        job = self._find_import(call)
        if isinstance(job, Response):
            return job
        if job["status"] == "NotFinished":
            if job["pollsLeft"] > 0:
                job["pollsLeft"] -= 1
            else:
                self._finish_import(call.account, job)
        return Response.json(200, {"id": job["id"], "status": job["status"]})

    def _finish_import(self, account: Account, job: dict[str, Any]) -> None:
        final = account.settings.importFinalStatus
        job["status"] = final
        if final != "Finished":
            job["rows"] = []
            return
        report = dict.fromkeys(REPORT_KEYS, 0)
        faults: list[list[str]] = []
        seen: set[str] = set()
        book = account.books.get(job["bookId"])
        for row in job.pop("rows"):
            email = row.get("email", "").strip()
            if not _EMAIL.match(email):
                faults.append(["Invalid Email", email])
                report["invalidEntries"] += 1
                continue
            key = email.lower()
            if key in seen:
                report["duplicateEmails"] += 1
                continue
            seen.add(key)
            contact = account.contacts.get(key)
            if contact is None:
                contact = {
                    "id": account.next_contact_id,
                    "email": email,
                    "optInType": "Unknown",
                    "emailType": "Html",
                    "dataFields": {},
                    "status": "Subscribed",
                }
                account.next_contact_id += 1
                account.contacts[key] = contact
                report["newContacts"] += 1
            else:
                report["updatedContacts"] += 1
            _merge(contact["dataFields"], row, account, job["mergeOption"])
            if book is not None:
                book["members"].add(key)
        job["report"] = report
        job["faults"] = faults
        job["rows"] = []

    def _import_report(self, call: _Call) -> Response:
        job = self._find_import(call)
        if isinstance(job, Response):
            return job
        if job["report"] is None:
            return _error(400, MSG_REPORT_NOT_READY)
        return Response.json(200, job["report"])

    def _import_faults(self, call: _Call) -> Response:
        job = self._find_import(call)
        if isinstance(job, Response):
            return job
        if job["report"] is None:
            return _error(400, MSG_REPORT_NOT_READY)
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(["Reason", "Email"])
        writer.writerows(job["faults"])
        return Response(
            200, out.getvalue().encode("utf-8"), {"Content-Type": "text/csv; charset=utf-8"}
        )


# --- helpers -------------------------------------------------------------------------------


def _json_body(request: Request) -> dict[str, Any] | Response:
    content_type = (request.headers.get("Content-Type") or "").lower()
    if "json" not in content_type:
        return _error(400, MSG_CONTENT_TYPE)
    try:
        body = request.json()
    except (ValueError, UnicodeDecodeError):
        return _error(400, MSG_MALFORMED)
    if not isinstance(body, dict):
        return _error(400, MSG_MALFORMED)
    return body


def _paging(request: Request, *, allow_limit: bool) -> tuple[int, int] | Response:
    """select 1..1000 (default 1000), skip >= 0 (dotdigital-api-v2.md §4)."""
    raw_select = request.query_one("select")
    if raw_select is None and allow_limit:
        raw_select = request.query_one("limit")  # AB names it "limit" on /private
    raw_skip = request.query_one("skip")
    try:
        select = int(raw_select) if raw_select is not None else 1000
        skip = int(raw_skip) if raw_skip is not None else 0
    except ValueError:
        return _error(400, "The paging parameters are not valid. ERROR_PARAMETER_INVALID")
    if not 1 <= select <= 1000 or not 0 <= skip <= INT32_MAX:  # SW types both as int32
        return _error(400, "The paging parameters are not valid. ERROR_PARAMETER_INVALID")
    return select, skip


def _uploaded_csv(request: Request) -> bytes | Response:
    """The file of an import: JSON ApiFileMedia {fileName, data} or one multipart ``file``."""
    content_type = request.headers.get("Content-Type") or ""
    if content_type.lower().startswith("multipart/form-data"):
        message = BytesParser(policy=HTTP).parsebytes(
            b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + request.body
        )
        if not message.is_multipart():
            return _error(400, MSG_MALFORMED)
        files = [part for part in message.iter_parts() if part.get_filename() is not None]
        if len(files) > 1:
            return _error(400, "Only one file may be uploaded. ERROR_MULTI_FILE_UPLOAD_NOT_ALLOWED")
        if not files:
            return _error(400, MSG_MALFORMED)
        filename = files[0].get_filename() or ""
        payload = files[0].get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
    else:
        body = _json_body(request)
        if isinstance(body, Response):
            return body
        keys = _lower_keys(body)
        encoded = keys.get("data")
        if not isinstance(keys.get("filename"), str) or not isinstance(encoded, str):
            return _error(400, "The file is not valid. ERROR_IMPORT_UNSUPPORTED_FORMAT")
        filename = str(keys["filename"])
        try:
            data = base64.b64decode(encoded, validate=True)
        except binascii.Error:
            return _error(400, "The file is not valid. ERROR_IMPORT_UNSUPPORTED_FORMAT")
    if not filename.lower().endswith(".csv"):
        return _error(400, "The file format is not supported. ERROR_IMPORT_UNSUPPORTED_FORMAT")
    return data


def _parse_csv(data: bytes) -> list[dict[str, str]] | Response:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return _error(400, "The file is not UTF-8 CSV. ERROR_IMPORT_UNSUPPORTED_FORMAT")
    reader = csv.reader(io.StringIO(text))
    header = next(reader, [])
    names = [h.strip().lower() for h in header]
    if "email" not in names:
        return _error(400, "The file has no Email column. ERROR_NO_EMAIL_COLUMN")
    return [
        {name: value for name, value in zip(names, row, strict=False) if name}
        for row in reader
        if any(cell.strip() for cell in row)
    ]


def _merge(values: dict[str, Any], row: Mapping[str, str], account: Account, option: str) -> None:
    """Map CSV columns onto existing data fields, case-insensitively; unknown columns ignored."""
    for column, raw in row.items():
        name = column.upper()
        if column == "email" or name not in account.data_fields:
            continue
        if option == "OnlyOverwriteIfNotEmpty" and raw == "":
            continue
        if option == "OnlyOverwriteIfContactDataNotPopulated" and values.get(name) not in (
            None,
            "",
        ):
            continue
        values[name] = raw


def _contact_json(contact: Mapping[str, Any], *, full: bool) -> dict[str, Any]:
    return {
        "id": contact["id"],
        "email": contact["email"],
        "optInType": contact["optInType"],
        "emailType": contact["emailType"],
        "dataFields": (
            [{"key": k, "value": v} for k, v in sorted(contact["dataFields"].items())]
            if full
            else None
        ),
        "status": contact["status"],
    }
