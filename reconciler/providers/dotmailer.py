"""The dotmailer (Dotdigital) v2 REST client: connection check, data fields, address books.

One :class:`DotmailerClient` per integration account (HTTP Basic with the API user). The first
call is ``GET /v2/account-info`` on r1 (or on the configured override URL); its ``ApiEndpoint``
becomes the base of every other call once :mod:`reconciler.providers.endpoints` trusts it (an
official host, or exactly the override's origin), so credentials are never sent to a host the API
did not vouch for (dotdigital-api-v2.md §1, M2 ``validateEndpoint``).
Retries, the rate limiter and error translation are :mod:`reconciler.providers.http`.
"""

from __future__ import annotations

import base64
import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

from reconciler.errors import ConflictError, RemoteError, UntrustedEndpointError
from reconciler.model import RemoteAddressBook, RemoteDataField
from reconciler.providers.endpoints import normalise_endpoint, trusted_api_endpoint
from reconciler.providers.http import (
    Caller,
    RetryPolicy,
    error_text,
    json_message,
    safe_url,
)
from reconciler.providers.limits import RateLimiter
from reconciler.providers.transport import shared_client

__all__ = [
    "DEFAULT_API_URL",
    "AccountInfo",
    "DeleteResult",
    "DotmailerClient",
    "ImportJob",
]

# dotdigital-api-v2.md §1: discovery starts on r1 whatever the account's region.
DEFAULT_API_URL = "https://r1-api.dotdigital.com"
# dotdigital-api-v2.md §2: address books page by select <= 1000.
PAGE_SIZE = 1000
# dotdigital-api-v2.md §4: codes that mean "already exists" on a create.
_DUPLICATE_CODES = ("ERROR_NON_UNIQUE_DATAFIELD", "ERROR_ADDRESSBOOK_DUPLICATE")
_FLAT_LIMIT_CODE = "ERROR_APIUSAGE_EXCEEDED"
_DELETE_ACCEPT = "application/octet-stream, application/json"


@dataclass(frozen=True)
class AccountInfo:
    """``GET /v2/account-info``: the account id, its properties, and the endpoint in use."""

    id: int
    api_endpoint: str  # base URL for every other call, without /v2 and without a trailing slash
    properties: tuple[tuple[str, str], ...]  # (name, value), as the API lists them

    def get(self, name: str) -> str | None:
        return next((value for key, value in self.properties if key == name), None)


@dataclass(frozen=True)
class DeleteResult:
    """``DELETE /v2/data-fields/{name}``: false with the dependencies when the field is in use."""

    result: bool
    dependencies: tuple[str, ...] = ()


@dataclass(frozen=True)
class ImportJob:
    id: str
    status: str  # Finished, NotFinished, RejectedByWatchdog, ... (dotdigital-api-v2.md §2)


def _error_code(text: str) -> str:
    """dotdigital-api-v2.md §3: the ERROR_ code is the last whitespace-separated token."""
    words = text.split()
    return words[-1] if words and words[-1].startswith("ERROR_") else ""


def _classify(response: httpx.Response, text: str) -> type[RemoteError] | None:
    if response.status_code == 400 and _error_code(text) in _DUPLICATE_CODES:
        return ConflictError
    return None


def _is_flat_limited(response: httpx.Response) -> bool:
    """Flat scheme overrun: 400 ``... ERROR_APIUSAGE_EXCEEDED`` (dotdigital-api-v2.md §4)."""
    return response.status_code == 400 and _error_code(json_message(response)) == _FLAT_LIMIT_CODE


