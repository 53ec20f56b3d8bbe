"""Builds the Oro world from a seed: the ``oro`` part of a sandbox seed YAML file (settings, API
clients, organizations, business units, users, marketing lists, custom entity fields and
pre-existing integrations)."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from reconciler import defaults
from reconciler.config.entities import resolve_entity
from reconciler.sandbox.oro.imports import CONNECTORS
from reconciler.sandbox.oro.store import Store


def load_seed(store: Store, seed: Mapping[str, Any]) -> None:
    store.settings.update(copy.deepcopy(dict(seed.get("settings") or {})))
    orgs: dict[str, int] = {}
    for org in seed.get("organizations") or []:
        orgs[org["name"]] = store.insert(
            "organizations", {"name": org["name"], "enabled": org.get("enabled", True)}, {}
        )
    for client in seed.get("clients") or []:
        # An OAuth application acts in one organization (default: the first).
        store.clients[str(client["id"])] = str(client["secret"])
        org = client.get("organization") or next(iter(orgs), None)
        if org is not None:
            store.client_orgs[str(client["id"])] = orgs[org]
    # Custom (extend) fields an administrator added to entities: {entity: {field: type}}.
    for entity, fields in (seed.get("entities") or {}).items():
        store.custom_fields[_fqcn(entity)] = {str(k): str(v) for k, v in fields.items()}
    bus: dict[str, int] = {}
    for bu in seed.get("businessUnits") or []:
        bus[bu["name"]] = store.insert(
            "businessunits", {"name": bu["name"]}, {"organization": orgs[bu["organization"]]}
        )
    for user in seed.get("users") or []:
        org_id = orgs[user["organization"]]
        bu_name = user.get("businessUnit")
        bu_id = bus[bu_name] if bu_name else _first_bu(store, org_id)
        username = user["username"]
        attrs = {
            "username": username,
            "email": user.get("email", f"{username}@example.com"),
            "firstName": user.get("firstName"),
            "lastName": user.get("lastName"),
            "enabled": user.get("enabled", True),
        }
        rels = {
            "owner": bu_id,
            "organization": org_id,
            "organizations": [org_id],
            "businessUnits": [bu_id] if bu_id is not None else [],
        }
        store.insert("users", attrs, rels)
    for ml in seed.get("marketingLists") or []:
        entity = ml.get("entity", "contact")
        store.insert("marketinglists", {"name": ml["name"], "entity": _fqcn(entity)}, {})
    for integration in seed.get("integrations") or []:
        _seed_integration(store, integration, orgs)


def _seed_integration(store: Store, spec: Mapping[str, Any], orgs: Mapping[str, int]) -> None:
    """A pre-existing integration, for adopt and drift scenarios. Shape (YAML)::

    - name: EMEA
      organization: ACME            # default: the first organization
      owner: mkt.ops                # username of the default user owner
      enabled: true
      transport: {username: ..., password: ..., clientId: ..., clientKey: ...,
                  customDomain: ...}
      dataFields: [{name: TIER, type: String, visibility: Private, default: x, notes: y}]
      addressBooks: [{name: News, visibility: Private, originId: 11,
                      marketingList: EMEA subscribers, createEntities: false}]
      mappings: [{entity: contact, syncPriority: 20,
                  fields: [{dataField: TIER, entityFields: [firstName], twoWaySync: false}]}]
    """
    org_id = orgs[spec.get("organization") or next(iter(orgs))]
    owner = store.find("users", "username", spec.get("owner")) if spec.get("owner") else None
    transport = spec.get("transport") or {}
    transport_id = store.insert(
        "dotmailertransports",
        {
            "username": transport.get("username", ""),
            "password": transport.get("password"),
            "clientId": transport.get("clientId"),
            "clientKey": transport.get("clientKey"),
            "customDomain": transport.get("customDomain"),
        },
        {},
    )
    channel = store.insert(
        "integrationchannels",
        {
            "name": spec["name"],
            "type": "dotmailer",
            "enabled": spec.get("enabled", True),
            # The UI fills every dotmailer connector
            # ([DM] Form/Extension/ChannelConnectorsExtension.php:81-90).
            "connectors": list(spec.get("connectors", CONNECTORS)),
        },
        {
            "transport": transport_id,
            "organization": org_id,
            "defaultUserOwner": owner,
            "defaultBusinessUnitOwner": (
                store.find("businessunits", "name", spec["businessUnit"])
                if spec.get("businessUnit")
                else None
            ),
        },
    )
    fields: dict[str, int] = {}
    for df in spec.get("dataFields") or []:
        fields[df["name"].upper()] = store.insert(
            "dotmailerdatafields",
            {
                "name": df["name"],
                # Oro's DataField.defaultValue is a string (Boolean Yes/No).
                "defaultValue": defaults.to_oro(df.get("type", "String"), df.get("default")),
                "notes": df.get("notes"),
                "createdAt": store.now_iso(),
            },
            {
                "channel": channel,
                "owner": org_id,
                "type": df.get("type", "String"),
                "visibility": df.get("visibility", "Private"),
            },
        )
    for book in spec.get("addressBooks") or []:
        ml = book.get("marketingList")
        store.insert(
            "dotmaileraddressbooks",
            {
                "name": book["name"],
                "createEntities": book.get("createEntities", False),
                "originId": book.get("originId"),
                "contactCount": book.get("contactCount", 0),
                "lastImportedAt": None,
                "lastExportedAt": None,
            },
            {
                "channel": channel,
                "marketingList": store.find("marketinglists", "name", ml) if ml else None,
                "visibility": book.get("visibility", "Private"),
                "owner": org_id,
            },
        )
    for mapping in spec.get("mappings") or []:
        mapping_id = store.insert(
            "dotmailerdatafieldmappings",
            {"entity": _fqcn(mapping["entity"]), "syncPriority": mapping.get("syncPriority")},
            {"channel": channel, "owner": org_id},
        )
        for cfg in mapping.get("fields") or []:
            entity_fields = cfg["entityFields"]
            if isinstance(entity_fields, list):
                entity_fields = ",".join(entity_fields)
            store.insert(
                "dotmailerdatafieldmappingconfigs",
                {"entityFields": entity_fields, "isTwoWaySync": cfg.get("twoWaySync", False)},
                {"dataField": fields[cfg["dataField"].upper()], "mapping": mapping_id},
            )


def _first_bu(store: Store, org_id: int) -> int | None:
    ids = sorted(
        int(r["id"])
        for r in store.tables["businessunits"].values()
        if r["r"].get("organization") == org_id
    )
    return ids[0] if ids else None


def _fqcn(entity: str) -> str:
    """Seed files may name entities by the aliases the YAML config accepts."""
    return resolve_entity(entity) or entity
