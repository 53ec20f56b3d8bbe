"""The Oro JSON:API documents, built and read: pure functions, no I/O (oro-jsonapi.md).

Builders return the ``{"data": ..., "included": [...]}`` bodies :class:`OroClient` sends;
readers turn the resources of an answer into the frozen dataclasses of :mod:`reconciler.model`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from reconciler import defaults
from reconciler.model import (
    LiveUser,
    OroAddressBook,
    OroDataField,
    OroIntegration,
    OroMapping,
    OroMappingConfig,
    SyncJob,
)

Resource = dict[str, Any]
MappingConfigs = Sequence[tuple[str, Sequence[str], bool]]  # (data_field_id, fields, two_way)

CONFIGS = "dotmailerdatafieldmappingconfigs"
# oro-jsonapi.md §7: jobs report the stored status, e.g. "oro.message_queue_job.status.running".
# update_integration's keyword -> (channel field, related type or None for an attribute).
CHANNEL_FIELDS: dict[str, tuple[str, str | None]] = {
    "name": ("name", None),
    "enabled": ("enabled", None),
    "organization_id": ("organization", "organizations"),
    "owner_user_id": ("defaultUserOwner", "users"),
    "business_unit_id": ("defaultBusinessUnitOwner", "businessunits"),
}
# update_integration's keyword -> the transport's attribute.
TRANSPORT_FIELDS: dict[str, str] = {
    "username": "username",
    "password": "password",
    "client_id": "clientId",
    "client_key": "clientKey",
    "custom_domain": "customDomain",
}
ADDRESS_BOOK_FIELDS = frozenset(
    {"name", "visibility", "marketing_list_id", "create_entities", "channel_id"}
)


# --- the parts of a resource ---------------------------------------------------------------


def attr(resource: Resource, name: str) -> Any:
    return (resource.get("attributes") or {}).get(name)


def rel(resource: Resource, name: str) -> str | None:
    data = ((resource.get("relationships") or {}).get(name) or {}).get("data")
    return str(data["id"]) if isinstance(data, dict) else None


def rels(resource: Resource, name: str) -> list[str]:
    data = ((resource.get("relationships") or {}).get(name) or {}).get("data")
    return [str(d["id"]) for d in data] if isinstance(data, list) else []


def ref(type_: str, id_: str | None) -> dict[str, Any]:
    return {"data": None if id_ is None else {"type": type_, "id": str(id_)}}


def by_key(resources: Iterable[Resource], type_: str) -> dict[str, Resource]:
    return {str(r["id"]): r for r in resources if r.get("type") == type_}


# --- model -> documents ----------------------------------------------------------------------


def patch_doc(
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


@dataclass(frozen=True)
class NewIntegration:
    """What creating an integration sends: the channel and its transport, in one document.
    The secrets never show in a repr (a log line or an error that prints the object)."""

    name: str
    enabled: bool
    organization_id: str
    owner_user_id: str
    business_unit_id: str | None
    username: str
    password: str = field(repr=False)
    client_id: str | None
    client_key: str | None = field(repr=False)
    custom_domain: str | None


def integration_doc(new: NewIntegration) -> dict[str, Any]:
    """A new channel with its transport included in the same document."""
    transport = {
        "username": new.username,
        "password": new.password,
        "customDomain": new.custom_domain,
        "clientId": new.client_id,
    }
    if new.client_key is not None:
        transport["clientKey"] = new.client_key
    relationships = {
        "transport": ref("dotmailertransports", "transport-1"),
        "organization": ref("organizations", new.organization_id),
        "defaultUserOwner": ref("users", new.owner_user_id),
    }
    if new.business_unit_id is not None:
        relationships["defaultBusinessUnitOwner"] = ref("businessunits", new.business_unit_id)
    return {
        "data": {
            "type": "integrationchannels",
            "attributes": {"name": new.name, "type": "dotmailer", "enabled": new.enabled},
            "relationships": relationships,
        },
        "included": [{"type": "dotmailertransports", "id": "transport-1", "attributes": transport}],
    }


def integration_patches(
    id_: str, transport_id: str, changed: Mapping[str, Any]
) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """The transport's PATCH and the channel's PATCH for ``changed`` (None when nothing to say);
    ``password``/``client_key`` only when given."""
    transport_attrs = {
        TRANSPORT_FIELDS[k]: v
        for k, v in changed.items()
        if k in TRANSPORT_FIELDS and not (k in ("password", "client_key") and v is None)
    }
    transport = patch_doc("dotmailertransports", transport_id, transport_attrs)
    attributes: dict[str, Any] = {}
    relationships: dict[str, Any] = {}
    for key, value in changed.items():
        if key not in CHANNEL_FIELDS:
            continue
        name, target = CHANNEL_FIELDS[key]
        if target is None:
            attributes[name] = value
        else:
            relationships[name] = {"data": None} if value is None else ref(target, value)
    channel = patch_doc("integrationchannels", id_, attributes, relationships)
    return (
        transport if transport_attrs else None,
        channel if attributes or relationships else None,
    )


def data_field_doc(
    channel_id: str,
    name: str,
    type_: str,
    visibility: str,
    default: str | int | float | bool | None,
    notes: str | None,
) -> dict[str, Any]:
    return {
        "data": {
            "type": "dotmailerdatafields",
            "attributes": {
                "name": name,
                "defaultValue": defaults.to_oro(type_, default),
                "notes": notes,
            },
            "relationships": {
                "channel": ref("integrationchannels", channel_id),
                "type": ref("dotmailerdatafieldtypes", type_),
                "visibility": ref("dotmailerdatafieldvisibilities", visibility),
            },
        }
    }


def address_book_doc(
    channel_id: str,
    origin_id: int,
    name: str,
    visibility: str,
    marketing_list_id: str | None,
    create_entities: bool,
) -> dict[str, Any]:
    relationships = {
        "channel": ref("integrationchannels", channel_id),
        "visibility": ref("dotmaileraddressbookvisibilities", visibility),
        "marketingList": ref("marketinglists", marketing_list_id),
    }
    return {
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


def address_book_patch(id_: str, changed: Mapping[str, Any]) -> dict[str, Any]:
    """Fields: name, visibility, marketing_list_id (None disconnects), create_entities,
    channel_id (re-links an orphaned book)."""
    attributes = {}
    relationships = {}
    if "name" in changed:
        attributes["name"] = changed["name"]
    if "create_entities" in changed:
        attributes["createEntities"] = changed["create_entities"]
    if "visibility" in changed:
        relationships["visibility"] = ref("dotmaileraddressbookvisibilities", changed["visibility"])
    if "marketing_list_id" in changed:
        relationships["marketingList"] = ref("marketinglists", changed["marketing_list_id"])
    if "channel_id" in changed:
        relationships["channel"] = ref("integrationchannels", changed["channel_id"])
    return patch_doc("dotmaileraddressbooks", id_, attributes, relationships)


def mapping_doc(configs: MappingConfigs, attributes: Mapping[str, Any]) -> dict[str, Any]:
    included = [
        {
            "type": CONFIGS,
            "id": f"config-{n}",
            "attributes": {"entityFields": ",".join(fields), "isTwoWaySync": two_way},
            "relationships": {"dataField": ref("dotmailerdatafields", field_id)},
        }
        for n, (field_id, fields, two_way) in enumerate(configs, start=1)
    ]
    data: dict[str, Any] = {
        "type": "dotmailerdatafieldmappings",
        "relationships": {
            "configs": {"data": [{"type": CONFIGS, "id": i["id"]} for i in included]}
        },
    }
    if attributes:
        data["attributes"] = dict(attributes)
    return {"data": data, "included": included}


def sync_doc(integration_id: str, connector: str | None, force: bool) -> dict[str, Any]:
    """``force``: run the data-field import now (``datafields-force-sync``); Oro's plain
    ``force`` does nothing for dotmailer (oro-verified.md §3.5)."""
    return {
        "data": {
            "type": "integrationsyncs",
            "attributes": {"connector": connector, "datafieldsForceSync": force},
            "relationships": {"integration": ref("integrationchannels", integration_id)},
        }
    }


def to_sync_job(r: Resource, *, already_active: bool = False) -> SyncJob:
    return SyncJob(
        id=str(r["id"]),
        name=attr(r, "jobName"),
        status=attr(r, "status"),
        progress=float(attr(r, "progress") or 0.0),
        already_active=already_active,
    )


def to_entity_fields(r: Resource) -> dict[str, str]:
    """An ``entitystructures`` resource's fields: name -> type (oroinc/platform
    EntityBundle/Resources/config/oro/api.yml:23-62, Model/EntityFieldStructure.php)."""
    return {str(f["name"]): str(f.get("type") or "") for f in attr(r, "fields") or []}


def to_user(r: Resource) -> LiveUser:
    orgs = rels(r, "organizations") or [o for o in [rel(r, "organization")] if o]
    units = rels(r, "businessUnits") or [b for b in [rel(r, "owner")] if b]
    return LiveUser(
        id=str(r["id"]),
        username=attr(r, "username"),
        enabled=bool(attr(r, "enabled")),
        organization_ids=tuple(sorted(orgs, key=_id_key)),
        business_unit_ids=tuple(sorted(units, key=_id_key)),
    )


def to_integration(r: Resource, transport: Resource | None) -> OroIntegration:
    t = transport or {}
    return OroIntegration(
        id=str(r["id"]),
        name=attr(r, "name"),
        enabled=bool(attr(r, "enabled")),
        organization_id=rel(r, "organization"),
        owner_user_id=rel(r, "defaultUserOwner"),
        business_unit_id=rel(r, "defaultBusinessUnitOwner"),
        username=attr(t, "username") or "",
        client_id=attr(t, "clientId"),
        custom_domain=attr(t, "customDomain"),
        transport_id=rel(r, "transport") or str(t.get("id", "")),
    )


def to_data_field(r: Resource) -> OroDataField:
    default = attr(r, "defaultValue")
    return OroDataField(
        id=str(r["id"]),
        channel_id=rel(r, "channel") or "",
        name=attr(r, "name"),
        type=rel(r, "type") or "",
        visibility=rel(r, "visibility") or "",
        default=None if default is None else str(default),
        notes=attr(r, "notes"),
    )


def to_address_book(r: Resource) -> OroAddressBook:
    origin = attr(r, "originId")
    return OroAddressBook(
        id=str(r["id"]),
        channel_id=rel(r, "channel"),
        name=attr(r, "name"),
        visibility=rel(r, "visibility") or "",
        origin_id=None if origin is None else int(origin),
        marketing_list_id=rel(r, "marketingList"),
        create_entities=bool(attr(r, "createEntities")),
    )


def to_mapping(r: Resource, configs: Mapping[str, Resource]) -> OroMapping:
    rows = [configs[c] for c in rels(r, "configs") if c in configs]
    return OroMapping(
        id=str(r["id"]),
        channel_id=rel(r, "channel") or "",
        entity=attr(r, "entity"),
        sync_priority=int(attr(r, "syncPriority") or 0),
        configs=tuple(
            sorted(
                (
                    OroMappingConfig(
                        id=str(c["id"]),
                        data_field_id=rel(c, "dataField") or "",
                        entity_fields=tuple(
                            f.strip() for f in (attr(c, "entityFields") or "").split(",") if f
                        ),
                        two_way_sync=bool(attr(c, "isTwoWaySync")),
                    )
                    for c in rows
                ),
                key=lambda c: _id_key(c.id),
            )
        ),
    )


def _id_key(value: str) -> tuple[int, str]:
    return (int(value), "") if value.isdigit() else (1 << 62, value)
