"""An estate made by hand, as an administrator's clicks make it: plain HTTP calls to the
sandbox's emulators, none through reconciler's clients.

The order is the UI's: a data field is created in dotmailer first and recorded in Oro after
(oroinc/OroCRMDotmailerBundle 873def61 ``Form/Handler/DataFieldFormHandler.php:84-116``); an
address book is made in dotmailer, and its Oro record (which the ``address_book`` connector's
import makes) is connected to a marketing list; a mapping is saved with its configs, whose
entity fields Oro keeps comma-joined (``Entity/DataFieldMappingConfig.php``).
"""

from __future__ import annotations

import json
from typing import Any

import httpx

JSONAPI = "application/vnd.api+json"


def ref(type_: str, id_: str | None) -> dict[str, Any]:
    return {"data": None if id_ is None else {"type": type_, "id": id_}}


class ClickPath:
    def __init__(self, url: str, client_id: str = "ci", secret: str = "sandbox-oro-secret") -> None:
        self.url = url
        token = httpx.post(
            f"{url}/oauth2-token",
            json={"grant_type": "client_credentials", "client_id": client_id,
                  "client_secret": secret},
        )  # fmt: skip
        token.raise_for_status()
        self.headers = {
            "Authorization": f"Bearer {token.json()['access_token']}",
            "Accept": JSONAPI,
            "Content-Type": JSONAPI,
        }

    # -- Oro --------------------------------------------------------------------------------

    def oro(self, method: str, path: str, doc: Any = None, **params: str) -> Any:
        response = httpx.request(
            method,
            f"{self.url}/admin/api/{path}",
            headers=self.headers,
            content=None if doc is None else json.dumps(doc),
            params=params,
        )
        assert response.status_code in (200, 201), f"{method} {path}: {response.text}"
        return response.json()

    def id_of(self, type_: str, **filters: str) -> str:
        found = self.oro("GET", type_, **{f"filter[{k}]": v for k, v in filters.items()})["data"]
        assert len(found) == 1, (type_, filters, found)
        return str(found[0]["id"])

    def integration(
        self,
        name: str,
        username: str,
        password: str,
        owner: str,
        business_unit: str | None = None,
        client_id: str | None = None,
    ) -> str:
        """Integrations > Manage Integrations > Create Integration (type dotmailer), Save."""
        organization = self.id_of("organizations", name="ACME")
        relationships = {
            "transport": ref("dotmailertransports", "t1"),
            "organization": ref("organizations", organization),
            "defaultUserOwner": ref("users", self.id_of("users", username=owner)),
        }
        if business_unit is not None:
            units = self.oro("GET", "businessunits", **{"filter[organization]": organization})
            unit = next(u["id"] for u in units["data"] if u["attributes"]["name"] == business_unit)
            relationships["defaultBusinessUnitOwner"] = ref("businessunits", str(unit))
        transport: dict[str, Any] = {"username": username, "password": password}
        if client_id is not None:
            transport |= {"clientId": client_id, "clientKey": "hand-typed-client-key"}
        doc = {
            "data": {
                "type": "integrationchannels",
                "attributes": {"name": name, "type": "dotmailer", "enabled": True},
                "relationships": relationships,
            },
            "included": [{"type": "dotmailertransports", "id": "t1", "attributes": transport}],
        }
        return str(self.oro("POST", "integrationchannels", doc)["data"]["id"])

    def oro_data_field(
        self,
        channel: str,
        name: str,
        type_: str,
        visibility: str,
        default: str | None,
        notes: str | None,
    ) -> str:
        doc = {
            "data": {
                "type": "dotmailerdatafields",
                "attributes": {"name": name, "defaultValue": default, "notes": notes},
                "relationships": {
                    "channel": ref("integrationchannels", channel),
                    "type": ref("dotmailerdatafieldtypes", type_),
                    "visibility": ref("dotmailerdatafieldvisibilities", visibility),
                },
            }
        }
        return str(self.oro("POST", "dotmailerdatafields", doc)["data"]["id"])

    def oro_address_book(
        self, channel: str, origin: int, name: str, visibility: str, marketing_list: str | None,
        create_entities: bool = False,
    ) -> str:  # fmt: skip
        list_id = self.id_of("marketinglists", name=marketing_list) if marketing_list else None
        doc = {
            "data": {
                "type": "dotmaileraddressbooks",
                "attributes": {"name": name, "originId": origin, "createEntities": create_entities},
                "relationships": {
                    "channel": ref("integrationchannels", channel),
                    "visibility": ref("dotmaileraddressbookvisibilities", visibility),
                    "marketingList": ref("marketinglists", list_id),
                },
            }
        }
        return str(self.oro("POST", "dotmaileraddressbooks", doc)["data"]["id"])

    def mapping(
        self, channel: str, entity: str, priority: int, configs: list[tuple[str, str, bool]]
    ) -> str:
        """Marketing > Dotdigital > Data Field Mapping > Create: configs are (data field id,
        comma-joined entity fields, two-way sync)."""
        included = [
            {
                "type": "dotmailerdatafieldmappingconfigs",
                "id": f"c{n}",
                "attributes": {"entityFields": fields, "isTwoWaySync": two_way},
                "relationships": {"dataField": ref("dotmailerdatafields", field_id)},
            }
            for n, (field_id, fields, two_way) in enumerate(configs)
        ]
        doc = {
            "data": {
                "type": "dotmailerdatafieldmappings",
                "attributes": {"entity": entity, "syncPriority": priority},
                "relationships": {
                    "channel": ref("integrationchannels", channel),
                    "configs": {"data": [{"type": i["type"], "id": i["id"]} for i in included]},
                },
            },
            "included": included,
        }
        return str(self.oro("POST", "dotmailerdatafieldmappings", doc)["data"]["id"])

    # -- dotmailer --------------------------------------------------------------------------

    def dotmailer(self, account: tuple[str, str], method: str, path: str, body: Any) -> Any:
        info = httpx.get(f"{self.url}/v2/account-info", auth=account)
        info.raise_for_status()
        properties = {p["name"]: p["value"] for p in info.json()["properties"]}
        base = str(properties["ApiEndpoint"]).rstrip("/")
        response = httpx.request(method, f"{base}{path}", auth=account, json=body)
        assert response.status_code in (200, 201), f"{method} {path}: {response.text}"
        return response.json()

    def data_field(
        self,
        channel: str | None,
        account: tuple[str, str],
        name: str,
        type_: str,
        visibility: str = "Private",
        default: Any = None,
        notes: str | None = None,
        oro_default: str | None = None,
    ) -> str | None:
        """Data Fields > Create: dotmailer first, then Oro's record (none when ``channel`` is
        None: a field made in dotmailer's own UI, which only an Oro sync would bring in)."""
        body = {"name": name, "type": type_, "visibility": visibility, "defaultValue": default}
        self.dotmailer(account, "POST", "/v2/data-fields", body)
        if channel is None:
            return None
        return self.oro_data_field(channel, name, type_, visibility, oro_default, notes)

    def address_book(
        self,
        channel: str,
        account: tuple[str, str],
        name: str,
        visibility: str,
        marketing_list: str | None = None,
        create_entities: bool = False,
    ) -> str:
        book = self.dotmailer(
            account, "POST", "/v2/address-books", {"name": name, "visibility": visibility}
        )
        return self.oro_address_book(
            channel, int(book["id"]), name, visibility, marketing_list, create_entities
        )
