"""The live estate as config documents: what ``reconciler import`` writes.

Every value comes from the live objects through the specs compare reads them as
(:mod:`reconciler.plan.values`), so the documents say what a plan of them will find live: a
data field's type, visibility and default as dotmailer has them and its notes as Oro has them,
an address book's name and visibility from dotmailer with its Oro marketing list, a mapping's
fields from Oro. What Oro or dotmailer make on their own is left out: the built-in data fields
(which a config may map but never declare) and, unless asked for, Oro's default mappings.

Integrations that map an entity identically share one DataFieldMapping document, which names
them in a list; each owner met gets an Owner document.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from reconciler.config import ENTITY_ALIASES
from reconciler.estate import naming
from reconciler.estate.emit import Document, Flow
from reconciler.model import (
    BUILTIN_ADDRESS_BOOKS,
    BUILTIN_DATA_FIELDS,
    DEFAULT_MAPPING_CONFIGS,
    DEFAULT_MAPPING_PRIORITIES,
    DEFAULT_OAUTH_DOMAIN,
    LiveIntegration,
    LiveWorld,
    OroAddressBook,
    RemoteAddressBook,
)
from reconciler.plan import values as v
from reconciler.plan.ops import address
from reconciler.plan.specs import (
    AddressBookSpec,
    DataFieldSpec,
    IntegrationSpec,
    MappedField,
    MappingSpec,
    mapping_key,
)
from reconciler.plan.steps import Kind

API_VERSION = "reconciler/v1"
OWNERS_FILE = "owners.yaml"
MAPPINGS_FILE = "mappings.yaml"
INTEGRATIONS_DIR = "integrations"

_ALIASES = {entity: alias for alias, entity in ENTITY_ALIASES.items()}
_DEFAULT_FIELDS = frozenset(MappedField(name, fields) for name, fields in DEFAULT_MAPPING_CONFIGS)
_BUILTIN_FIELDS = frozenset(BUILTIN_DATA_FIELDS)
_BUILTIN_BOOKS = frozenset(name.casefold() for name in BUILTIN_ADDRESS_BOOKS)

OwnerKey = tuple[str, str, str | None]  # username, organization, business unit


@dataclass(frozen=True)
class Described:
    """The documents of an estate by file (paths relative to the output directory, sorted)
    and what the user should know about what was left out."""

    files: tuple[tuple[str, tuple[Document, ...]], ...]
    integrations: tuple[str, ...]
    notes: tuple[str, ...]
    default_mappings: int = 0  # Oro's default mappings left out


@dataclass(frozen=True)
class _Part:
    """One integration as the estate has it."""

    name: str
    owner: OwnerKey
    spec: IntegrationSpec
    fields: tuple[DataFieldSpec, ...]
    books: tuple[AddressBookSpec, ...]
    mappings: tuple[MappingSpec, ...]
    default_mappings: int  # left out


def describe(
    world: LiveWorld,
    names: Sequence[str],
    stems: naming.Stems,
    *,
    default_mappings: bool = False,
) -> Described:
    """The documents describing the integrations ``names`` of ``world``."""
    notes: list[str] = []
    parts = [
        part
        for name in sorted(names)
        if (part := _part(world.integration(name), world, default_mappings, notes)) is not None
    ]
    owner_documents, owner_names = _owners(parts)
    files: list[tuple[str, tuple[Document, ...]]] = []
    for part in parts:
        path = f"{INTEGRATIONS_DIR}/{stems.files[part.name]}.yaml"
        document = _integration(part, owner_names[part.owner], stems.variables[part.name])
        files.append((path, (document,)))
    if owner_documents:
        files.append((OWNERS_FILE, tuple(owner_documents)))
    mapping_documents = _mappings(parts)
    if mapping_documents:
        files.append((MAPPINGS_FILE, tuple(mapping_documents)))
    return Described(
        files=tuple(sorted(files)),
        integrations=tuple(p.name for p in parts),
        notes=tuple(sorted(notes)),
        default_mappings=sum(p.default_mappings for p in parts),
    )


def is_default_mapping(spec: MappingSpec) -> bool:
    """A mapping Oro made on its own and nobody changed since: the default configs only, at
    the default priority (oroinc/OroCRMDotmailerBundle 873def61
    ``EventListener/AddDefaultMappingListener.php:62-101``)."""
    return (
        bool(spec.fields)
        and spec.sync_priority == DEFAULT_MAPPING_PRIORITIES.get(spec.entity, 0)
        and set(spec.fields) <= _DEFAULT_FIELDS
    )


# -- reading one integration ------------------------------------------------------------------


def _part(
    live: LiveIntegration, world: LiveWorld, default_mappings: bool, notes: list[str]
) -> _Part | None:
    oro = live.oro
    if oro is None:
        return None
    where = address(Kind.INTEGRATION, live.name)
    missing = _unresolved(oro.owner_user_id, oro.organization_id, oro.business_unit_id, world)
    if missing:
        notes.append(f"{where}: not imported: its {missing} was not found in Oro")
        return None
    spec = v.live_integration(oro, world)
    assert spec.owner is not None and spec.organization is not None
    if live.remote_fields is None:
        notes.append(
            f"{where}: dotmailer was not read: its data fields and address books are Oro's copy"
        )
    mappings = _live_mappings(live, notes)
    kept = tuple(m for m in mappings if default_mappings or not is_default_mapping(m))
    return _Part(
        name=live.name,
        owner=(spec.owner, spec.organization, spec.business_unit),
        spec=spec,
        fields=_data_fields(live),
        books=_books(live, world, notes),
        mappings=kept,
        default_mappings=len(mappings) - len(kept),
    )


def _unresolved(
    user_id: str | None, organization_id: str | None, unit_id: str | None, world: LiveWorld
) -> str | None:
    """What of the integration's owner the world does not know, in words; None when known."""
    if user_id is None or user_id not in {u.id for u in world.users}:
        return f"default owner (Oro user {user_id or 'none'})"
    if organization_id is None or organization_id not in {o.id for o in world.organizations}:
        return f"organization (Oro organization {organization_id or 'none'})"
    if unit_id is not None and unit_id not in {b.id for b in world.business_units}:
        return f"default business unit (Oro business unit {unit_id})"
    return None


