"""The Oro back-office JSON:API client (oro-jsonapi.md; the extended contract is docs/oro-api.md).

One :class:`OroClient` per Oro instance. It takes an OAuth2 client-credentials token from
``{base_url}/oauth2-token``, caches it, renews it shortly before it expires and once on a 401,
speaks ``application/vnd.api+json`` both ways, reads whole lists in one call (``page[size]=-1``,
following ``links.next`` where a server caps the page size) and returns frozen dataclasses from
:mod:`reconciler.model`. Retries, backoff and error translation are the shared policy of
:mod:`reconciler.providers.http`: every error names method and URL, never a credential.

A stock Oro exposes ``integrationchannels`` read-only and none of the dotmailer entities; a call
that meets that (405, or 404 ``resource not accessible exception``) raises
:class:`reconciler.errors.UnsupportedServerError` with one sentence saying what to enable.
"""

from __future__ import annotations

import json
import random
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from reconciler.errors import ConflictError, RemoteError, UnsupportedServerError
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
from reconciler.providers.http import Caller, RetryPolicy, safe_url, tls_context

__all__ = ["JSONAPI", "OroClient"]

JSONAPI = "application/vnd.api+json"
Resource = dict[str, Any]
# oro-jsonapi.md §7: jobs report the stored status, e.g. "oro.message_queue_job.status.running".
_JOB_STATUS_PREFIX = "oro.message_queue_job.status."
# Renew a token this long before it expires (or a tenth of its lifetime, if shorter).
_RENEW_MARGIN = 60.0
_MAX_PAGE = re.compile(r"less than or equals to (\d+)")
_PAGE_WORKERS = 8  # pages of one capped list fetched at once
_UNSUPPORTED_404 = ("resource not accessible exception", "entity type constraint")
ENABLE_HINT = (
    "enable the extended API contract in that Oro application (docs/oro-api.yml as "
    "Resources/config/oro/api.yml; see docs/oro-api.md)"
)


