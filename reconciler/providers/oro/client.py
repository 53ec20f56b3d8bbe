"""The Oro back-office JSON:API client (oro-jsonapi.md; the extended contract is docs/oro-api.md).

One :class:`OroClient` per Oro instance: the resource methods (``list_*``, ``create_*``,
``update_*``, ``delete_*``, ``schedule_sync``, ``get_job``) returning frozen dataclasses from
:mod:`reconciler.model`. The token, the calls and their errors, and paging are
:mod:`reconciler.providers.oro.session`; the bodies sent and read are
:mod:`reconciler.providers.oro.documents`.
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Callable, Sequence
from typing import Any

import httpx

from reconciler.errors import NotFoundError, RemoteError, UnsupportedServerError
from reconciler.model import (
    BusinessUnit,
    LiveUser,
    MarketingList,
    Organization,
    OroAddressBook,
    OroDataField,
    OroIntegration,
    OroMapping,
    SyncJob,
)
from reconciler.providers.http import RetryPolicy
from reconciler.providers.oro.documents import (
    ADDRESS_BOOK_FIELDS,
    CHANNEL_FIELDS,
    CONFIGS,
    TRANSPORT_FIELDS,
    MappingConfigs,
    NewIntegration,
    address_book_doc,
    address_book_patch,
    attr,
    by_key,
    data_field_doc,
    integration_doc,
    integration_patches,
    mapping_doc,
    patch_doc,
    ref,
    rel,
    sync_doc,
    to_address_book,
    to_data_field,
    to_entity_fields,
    to_integration,
    to_mapping,
    to_sync_job,
    to_user,
)
from reconciler.providers.oro.session import OroSession, document, unsupported

__all__ = ["OroClient"]


# The lists of every integration's data fields and address books (30,000 and 5,000 at 1,000
# integrations) ask for the fields to_data_field / to_address_book read, and no others (not
# owner, createdAt, contactCount, the import times): JSON:API sparse fieldsets, which Oro
# honours ("fields[TYPE]", oroinc/platform ApiBundle Processor/GetConfig/FilterFieldsByExtra.php:
# fields not listed are excluded, the id always stays; oro-jsonapi.md §3). Less for Oro to
# build and for this tool to read (benchmarks/scale.py, the no-change plan).
_DATA_FIELD_FIELDS = {
    "fields[dotmailerdatafields]": "name,defaultValue,notes,channel,type,visibility"
}
_ADDRESS_BOOK_FIELDS = {
    "fields[dotmaileraddressbooks]": "name,originId,createEntities,channel,visibility,marketingList"
}


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
        self._session = OroSession(
            base_url,
            client_id,
            client_secret,
            api_base=api_base,
            transport=transport,
            timeout=timeout,
            sleep=sleep,
            clock=clock,
            policy=policy,
            rand=rand,
        )
        self.base_url = self._session.base_url
        self.api_base = self._session.api_base

    def close(self) -> None:
        self._session.close()

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

    def list_users_by_id(self, ids: Sequence[str]) -> list[LiveUser]:
        """The users with these ids, in one call: ``filter[id]`` takes a comma list in stock
        Oro too (oro-jsonapi.md §9 C; ``allow_array`` is off only for string, boolean and date
        filters, §4). Missing ones are just absent."""
        wanted = sorted(set(ids), key=lambda i: (len(i), i))
        if not wanted:
            return []
        data, _ = self._session.list_all("users", {"filter[id]": ",".join(wanted)})
        return [to_user(r) for r in data]

    def _users(self, usernames: str) -> list[LiveUser]:
        data, _ = self._session.list_all("users", {"filter[username]": usernames})
        return [to_user(r) for r in data]

    def list_organizations(self) -> list[Organization]:
        data, _ = self._session.list_all("organizations")
        return [Organization(id=r["id"], name=attr(r, "name")) for r in data]

    def list_business_units(self) -> list[BusinessUnit]:
        data, _ = self._session.list_all("businessunits")
        return [
            BusinessUnit(id=r["id"], name=attr(r, "name"), organization_id=rel(r, "organization"))
            for r in data
        ]

    def list_marketing_lists(self) -> list[MarketingList]:
        data, _ = self._session.list_all("marketinglists")
        return [
            MarketingList(id=r["id"], name=attr(r, "name"), entity=attr(r, "entity")) for r in data
        ]

    # -- integrations and transports ----------------------------------------------------

    def list_integrations(self) -> list[OroIntegration]:
        """Every dotmailer integration, with its transport, in one call."""
        params = {"filter[type]": "dotmailer", "include": "transport"}
        try:
            data, included = self._session.list_all("integrationchannels", params)
        except RemoteError as exc:
            # Stock Oro: no type filter and the transport association is excluded (§6).
            if exc.status != 400 or not re.search(r"\((filter\[type\]|include)\)", exc.api_message):
                raise
            raise unsupported(
                UnsupportedServerError(
                    "",
                    method=exc.method,
                    url=exc.url,
                    status=exc.status,
                    api_message=exc.api_message,
                ),
                "GET",
                self._session.url("integrationchannels"),
            ) from None
        transports = by_key(included, "dotmailertransports")
        return [to_integration(r, transports.get(rel(r, "transport") or "")) for r in data]

    def create_integration(self, new: NewIntegration) -> OroIntegration:
        doc = integration_doc(new)
        body = self._session.send("POST", "integrationchannels", doc)
        transports = by_key(body.get("included", []), "dotmailertransports")
        return to_integration(body["data"], transports.get(rel(body["data"], "transport") or ""))

    def update_integration(self, id: str, transport_id: str, **changed: Any) -> OroIntegration:
        """Change only the given fields; ``password``/``client_key`` only when given."""
        unknown = sorted(set(changed) - CHANNEL_FIELDS.keys() - TRANSPORT_FIELDS.keys())
        if unknown:
            raise TypeError(f"update_integration: unknown fields {', '.join(unknown)}")
        transport_doc, channel_doc = integration_patches(id, transport_id, changed)
        if transport_doc is not None:
            self._session.send("PATCH", f"dotmailertransports/{transport_id}", transport_doc)
        params = {"include": "transport"}
        if channel_doc is not None:
            body = self._session.send(
                "PATCH", f"integrationchannels/{id}", channel_doc, params=params
            )
        else:
            body = self._session.get(f"integrationchannels/{id}", params)
        transports = by_key(body.get("included", []), "dotmailertransports")
        return to_integration(body["data"], transports.get(transport_id))

    def delete_integration(self, id: str) -> None:
        self._session.send("DELETE", f"integrationchannels/{id}")

    # -- data fields --------------------------------------------------------------------

    def list_data_fields(self) -> list[OroDataField]:
        """The data fields of every integration, in one call, with only what they are read for."""
        data, _ = self._session.list_all("dotmailerdatafields", _DATA_FIELD_FIELDS)
        return [to_data_field(r) for r in data]

    def create_data_field(
        self,
        channel_id: str,
        name: str,
        type: str,
        visibility: str,
        default: str | int | float | bool | None,
        notes: str | None,
    ) -> OroDataField:
        doc = data_field_doc(channel_id, name, type, visibility, default, notes)
        return to_data_field(self._session.send("POST", "dotmailerdatafields", doc)["data"])

    def update_data_field_notes(self, id: str, notes: str | None) -> OroDataField:
        doc = patch_doc("dotmailerdatafields", id, {"notes": notes})
        return to_data_field(self._session.send("PATCH", f"dotmailerdatafields/{id}", doc)["data"])

    def delete_data_field(self, id: str) -> None:
        """Oro cascades the mapping configs that use the field (bundle §2)."""
        self._session.send("DELETE", f"dotmailerdatafields/{id}")

    # -- address books ------------------------------------------------------------------

    def list_address_books(self) -> list[OroAddressBook]:
        data, _ = self._session.list_all("dotmaileraddressbooks", _ADDRESS_BOOK_FIELDS)
        return [to_address_book(r) for r in data]

    def create_address_book(
        self,
        channel_id: str,
        origin_id: int,
        name: str,
        visibility: str,
        marketing_list_id: str | None,
        create_entities: bool,
    ) -> OroAddressBook:
        doc = address_book_doc(
            channel_id, origin_id, name, visibility, marketing_list_id, create_entities
        )
        return to_address_book(self._session.send("POST", "dotmaileraddressbooks", doc)["data"])

    def update_address_book(self, id: str, **changed: Any) -> OroAddressBook:
        """Fields: name, visibility, marketing_list_id (None disconnects), create_entities."""
        unknown = sorted(set(changed) - ADDRESS_BOOK_FIELDS)
        if unknown:
            raise TypeError(f"update_address_book: unknown fields {', '.join(unknown)}")
        doc = address_book_patch(id, changed)
        body = self._session.send("PATCH", f"dotmaileraddressbooks/{id}", doc)
        return to_address_book(body["data"])

    def delete_address_book(self, id: str) -> None:
        self._session.send("DELETE", f"dotmaileraddressbooks/{id}")

    # -- mappings -----------------------------------------------------------------------

    def list_mappings(self) -> list[OroMapping]:
        """Every mapping with its configs, in one call."""
        data, included = self._session.list_all(
            "dotmailerdatafieldmappings", {"include": "configs"}
        )
        configs = by_key(included, CONFIGS)
        return [to_mapping(r, configs) for r in data]

    def create_mapping(
        self,
        channel_id: str,
        entity: str,
        sync_priority: int,
        configs: MappingConfigs,
    ) -> OroMapping:
        """``configs`` are ``(data_field_id, entity_fields, two_way_sync)``."""
        doc = mapping_doc(configs, {"entity": entity, "syncPriority": sync_priority})
        doc["data"]["relationships"]["channel"] = ref("integrationchannels", channel_id)
        body = self._session.send("POST", "dotmailerdatafieldmappings", doc)
        return to_mapping(body["data"], by_key(body.get("included", []), CONFIGS))

    def update_mapping(
        self,
        id: str,
        *,
        sync_priority: int | None = None,
        configs: MappingConfigs | None = None,
    ) -> OroMapping:
        """Change the priority and/or replace the whole set of configs."""
        attributes = {} if sync_priority is None else {"syncPriority": sync_priority}
        if configs is None:
            doc = patch_doc("dotmailerdatafieldmappings", id, attributes)
        else:
            doc = mapping_doc(configs, attributes)
            doc["data"]["id"] = id
        body = self._session.send(
            "PATCH", f"dotmailerdatafieldmappings/{id}", doc, params={"include": "configs"}
        )
        return to_mapping(body["data"], by_key(body.get("included", []), CONFIGS))

    def delete_mapping(self, id: str) -> None:
        self._session.send("DELETE", f"dotmailerdatafieldmappings/{id}")

    # -- sync scheduling (the companion bundle's integrationsyncs, docs/oro-api.md) -------

    def schedule_sync(self, integration_id: str, connector: str | None, force: bool) -> SyncJob:
        """Schedule a sync (``force``: the data-field import runs now, ``datafields-force-sync``).
        201: scheduled. 200: one was already new or running, and that one is answered
        (``already_active``); Oro schedules nothing then (docs/oro-api.md, integrationsyncs)."""
        doc = sync_doc(integration_id, connector, force)
        response = self._session.call(
            "POST", self._session.url("integrationsyncs"), idempotent=False, doc=doc
        )
        return to_sync_job(document(response)["data"], already_active=response.status_code == 200)

    def get_job(self, id: str) -> SyncJob:
        return to_sync_job(self._session.get(f"integrationsyncs/{id}")["data"])

    # -- entity metadata (stock: EntityBundle's entitystructures) -----------------------

    def entity_fields(self, entity: str) -> dict[str, str] | None:
        """An entity's fields and their types (``GET entitystructures/{url-safe class}``), or
        None when Oro has no such entity (a 404, LoadEntityStructure)."""
        try:
            body = self._session.get(f"entitystructures/{entity.replace(chr(92), '_')}")
        except NotFoundError:
            return None
        return to_entity_fields(body["data"])