def _data_fields(live: LiveIntegration) -> tuple[DataFieldSpec, ...]:
    """Every data field either side has (the plan makes the missing side), built-ins aside."""
    remote = {f.name.upper(): f for f in live.remote_fields or ()}
    oro = {f.name.upper(): f for f in live.oro_fields}
    found = (v.live_data_field(remote.get(k), oro.get(k)) for k in sorted(remote.keys() | oro))
    return tuple(f for f in found if f is not None and f.key not in _BUILTIN_FIELDS)


def _books(
    live: LiveIntegration, world: LiveWorld, notes: list[str]
) -> tuple[AddressBookSpec, ...]:
    """dotmailer's books with their Oro records; Oro's own when dotmailer was not read. An Oro
    record whose book is gone from dotmailer is left out: the plan would make the book again."""
    oro_of = {b.origin_id: b for b in live.oro_books}
    pairs: list[tuple[RemoteAddressBook | None, OroAddressBook | None]]
    if live.remote_books is None:
        pairs = [(None, b) for b in live.oro_books]
    else:
        pairs = [(b, oro_of.get(b.id)) for b in live.remote_books]
        kept = {b.id for b in live.remote_books}
        for gone in live.oro_books:
            if gone.origin_id not in kept:
                where = address(Kind.ADDRESS_BOOK, live.name, gone.name)
                notes.append(f"{where}: not imported: in Oro only, gone from dotmailer")
    found = (v.live_address_book(remote, oro, world) for remote, oro in pairs)
    books = [b for b in found if b is not None and b.name.casefold() not in _BUILTIN_BOOKS]
    return tuple(sorted(books, key=lambda b: (b.name.casefold(), b.name)))


def _live_mappings(live: LiveIntegration, notes: list[str]) -> tuple[MappingSpec, ...]:
    names = {f.id: f.name for f in live.oro_fields}
    specs = []
    for mapping in sorted(live.oro_mappings, key=lambda m: m.entity):
        spec = v.live_mapping(mapping, names)
        if spec.fields:
            specs.append(spec)
        else:
            where = address(Kind.MAPPING, live.name, mapping_key(spec.entity))
            notes.append(f"{where}: not imported: it maps no data field")
    return tuple(specs)


# -- documents --------------------------------------------------------------------------------