def jsonapi_message(response: httpx.Response) -> str:
    """The server's own words: JSON:API ``errors[]`` or the OAuth2 ``message`` (§2, §5)."""
    try:
        payload: Any = json.loads(response.content.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        return response.text.strip()[:200]
    if isinstance(payload, dict) and isinstance(payload.get("errors"), list):
        parts = []
        for error in payload["errors"]:
            if not isinstance(error, dict):
                continue
            text = f"{error.get('title', '')}: {error.get('detail', '')}".strip(": ")
            source = error.get("source") or {}
            where = source.get("pointer") or source.get("parameter")
            parts.append(f"{text} ({where})" if where else text)
        return "; ".join(parts)
    if isinstance(payload, dict) and isinstance(payload.get("message"), str):
        return str(payload["message"])
    return ""


def _classify(response: httpx.Response, text: str) -> type[RemoteError] | None:
    if response.status_code == 405:
        return UnsupportedServerError
    if response.status_code == 404 and any(title in text for title in _UNSUPPORTED_404):
        return UnsupportedServerError
    return None


class OroClient:
    """Typed calls over the Oro JSON:API. Thread-safe: one token is shared by all threads."""

    def __init__(
        self,
        base_url: str,
        client_id: str,
        client_secret: str,
        *,
        api_base: str = "/admin/api",
        transport: httpx.BaseTransport | None = None,
        timeout: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        policy: RetryPolicy | None = None,
        rand: random.Random | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.api_base = "/" + api_base.strip("/")
        self._client_id = client_id
        self._client_secret = client_secret
        self._clock = clock
        self._http = httpx.Client(
            base_url=self.base_url, transport=transport, timeout=timeout, verify=tls_context()
        )
        self._caller = Caller(
            self._http,
            service="oro",
            policy=policy,
            sleep=sleep,
            clock=clock,
            rand=rand,
            message_of=jsonapi_message,
            classify=_classify,
        )
        self._token_lock = threading.Lock()
        self._token: str | None = None
        self._renew_at = 0.0

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> OroClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- lookups (stock Oro resources) --------------------------------------------------

    def list_users(self, usernames: Sequence[str]) -> list[LiveUser]:
        """The users with these usernames (one filtered call; missing ones are just absent)."""
        wanted = sorted(set(usernames))
        if not wanted:
            return []
        found = {u.username: u for u in self._users(",".join(wanted))}
        missing = [name for name in wanted if name not in found]
        if len(wanted) > 1 and len(missing) == len(wanted):
            # A stock Oro has no allow_array on username (oro-jsonapi.md §4): ask one by one.
            for name in missing:
                found.update((u.username, u) for u in self._users(name))
        return [found[name] for name in wanted if name in found]

    def _users(self, usernames: str) -> list[LiveUser]:
        data, _ = self._list("users", {"filter[username]": usernames})
        return [_user(r) for r in data]

    def list_organizations(self) -> list[Organization]:
        data, _ = self._list("organizations")
        return [Organization(id=r["id"], name=_attr(r, "name")) for r in data]

    def list_business_units(self) -> list[BusinessUnit]:
        data, _ = self._list("businessunits")
        return [
            BusinessUnit(id=r["id"], name=_attr(r, "name"), organization_id=_rel(r, "organization"))
            for r in data
        ]

    def list_marketing_lists(self) -> list[MarketingList]:
        data, _ = self._list("marketinglists")
        return [
            MarketingList(id=r["id"], name=_attr(r, "name"), entity=_attr(r, "entity"))
            for r in data
        ]

    # -- integrations and transports ----------------------------------------------------

    def list_integrations(self) -> list[OroIntegration]:
        """Every dotmailer integration, with its transport, in one call."""
        params = {"filter[type]": "dotmailer", "include": "transport"}
        try:
            data, included = self._list("integrationchannels", params)
        except RemoteError as exc:
            # Stock Oro: no type filter and the transport association is excluded (§6).
            if exc.status != 400 or not re.search(r"\((filter\[type\]|include)\)", exc.api_message):
                raise
            raise _unsupported(
                UnsupportedServerError(
                    "",
                    method=exc.method,
                    url=exc.url,
                    status=exc.status,
                    api_message=exc.api_message,
                ),
                "GET",
                self._url("integrationchannels"),
            ) from None
        transports = _by_key(included, "dotmailertransports")
        return [_integration(r, transports.get(_rel(r, "transport") or "")) for r in data]

    def create_integration(
        self,
        name: str,
        enabled: bool,
        organization_id: str,
        owner_user_id: str,
        business_unit_id: str | None,
        username: str,
        password: str,
        client_id: str | None,
        client_key: str | None,
        custom_domain: str | None,
    ) -> OroIntegration:
        transport = {"username": username, "password": password, "customDomain": custom_domain}
        transport["clientId"] = client_id
        if client_key is not None:
            transport["clientKey"] = client_key
        relationships = {
            "transport": _ref("dotmailertransports", "transport-1"),
            "organization": _ref("organizations", organization_id),
            "defaultUserOwner": _ref("users", owner_user_id),
        }
        if business_unit_id is not None:
            relationships["defaultBusinessUnitOwner"] = _ref("businessunits", business_unit_id)
        doc = {
            "data": {
                "type": "integrationchannels",
                "attributes": {"name": name, "type": "dotmailer", "enabled": enabled},
                "relationships": relationships,
            },
            "included": [
                {"type": "dotmailertransports", "id": "transport-1", "attributes": transport}
            ],
        }
        body = self._send("POST", "integrationchannels", doc)
        transports = _by_key(body.get("included", []), "dotmailertransports")
        return _integration(body["data"], transports.get(_rel(body["data"], "transport") or ""))

    def update_integration(self, id: str, transport_id: str, **changed: Any) -> OroIntegration:
        """Change only the given fields; ``password``/``client_key`` only when given."""
        unknown = sorted(set(changed) - _CHANNEL_FIELDS.keys() - _TRANSPORT_FIELDS.keys())
        if unknown:
            raise TypeError(f"update_integration: unknown fields {', '.join(unknown)}")
        transport_attrs = {
            _TRANSPORT_FIELDS[k]: v
            for k, v in changed.items()
            if k in _TRANSPORT_FIELDS and not (k in ("password", "client_key") and v is None)
        }
        if transport_attrs:
            doc = _patch_doc("dotmailertransports", transport_id, transport_attrs)
            self._send("PATCH", f"dotmailertransports/{transport_id}", doc)
        attributes: dict[str, Any] = {}
        relationships: dict[str, Any] = {}
        for key, value in changed.items():
            if key not in _CHANNEL_FIELDS:
                continue
            name, target = _CHANNEL_FIELDS[key]
            if target is None:
                attributes[name] = value
            else:
                relationships[name] = {"data": None} if value is None else _ref(target, value)
        params = {"include": "transport"}
        if attributes or relationships:
            doc = _patch_doc("integrationchannels", id, attributes, relationships)
            body = self._send("PATCH", f"integrationchannels/{id}", doc, params=params)
        else:
            body = self._get(f"integrationchannels/{id}", params)
        transports = _by_key(body.get("included", []), "dotmailertransports")
        return _integration(body["data"], transports.get(transport_id))

    def delete_integration(self, id: str) -> None:
        self._send("DELETE", f"integrationchannels/{id}")

    # -- data fields --------------------------------------------------------------------

    def list_data_fields(self) -> list[OroDataField]:
        """The data fields of every integration, in one call."""
        data, _ = self._list("dotmailerdatafields")
        return [_data_field(r) for r in data]

    def create_data_field(
        self,
        channel_id: str,
        name: str,
        type: str,
        visibility: str,
        default: str | int | float | bool | None,
        notes: str | None,
    ) -> OroDataField:
        doc = {
            "data": {
                "type": "dotmailerdatafields",
                "attributes": {"name": name, "defaultValue": _default(default), "notes": notes},
                "relationships": {
                    "channel": _ref("integrationchannels", channel_id),
                    "type": _ref("dotmailerdatafieldtypes", type),
                    "visibility": _ref("dotmailerdatafieldvisibilities", visibility),
                },
            }
        }
        return _data_field(self._send("POST", "dotmailerdatafields", doc)["data"])

    def update_data_field_notes(self, id: str, notes: str | None) -> OroDataField:
        doc = _patch_doc("dotmailerdatafields", id, {"notes": notes})
        return _data_field(self._send("PATCH", f"dotmailerdatafields/{id}", doc)["data"])

    def delete_data_field(self, id: str) -> None:
        """Oro cascades the mapping configs that use the field (bundle §2)."""
        self._send("DELETE", f"dotmailerdatafields/{id}")

    # -- address books ------------------------------------------------------------------

    def list_address_books(self) -> list[OroAddressBook]:
        data, _ = self._list("dotmaileraddressbooks")
        return [_address_book(r) for r in data]

    def create_address_book(
        self,
        channel_id: str,
        origin_id: int,
        name: str,
        visibility: str,
        marketing_list_id: str | None,
        create_entities: bool,
    ) -> OroAddressBook:
        relationships = {
            "channel": _ref("integrationchannels", channel_id),
            "visibility": _ref("dotmaileraddressbookvisibilities", visibility),
            "marketingList": _ref("marketinglists", marketing_list_id),
        }
        doc = {
            "data": {
                "type": "dotmaileraddressbooks",
                "attributes": {
                    "name": name,
                    "originId": origin_id,
                    "createEntities": create_entities,
                },
                "relationships": relationships,
            }
        }
        return _address_book(self._send("POST", "dotmaileraddressbooks", doc)["data"])

    def update_address_book(self, id: str, **changed: Any) -> OroAddressBook:
        """Fields: name, visibility, marketing_list_id (None disconnects), create_entities."""
        unknown = sorted(
            set(changed) - {"name", "visibility", "marketing_list_id", "create_entities"}
        )
        if unknown:
            raise TypeError(f"update_address_book: unknown fields {', '.join(unknown)}")
        attributes = {}
        relationships = {}
        if "name" in changed:
            attributes["name"] = changed["name"]
        if "create_entities" in changed:
            attributes["createEntities"] = changed["create_entities"]
        if "visibility" in changed:
            relationships["visibility"] = _ref(
                "dotmaileraddressbookvisibilities", changed["visibility"]
            )
        if "marketing_list_id" in changed:
            relationships["marketingList"] = _ref("marketinglists", changed["marketing_list_id"])
        doc = _patch_doc("dotmaileraddressbooks", id, attributes, relationships)
        return _address_book(self._send("PATCH", f"dotmaileraddressbooks/{id}", doc)["data"])

    def delete_address_book(self, id: str) -> None:
        self._send("DELETE", f"dotmaileraddressbooks/{id}")

    # -- mappings -----------------------------------------------------------------------

    def list_mappings(self) -> list[OroMapping]:
        """Every mapping with its configs, in one call."""
        data, included = self._list("dotmailerdatafieldmappings", {"include": "configs"})
        configs = _by_key(included, "dotmailerdatafieldmappingconfigs")
        return [_mapping(r, configs) for r in data]

    def create_mapping(
        self,
        channel_id: str,
        entity: str,
        sync_priority: int,
        configs: Sequence[tuple[str, Sequence[str], bool]],
    ) -> OroMapping:
        """``configs`` are ``(data_field_id, entity_fields, two_way_sync)``."""
        doc = _mapping_doc(configs, {"entity": entity, "syncPriority": sync_priority})
        doc["data"]["relationships"]["channel"] = _ref("integrationchannels", channel_id)
        body = self._send("POST", "dotmailerdatafieldmappings", doc)
        return _mapping(body["data"], _by_key(body.get("included", []), _CONFIGS))

    def update_mapping(
        self,
        id: str,
        *,
        sync_priority: int | None = None,
        configs: Sequence[tuple[str, Sequence[str], bool]] | None = None,
    ) -> OroMapping:
        """Change the priority and/or replace the whole set of configs."""
        attributes = {} if sync_priority is None else {"syncPriority": sync_priority}
        if configs is None:
            doc = _patch_doc("dotmailerdatafieldmappings", id, attributes)
        else:
            doc = _mapping_doc(configs, attributes)
            doc["data"]["id"] = id
        body = self._send(
            "PATCH", f"dotmailerdatafieldmappings/{id}", doc, params={"include": "configs"}
        )
        return _mapping(body["data"], _by_key(body.get("included", []), _CONFIGS))

    def delete_mapping(self, id: str) -> None:
        self._send("DELETE", f"dotmailerdatafieldmappings/{id}")

    # -- sync scheduling ([OURS], oro-jsonapi.md §9 F) ----------------------------------

    def schedule_sync(self, integration_id: str, connector: str | None, force: bool) -> SyncJob:
        """Schedule a sync; when one is already new/running, return that job instead."""
        doc = {
            "data": {
                "type": "integrationsyncs",
                "attributes": {"connector": connector, "force": force},
                "relationships": {"integration": _ref("integrationchannels", integration_id)},
            }
        }
        response = self._call(
            "POST", self._url("integrationsyncs"), idempotent=False, doc=doc, allow=(409,)
        )
        body = _document(response)
        if response.status_code == 409:
            # The duplicate is refused with the job that is already new/running (§9 F).
            job_ids = [(e.get("meta") or {}).get("jobId") for e in body.get("errors") or []]
            job_id = next((str(j) for j in job_ids if j is not None), None)
            if job_id is None:
                raise ConflictError(
                    "oro: conflict",
                    method="POST",
                    url=safe_url(response.request.url),
                    status=409,
                    api_message=jsonapi_message(response),
                )
            return self.get_job(job_id)
        attrs = body["data"]["attributes"]
        return SyncJob(id=str(attrs["jobId"]), name=attrs["jobName"], status=_bare(attrs["status"]))

    def get_job(self, id: str) -> SyncJob:
        attrs = self._get(f"oro_message_queue_jobs/{id}")["data"]["attributes"]
        return SyncJob(
            id=str(id),
            name=attrs["name"],
            status=_bare(attrs["status"]),
            progress=float(attrs.get("jobProgress") or 0.0),
        )

    # -- plumbing -----------------------------------------------------------------------

    def _list(
        self, type_: str, params: Mapping[str, str] | None = None
    ) -> tuple[list[Resource], list[Resource]]:
        """All pages of a list: ``page[size]=-1``, or the server's cap and ``links.next``."""
        query = {**(params or {}), "page[size]": "-1"}
        try:
            body = self._get(type_, query)
        except RemoteError as exc:
            if exc.status != 400 or "(page[size])" not in exc.api_message:
                raise
            cap = _MAX_PAGE.search(exc.api_message)
            query["page[size]"] = cap.group(1) if cap else "100"
            return self._pages(type_, query)
        data: list[Resource] = list(body.get("data") or [])
        included: list[Resource] = list(body.get("included") or [])
        next_url = (body.get("links") or {}).get("next")
        while next_url:
            body = self._request("GET", str(next_url), idempotent=True)
            data += body.get("data") or []
            included += body.get("included") or []
            next_url = (body.get("links") or {}).get("next")
        return data, included

    def _pages(self, type_: str, query: Mapping[str, str]) -> tuple[list[Resource], list[Resource]]:
        """A capped list: page 1 asks for the total (``X-Include: totalCount``, oro-jsonapi.md
        §3), then the other pages are fetched concurrently, not one after another: 30,000 data
        fields in pages of 1,000 were 30 round trips in a row (docs/performance.md). Without
        the total, ``links.next`` is followed page by page."""
        url = self._url(type_)
        first = self._call("GET", url, idempotent=True, params=query, include="totalCount")
        body = _document(first)
        size = int(query["page[size]"])
        total = _int_or_none(first.headers.get("X-Include-Total-Count"))
        bodies = [body]
        if total is not None and size > 0:
            numbers = range(2, -(-total // size) + 1)
            with ThreadPoolExecutor(
                max_workers=_PAGE_WORKERS, thread_name_prefix="oro-page"
            ) as pool:
                bodies += pool.map(
                    lambda n: self._request(
                        "GET", url, idempotent=True, params={**query, "page[number]": str(n)}
                    ),
                    numbers,
                )
        else:
            next_url = (body.get("links") or {}).get("next")
            while next_url:
                body = self._request("GET", str(next_url), idempotent=True)
                bodies.append(body)
                next_url = (body.get("links") or {}).get("next")
        data = [r for b in bodies for r in b.get("data") or []]
        included = [r for b in bodies for r in b.get("included") or []]
        return data, included

    def _get(self, path: str, params: Mapping[str, str] | None = None) -> dict[str, Any]:
        return self._request("GET", self._url(path), idempotent=True, params=params)

    def _send(
        self,
        method: str,
        path: str,
        doc: Mapping[str, Any] | None = None,
        *,
        params: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        return self._request(
            method, self._url(path), idempotent=method != "POST", doc=doc, params=params
        )

    def _url(self, path: str) -> str:
        return f"{self.api_base}/{path}"

    def _request(
        self,
        method: str,
        url: str,
        *,
        idempotent: bool,
        doc: Mapping[str, Any] | None = None,
        params: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        response = self._call(method, url, idempotent=idempotent, doc=doc, params=params)
        return _document(response)

    def _call(
        self,
        method: str,
        url: str,
        *,
        idempotent: bool,
        doc: Mapping[str, Any] | None = None,
        params: Mapping[str, str] | None = None,
        allow: tuple[int, ...] = (),
        include: str | None = None,
    ) -> httpx.Response:
        """One JSON:API call with the bearer token; a 401 renews the token and retries once.
        ``include`` is sent as ``X-Include`` (e.g. ``totalCount``)."""
        headers = {"Accept": JSONAPI}
        if include is not None:
            headers["X-Include"] = include
        content = None
        if doc is not None:
            headers["Content-Type"] = JSONAPI
            content = json.dumps(doc).encode("utf-8")
        for renewed in (False, True):
            headers["Authorization"] = f"Bearer {self._bearer(force=renewed)}"
            try:
                response = self._caller.request(
                    method,
                    url,
                    idempotent=idempotent,
                    allow=allow if renewed else (*allow, 401),
                    headers=headers,
                    content=content,
                    params=params,
                )
            except UnsupportedServerError as exc:
                raise _unsupported(exc, method, url) from None
            if response.status_code != 401:
                return response
        raise AssertionError("unreachable: the second attempt does not allow 401")

    def _bearer(self, *, force: bool = False) -> str:
        with self._token_lock:
            if force or self._token is None or self._clock() >= self._renew_at:
                self._token = None
                self._fetch_token()
            assert self._token is not None
            return self._token

    def _fetch_token(self) -> None:
        """OAuth2 client credentials (oro-jsonapi.md §2), sent as JSON like Oro's docs."""
        payload = {
            "grant_type": "client_credentials",
            "client_id": self._client_id,
            "client_secret": self._client_secret,
        }
        response = self._caller.request(
            "POST",
            "/oauth2-token",
            idempotent=True,
            json=payload,
            headers={"Accept": "application/json"},
        )
        body = response.json()
        lifetime = float(body.get("expires_in") or 3600)
        self._token = str(body["access_token"])
        self._renew_at = self._clock() + lifetime - min(_RENEW_MARGIN, lifetime / 10)


_CONFIGS = "dotmailerdatafieldmappingconfigs"
_CHANNEL_FIELDS: dict[str, tuple[str, str | None]] = {
    "name": ("name", None),
    "enabled": ("enabled", None),
    "organization_id": ("organization", "organizations"),
    "owner_user_id": ("defaultUserOwner", "users"),
    "business_unit_id": ("defaultBusinessUnitOwner", "businessunits"),
}
_TRANSPORT_FIELDS: dict[str, str] = {
    "username": "username",
    "password": "password",
    "client_id": "clientId",
    "client_key": "clientKey",
    "custom_domain": "customDomain",
}


# --- documents -> model -------------------------------------------------------------------


def _int_or_none(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _document(response: httpx.Response) -> dict[str, Any]:
    if response.status_code == 204 or not response.content:
        return {}
    try:
        body = response.json()
    except ValueError:
        raise RemoteError(
            "oro: the answer is not JSON",
            method=response.request.method,
            url=safe_url(response.request.url),
            status=response.status_code,
        ) from None
    return body if isinstance(body, dict) else {}


def _unsupported(exc: UnsupportedServerError, method: str, url: str) -> UnsupportedServerError:
    parts = url.split("?")[0].rstrip("/").split("/")
    name = next((p for p in reversed(parts) if p and not p.isdigit()), url)
    verb = {"GET": "read", "POST": "create", "PATCH": "update", "DELETE": "delete"}
    return UnsupportedServerError(
        f"oro: this Oro does not let the API {verb.get(method, method)} {name}; {ENABLE_HINT}",
        method=exc.method,
        url=exc.url,
        status=exc.status,
        api_message=exc.api_message,
    )


def _attr(resource: Resource, name: str) -> Any:
    return (resource.get("attributes") or {}).get(name)


def _rel(resource: Resource, name: str) -> str | None:
    data = ((resource.get("relationships") or {}).get(name) or {}).get("data")
    return str(data["id"]) if isinstance(data, dict) else None


def _rels(resource: Resource, name: str) -> list[str]:
    data = ((resource.get("relationships") or {}).get(name) or {}).get("data")
    return [str(d["id"]) for d in data] if isinstance(data, list) else []


def _ref(type_: str, id_: str | None) -> dict[str, Any]:
    return {"data": None if id_ is None else {"type": type_, "id": str(id_)}}


def _patch_doc(
    type_: str,
    id_: str,
    attributes: Mapping[str, Any],
    relationships: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    data: dict[str, Any] = {"type": type_, "id": str(id_)}
    if attributes:
        data["attributes"] = dict(attributes)
    if relationships:
        data["relationships"] = dict(relationships)
    return {"data": data}


def _mapping_doc(
    configs: Sequence[tuple[str, Sequence[str], bool]], attributes: Mapping[str, Any]
) -> dict[str, Any]:
    included = [
        {
            "type": _CONFIGS,
            "id": f"config-{n}",
            "attributes": {"entityFields": ",".join(fields), "isTwoWaySync": two_way},
            "relationships": {"dataField": _ref("dotmailerdatafields", field_id)},
        }
        for n, (field_id, fields, two_way) in enumerate(configs, start=1)
    ]
    data: dict[str, Any] = {
        "type": "dotmailerdatafieldmappings",
        "relationships": {
            "configs": {"data": [{"type": _CONFIGS, "id": i["id"]} for i in included]}
        },
    }
    if attributes:
        data["attributes"] = dict(attributes)
    return {"data": data, "included": included}


def _by_key(resources: Iterable[Resource], type_: str) -> dict[str, Resource]:
    return {str(r["id"]): r for r in resources if r.get("type") == type_}


def _user(r: Resource) -> LiveUser:
    orgs = _rels(r, "organizations") or [o for o in [_rel(r, "organization")] if o]
    units = _rels(r, "businessUnits") or [b for b in [_rel(r, "owner")] if b]
    return LiveUser(
        id=str(r["id"]),
        username=_attr(r, "username"),
        enabled=bool(_attr(r, "enabled")),
        organization_ids=tuple(sorted(orgs, key=_id_key)),
        business_unit_ids=tuple(sorted(units, key=_id_key)),
    )


def _integration(r: Resource, transport: Resource | None) -> OroIntegration:
    t = transport or {}
    return OroIntegration(
        id=str(r["id"]),
        name=_attr(r, "name"),
        enabled=bool(_attr(r, "enabled")),
        organization_id=_rel(r, "organization"),
        owner_user_id=_rel(r, "defaultUserOwner"),
        business_unit_id=_rel(r, "defaultBusinessUnitOwner"),
        username=_attr(t, "username") or "",
        client_id=_attr(t, "clientId"),
        custom_domain=_attr(t, "customDomain"),
        transport_id=_rel(r, "transport") or str(t.get("id", "")),
    )


def _data_field(r: Resource) -> OroDataField:
    default = _attr(r, "defaultValue")
    return OroDataField(
        id=str(r["id"]),
        channel_id=_rel(r, "channel") or "",
        name=_attr(r, "name"),
        type=_rel(r, "type") or "",
        visibility=_rel(r, "visibility") or "",
        default=None if default is None else str(default),
        notes=_attr(r, "notes"),
    )


def _address_book(r: Resource) -> OroAddressBook:
    origin = _attr(r, "originId")
    return OroAddressBook(
        id=str(r["id"]),
        channel_id=_rel(r, "channel") or "",
        name=_attr(r, "name"),
        visibility=_rel(r, "visibility") or "",
        origin_id=None if origin is None else int(origin),
        marketing_list_id=_rel(r, "marketingList"),
        create_entities=bool(_attr(r, "createEntities")),
    )


def _mapping(r: Resource, configs: Mapping[str, Resource]) -> OroMapping:
    rows = [configs[c] for c in _rels(r, "configs") if c in configs]
    return OroMapping(
        id=str(r["id"]),
        channel_id=_rel(r, "channel") or "",
        entity=_attr(r, "entity"),
        sync_priority=int(_attr(r, "syncPriority") or 0),
        configs=tuple(
            sorted(
                (
                    OroMappingConfig(
                        id=str(c["id"]),
                        data_field_id=_rel(c, "dataField") or "",
                        entity_fields=tuple(
                            f.strip() for f in (_attr(c, "entityFields") or "").split(",") if f
                        ),
                        two_way_sync=bool(_attr(c, "isTwoWaySync")),
                    )
                    for c in rows
                ),
                key=lambda c: _id_key(c.id),
            )
        ),
    )


def _default(value: str | int | float | bool | None) -> str | None:
    """Oro stores defaultValue as a string; booleans as Yes/No (bundle §2)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "Yes" if value else "No"
    return str(value)


def _bare(status: str) -> str:
    return status.removeprefix(_JOB_STATUS_PREFIX)


def _id_key(value: str) -> tuple[int, str]:
    return (int(value), "") if value.isdigit() else (1 << 62, value)