class DotmailerClient:
    """The v2 API for one account. Thread-safe; close it when done."""

    def __init__(
        self,
        username: str,
        password: str,
        *,
        api_url: str | None = None,
        transport: httpx.BaseTransport | None = None,
        http: httpx.Client | None = None,
        timeout: float = 121.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        limiter: RateLimiter | None = None,
        policy: RetryPolicy | None = None,
        rand: random.Random | None = None,
    ) -> None:
        self.username = username
        self._override = normalise_endpoint(api_url) if api_url else None
        self._start = self._override or DEFAULT_API_URL
        self._endpoint: str | None = None
        self._discover_lock = threading.Lock()
        # Credentials go with each request, never on the client, so one client (``http``, from
        # DotmailerClients) can serve every account on a host without mixing them. TLS stays
        # verified (shared_client); a client made here is this account's and closed with it.
        self._auth = httpx.BasicAuth(username, password)
        self._owns_http = http is None
        self._http = http or shared_client(
            timeout=timeout, transport=transport, headers={"Accept": "application/json"}
        )
        self.limiter = limiter or RateLimiter(clock=clock, sleep=sleep)
        self._caller = Caller(
            self._http,
            service="dotmailer",
            limiter=self.limiter,
            policy=policy,
            sleep=sleep,
            clock=clock,
            rand=rand,
            message_of=json_message,
            is_rate_limited=_is_flat_limited,
            classify=_classify,
        )

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> DotmailerClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _call(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """Every request of this account, with its own credentials."""
        return self._caller.request(method, url, auth=self._auth, **kwargs)

    # -- connection and region --------------------------------------------------------------

    def account_info(self) -> AccountInfo:
        """Check connection: read account-info on r1 and adopt its ApiEndpoint if trusted."""
        url = f"{self._start}/v2/account-info"
        response = self._call("GET", url, idempotent=True)
        payload = _json(response, "GET", url)
        properties = payload.get("properties") if isinstance(payload, dict) else None
        if not isinstance(properties, list):
            raise RemoteError(
                "dotmailer: account-info answered without properties", method="GET", url=url
            )
        pairs = tuple(
            (str(p.get("name")), str(p.get("value")))
            for p in properties
            if isinstance(p, dict) and p.get("name") is not None
        )
        raw_endpoint = next((v for k, v in pairs if k == "ApiEndpoint"), None)
        if not raw_endpoint:
            raise RemoteError(
                "dotmailer: account-info names no ApiEndpoint", method="GET", url=safe_url(url)
            )
        if not trusted_api_endpoint(raw_endpoint, self._override):
            which = (
                "neither an official Dotdigital API host nor the origin of the API URL override "
                f"{safe_url(self._override)}"
                if self._override
                else "not an official Dotdigital API host"
            )
            raise UntrustedEndpointError(
                f"dotmailer: account-info named ApiEndpoint {safe_url(raw_endpoint)}, which is "
                f"{which}; credentials are not sent there",
                method="GET",
                url=safe_url(url),
            )
        endpoint = normalise_endpoint(raw_endpoint)
        with self._discover_lock:
            self._endpoint = endpoint
        account_id = payload.get("id") if isinstance(payload, dict) else None
        return AccountInfo(
            id=int(account_id) if isinstance(account_id, int) else 0,
            api_endpoint=endpoint,
            properties=pairs,
        )

    def _url(self, path: str) -> str:
        """The regional URL of ``path``; discovers the endpoint on first use."""
        with self._discover_lock:
            endpoint = self._endpoint
        if endpoint is None:
            endpoint = self.account_info().api_endpoint
        return f"{endpoint}/v2{path}"

    # -- data fields ----------------------------------------------------------------------------

    def list_data_fields(self) -> list[RemoteDataField]:
        """``GET /v2/data-fields``: every field, built-ins included (not paged)."""
        url = self._url("/data-fields")
        payload = _json(self._call("GET", url, idempotent=True), "GET", url)
        return [_data_field(item) for item in _list(payload, "GET", url)]

    def create_data_field(
        self,
        name: str,
        type: str,
        visibility: str,
        default: str | int | float | bool | None,
    ) -> RemoteDataField:
        """``POST /v2/data-fields``; an existing name raises ConflictError."""
        url = self._url("/data-fields")
        body = {"name": name, "type": type, "visibility": visibility, "defaultValue": default}
        response = self._call("POST", url, idempotent=False, json=body)
        if response.content:  # DF echoes the field; SW declares no body
            payload = _json(response, "POST", url)
            if isinstance(payload, dict) and "name" in payload:
                field = _data_field(payload)
                _same_object(response, "data field", name, field.name, "")
                return field
        return RemoteDataField(name=name.upper(), type=type, visibility=visibility, default=default)

    def delete_data_field(self, name: str) -> DeleteResult:
        """``DELETE /v2/data-fields/{name}``: result false (with dependencies) when in use."""
        url = self._url(f"/data-fields/{quote(name, safe='')}")
        response = self._call("DELETE", url, idempotent=True, allow=(409,))
        payload = _json(response, "DELETE", url) if response.content else {}
        if response.status_code == 409:  # SW: ProblemDetails
            detail = error_text(payload)
            return DeleteResult(False, (detail,) if detail else ())
        if not isinstance(payload, dict):
            return DeleteResult(True)
        return DeleteResult(
            result=bool(payload.get("result", True)),
            dependencies=tuple(_dependency(d) for d in payload.get("dependencies") or ()),
        )

    # -- address books ----------------------------------------------------------------------------

    def list_address_books(self) -> list[RemoteAddressBook]:
        """``GET /v2/address-books`` page by page (select/skip) until a short page.

        The built-in books ("All Contacts", "Test") are listed as the API lists them.
        """
        url = self._url("/address-books")
        books: list[RemoteAddressBook] = []
        skip = 0
        while True:
            params = {"select": PAGE_SIZE, "skip": skip}
            response = self._call("GET", url, idempotent=True, params=params)
            page = _list(_json(response, "GET", url), "GET", url)
            books.extend(_address_book(item) for item in page)
            if len(page) < PAGE_SIZE:
                return books
            skip += PAGE_SIZE

    def create_address_book(self, name: str, visibility: str) -> RemoteAddressBook:
        """``POST /v2/address-books``; an existing name raises ConflictError."""
        url = self._url("/address-books")
        body = {"name": name, "visibility": visibility}
        response = self._call("POST", url, idempotent=False, json=body)
        book = _address_book(_json(response, "POST", url))
        _same_object(response, "address book", name, book.name, f" (id {book.id})")
        return book

    def update_address_book(self, id: int, name: str, visibility: str) -> RemoteAddressBook:
        """``PUT /v2/address-books/{id}``: rename and/or change visibility."""
        url = self._url(f"/address-books/{int(id)}")
        body = {"name": name, "visibility": visibility}
        response = self._call("PUT", url, idempotent=True, json=body)
        return _address_book(_json(response, "PUT", url))

    def delete_address_book(self, id: int) -> None:
        """``DELETE /v2/address-books/{id}``; an unknown id raises NotFoundError.

        The official v2 Swagger answers 200 with an empty ``application/octet-stream`` body,
        the Lists / Address books spec 204 (dotdigital-v2-api-swagger.json and
        Dotdigital-dotdigital-lists-address-books-2.0.0-resolved.yaml): both are success, and
        the Accept names both media types, so a server that negotiates strictly answers
        rather than 406; errors still come as JSON."""
        url = self._url(f"/address-books/{int(id)}")
        self._call("DELETE", url, idempotent=True, headers={"Accept": _DELETE_ACCEPT})

    # -- contact import -------------------------------------------------------------------------

    def import_contacts(
        self, book_id: int, csv_bytes: bytes, *, file_name: str = "contacts.csv"
    ) -> ImportJob:
        """``POST /v2/address-books/{id}/contacts/import`` with JSON ApiFileMedia (202)."""
        url = self._url(f"/address-books/{int(book_id)}/contacts/import")
        body = {"fileName": file_name, "data": base64.b64encode(csv_bytes).decode("ascii")}
        response = self._call("POST", url, idempotent=False, json=body)
        return _import_job(_json(response, "POST", url))

    def import_status(self, import_id: str) -> ImportJob:
        """``GET /v2/contacts/import/{id}``."""
        url = self._url(f"/contacts/import/{quote(import_id, safe='')}")
        response = self._call("GET", url, idempotent=True)
        return _import_job(_json(response, "GET", url))


# --- decoding ----------------------------------------------------------------------------------


def _json(response: httpx.Response, method: str, url: str) -> Any:
    try:
        return response.json()
    except ValueError:
        raise RemoteError(
            "dotmailer: the answer is not JSON",
            method=method,
            url=safe_url(url),
            status=response.status_code,
        ) from None


def _same_object(
    response: httpx.Response, kind: str, asked: str, answered: str, extra: str
) -> None:
    """A create must answer with the object it made: a server that names another one (a
    spec-generated mock answers every create with ``"name": "string"``) is not believed, so
    nothing is recorded under an id that belongs to something else. Names compare
    case-insensitively, as the API keeps them unique (dotdigital-api-v2.md §3 name rules; a
    data field's name comes back upper-cased)."""
    if answered.casefold() != asked.casefold():
        raise RemoteError(
            f'dotmailer: the create answered with {kind} "{answered}"{extra}, not the '
            f'"{asked}" it was asked to make',
            method=response.request.method,
            url=safe_url(response.request.url),
            status=response.status_code,
        )


def _list(payload: Any, method: str, url: str) -> list[Mapping[str, Any]]:
    if not isinstance(payload, list):
        raise RemoteError("dotmailer: expected a JSON array", method=method, url=safe_url(url))
    return [item for item in payload if isinstance(item, dict)]


def _data_field(item: Mapping[str, Any]) -> RemoteDataField:
    return RemoteDataField(
        name=str(item["name"]),
        type=str(item.get("type", "")),
        visibility=str(item.get("visibility", "")),
        default=item.get("defaultValue"),
    )


def _address_book(item: Any) -> RemoteAddressBook:
    if not isinstance(item, dict) or "id" not in item:
        raise RemoteError("dotmailer: expected an address book object")
    return RemoteAddressBook(
        id=int(item["id"]),
        name=str(item.get("name", "")),
        visibility=str(item.get("visibility", "")),
        contacts=int(item.get("contacts") or 0),
    )


def _dependency(item: Any) -> str:
    """DF lists sentences ("Used in program 12345"); SW lists {type, objectId}."""
    if isinstance(item, dict):
        return f"{item.get('type', 'object')} {item.get('objectId', '?')}"
    return str(item)


def _import_job(item: Any) -> ImportJob:
    if not isinstance(item, dict) or "id" not in item:
        raise RemoteError("dotmailer: expected an import object")
    return ImportJob(id=str(item["id"]), status=str(item.get("status", "Unknown")))