def _envelope(kind: str, name: str, spec: Mapping[str, Any]) -> dict[str, Any]:
    return {"apiVersion": API_VERSION, "kind": kind, "metadata": {"name": name}, "spec": spec}


def _owners(parts: Sequence[_Part]) -> tuple[list[Document], dict[OwnerKey, str]]:
    keys = sorted({p.owner for p in parts}, key=lambda k: (k[0], k[1], k[2] or ""))
    users = [k[0] for k in keys]
    wanted = {k: naming.owner_name(*k, shared=users.count(k[0]) > 1) for k in keys}
    chosen = naming.distinct({name: name for name in wanted.values()}, "-")
    names = {k: chosen[wanted[k]] for k in keys}
    documents = []
    for key in sorted(keys, key=lambda k: names[k]):
        username, organization, unit = key
        spec: dict[str, Any] = {"username": username, "organization": organization}
        if unit is not None:
            spec["businessUnit"] = unit
        documents.append(Document("owner.json", _envelope("Owner", names[key], spec)))
    return documents, names


def _integration(part: _Part, owner: str, stem: str) -> Document:
    spec: dict[str, Any] = {
        "enabled": part.spec.enabled,
        "owner": owner,
        "connection": {
            "username": part.spec.username,
            "password": Flow({"env": naming.password_variable(stem)}),
        },
    }
    if part.spec.oauth_client_id is not None:
        oauth: dict[str, Any] = {
            "clientId": part.spec.oauth_client_id,
            "clientSecret": Flow({"env": naming.oauth_secret_variable(stem)}),
        }
        if part.spec.custom_domain not in (None, DEFAULT_OAUTH_DOMAIN):
            oauth["customDomain"] = part.spec.custom_domain
        spec["oauth"] = oauth
    if part.fields:
        spec["dataFields"] = [Flow(_data_field(f)) for f in part.fields]
    if part.books:
        spec["addressBooks"] = [Flow(_book(b)) for b in part.books]
    return Document("integration.json", _envelope("Integration", part.name, spec))


def _data_field(spec: DataFieldSpec) -> dict[str, Any]:
    item: dict[str, Any] = {"name": spec.name, "type": spec.type, "visibility": spec.visibility}
    if spec.default is not None:
        item["default"] = spec.default
    if spec.notes is not None:
        item["notes"] = spec.notes
    return item


def _book(spec: AddressBookSpec) -> dict[str, Any]:
    item: dict[str, Any] = {"name": spec.name, "visibility": spec.visibility}
    if spec.marketing_list is not None:
        item["marketingList"] = spec.marketing_list
    if spec.create_entities:
        item["createEntities"] = True
    return item


def _mappings(parts: Sequence[_Part]) -> list[Document]:
    """One document per distinct mapping, naming every integration that has it."""
    groups: dict[MappingSpec, list[str]] = {}
    for part in parts:
        for spec in part.mappings:
            groups.setdefault(spec, []).append(part.name)
    per_entity: dict[str, int] = {}
    for spec in groups:
        per_entity[spec.entity] = per_entity.get(spec.entity, 0) + 1
    wanted: dict[tuple[str, str], str] = {}
    for spec, integrations in groups.items():
        key = mapping_key(spec.entity)
        name = key if per_entity[spec.entity] == 1 else f"{key}-{integrations[0]}"
        wanted[(spec.entity, integrations[0])] = name
    chosen = naming.distinct({f"{e}\n{i}": n for (e, i), n in wanted.items()}, "-")
    documents = []
    for spec, integrations in sorted(groups.items(), key=lambda g: (g[0].entity, g[1])):
        name = chosen[f"{spec.entity}\n{integrations[0]}"]
        body = {
            "integrations": sorted(integrations),
            "entity": _ALIASES.get(spec.entity, spec.entity),
            "syncPriority": spec.sync_priority,
            "fields": [Flow(_mapped(f)) for f in spec.fields],
        }
        documents.append((name, Document("datafieldmapping.json", _envelope(
            "DataFieldMapping", name, body))))  # fmt: skip
    return [document for _, document in sorted(documents, key=lambda d: d[0].casefold())]


def _mapped(field: MappedField) -> dict[str, Any]:
    item: dict[str, Any] = {
        "dataField": field.data_field,
        "entityFields": list(field.entity_fields),
    }
    if field.two_way_sync:
        item["twoWaySync"] = True
    return item
