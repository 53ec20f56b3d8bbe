"""The resources the Oro emulator serves, and what each mode exposes of them.

A resource type names its attributes (and which are read-only, write-only or create-only), its
relationships (with the foreign-key behaviour on delete), its filters and its actions, and how it
looks in ``stock`` mode. A stored row is ``{"id", "a": attributes, "r": to-one relationships}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

JSONAPI = "application/vnd.api+json"
MODES = ("stock", "extended")
Row = dict[str, Any]
RowId = int | str

CONTACT = "Oro\\Bundle\\ContactBundle\\Entity\\Contact"
LEAD = "Oro\\Bundle\\SalesBundle\\Entity\\Lead"
JOBS = "oro_message_queue_jobs"  # the root jobs of syncs (not an API resource)
STATUSES = "integrationstatuses"  # one row per connector run (not an API resource)
SYNCS = "integrationsyncs"


@dataclass(frozen=True)
class Attr:
    kind: str  # "str" | "bool" | "int" | "any"
    read_only: bool = False  # never accepted in a request body
    write_only: bool = False  # never returned
    create_only: bool = False  # accepted on POST, refused on PATCH


@dataclass(frozen=True)
class Rel:
    target: str
    many: bool = False
    inverse: str | None = None  # derived to-many: rows of target whose `inverse` is this row
    on_delete: str = "set_null"  # what happens to this row when the target is deleted
    owned: bool = False  # deleting this row deletes the target (to-one) / orphans (to-many)
    create_only: bool = False
    stock: bool = True  # also exposed in stock mode


@dataclass(frozen=True)
class ResourceType:
    name: str
    attrs: Mapping[str, Attr]
    rels: Mapping[str, Rel] = field(default_factory=dict)
    filters: frozenset[str] = frozenset({"id"})
    array_filters: frozenset[str] = frozenset({"id"})
    actions: frozenset[str] = frozenset({"get", "get_list"})
    stock: str = "full"  # "full" | "read_only" | "hidden"
    string_ids: bool = False
    stock_filters: frozenset[str] | None = None

    def allow(self, mode: str, item: bool) -> str:
        if mode == "stock" and self.stock == "read_only":
            return "OPTIONS, GET"
        methods = ["OPTIONS", "GET"]
        if not item and "create" in self.actions:
            methods.append("POST")
        if item and "update" in self.actions:
            methods.append("PATCH")
        if "delete" in self.actions:
            methods.append("DELETE")
        return ", ".join(methods)

    def actions_in(self, mode: str) -> frozenset[str]:
        """The actions this type answers in ``mode`` (stock read-only types only read)."""
        return READ if mode == "stock" and self.stock == "read_only" else self.actions


S, B, INT, ANY = Attr("str"), Attr("bool"), Attr("int"), Attr("any")
READ = frozenset({"get", "get_list"})
CRUD = frozenset({"get", "get_list", "create", "update", "delete", "delete_list"})


def _enum(name: str) -> ResourceType:
    return ResourceType(name, {"name": S}, string_ids=True)


TYPES: dict[str, ResourceType] = {
    t.name: t
    for t in (
        ResourceType(
            "users",
            {"username": S, "email": S, "firstName": S, "lastName": S, "enabled": B},
            {
                "owner": Rel("businessunits"),
                "organization": Rel("organizations"),
                "organizations": Rel("organizations", many=True),
                "businessUnits": Rel("businessunits", many=True),
            },
            filters=frozenset({"id", "username", "email", "organization"}),
            # oro-bundle's api.yml sets allow_array on username; stock Oro does not (§4).
            array_filters=frozenset({"id", "username"}),
            stock_filters=frozenset({"id", "username", "email", "organization"}),
        ),
        ResourceType("organizations", {"name": S, "enabled": B}, filters=frozenset({"id", "name"})),
        ResourceType(
            "businessunits",
            {"name": S},
            {"organization": Rel("organizations")},
            filters=frozenset({"id", "organization"}),
        ),
        ResourceType(
            "marketinglists",
            {"name": S, "entity": S},
            filters=frozenset({"id", "name"}),
            stock="hidden",
        ),
        ResourceType(
            "integrationchannels",
            {
                "name": S,
                "type": Attr("str", create_only=True),
                "enabled": B,
                "connectors": Attr("any", read_only=True),
            },
            {
                "transport": Rel("dotmailertransports", owned=True, create_only=True, stock=False),
                "organization": Rel("organizations", stock=False),
                "defaultUserOwner": Rel("users", stock=False),
                "defaultBusinessUnitOwner": Rel("businessunits", stock=False),
            },
            filters=frozenset({"id", "name", "type"}),
            actions=CRUD,
            stock="read_only",
            stock_filters=frozenset({"id", "name"}),
        ),
        ResourceType(
            "dotmailertransports",
            {
                "username": S,
                "password": Attr("str", write_only=True),
                "clientId": S,
                "clientKey": Attr("str", write_only=True),
                "customDomain": S,
            },
            actions=CRUD,
            stock="hidden",
        ),
        ResourceType(
            "dotmailerdatafields",
            {
                "name": Attr("str", create_only=True),
                "defaultValue": Attr("any", create_only=True),
                "notes": S,
                "createdAt": Attr("str", read_only=True),
            },
            {
                "channel": Rel("integrationchannels", on_delete="cascade", create_only=True),
                "owner": Rel("organizations"),
                "type": Rel("dotmailerdatafieldtypes", create_only=True),
                "visibility": Rel("dotmailerdatafieldvisibilities", create_only=True),
            },
            filters=frozenset({"id", "channel", "name"}),
            array_filters=frozenset({"id", "channel"}),
            actions=CRUD,
            stock="hidden",
        ),
        ResourceType(
            "dotmailerdatafieldmappings",
            {"entity": Attr("str", create_only=True), "syncPriority": INT},
            {
                "channel": Rel("integrationchannels", on_delete="cascade", create_only=True),
                "owner": Rel("organizations"),
                "configs": Rel(
                    "dotmailerdatafieldmappingconfigs", many=True, inverse="mapping", owned=True
                ),
            },
            filters=frozenset({"id", "channel", "entity"}),
            array_filters=frozenset({"id", "channel"}),
            actions=CRUD,
            stock="hidden",
        ),
        ResourceType(
            "dotmailerdatafieldmappingconfigs",
            {"entityFields": S, "isTwoWaySync": B},
            {
                "dataField": Rel("dotmailerdatafields", on_delete="cascade"),
                "mapping": Rel("dotmailerdatafieldmappings", on_delete="cascade"),
            },
            filters=frozenset({"id", "mapping", "dataField"}),
            array_filters=frozenset({"id", "mapping"}),
            actions=CRUD,
            stock="hidden",
        ),
        ResourceType(
            "dotmaileraddressbooks",
            {
                "name": S,
                "createEntities": B,
                "originId": Attr("int", create_only=True),  # [OURS] writable on create
                "contactCount": Attr("int", read_only=True),
                "lastImportedAt": Attr("str", read_only=True),
                "lastExportedAt": Attr("str", read_only=True),
            },
            {
                # AddressBook.channel is onDelete SET NULL: a book outlives its integration,
                # keeping its marketing list ([DM] Entity/AddressBook.php:65-71). It may be set
                # again (channel NotBlank, [DM] validation.yml), which re-links an orphan.
                "channel": Rel("integrationchannels", on_delete="set_null"),
                "marketingList": Rel("marketinglists"),
                "visibility": Rel("dotmaileraddressbookvisibilities"),
                "owner": Rel("organizations"),
            },
            filters=frozenset({"id", "channel", "name", "originId", "marketingList"}),
            array_filters=frozenset({"id", "channel"}),
            actions=CRUD,
            stock="hidden",
        ),
        _enum("dotmailerdatafieldtypes"),
        _enum("dotmailerdatafieldvisibilities"),
        _enum("dotmaileraddressbookvisibilities"),
    )
}
ENUM_VALUES: dict[str, tuple[str, ...]] = {
    # oro-dotmailer-bundle.md §2, §4 (LoadDataFieldEnumValues, dm_ab_visibility)
    "dotmailerdatafieldtypes": ("String", "Numeric", "Date", "Boolean"),
    "dotmailerdatafieldvisibilities": ("Private", "Public"),
    "dotmaileraddressbookvisibilities": ("Private", "Public", "NotAvailableInThisVersion"),
}


def parse_id(rt: ResourceType, wire_id: str | None) -> RowId:
    """The row key for a wire id; -1 (never a key) when it cannot be one."""
    if wire_id is None:
        return -1
    if rt.string_ids:
        return wire_id
    return int(wire_id) if wire_id.isdigit() else -1


def sort_key(value: Any) -> tuple[int, Any]:
    """One order over ids and attribute values of mixed types: None, then numbers, then text."""
    if value is None:
        return (0, "")
    if isinstance(value, bool | int | float):
        return (1, value)
    return (2, str(value))
