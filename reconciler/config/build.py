"""Validated documents -> the frozen :class:`reconciler.model.DesiredState`.

Runs only on a config without errors. Mappings are expanded to one object per (integration,
entity FQCN); objects are sorted by name so the state, and its digest, do not depend on file
order or formatting.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from typing import Any

from reconciler import defaults
from reconciler.config.entities import resolve_entity
from reconciler.config.loader import Document
from reconciler.config.semantic import labels_of, select_integrations
from reconciler.config.settings import secret_ref
from reconciler.model import (
    AddressBook,
    Connection,
    DataField,
    DataFieldMapping,
    DesiredState,
    Integration,
    MappingField,
    OAuth,
    Owner,
    SecretRef,
    SecretSource,
    Settings,
)

# Settings that change how a run goes, not what it plans: left out of the digest.
_DIGEST_EXCLUDED_SETTINGS = frozenset({"concurrency", "timeout_seconds", "location"})


def _labels(document: Document) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(labels_of(document).items()))


def _owner(document: Document) -> Owner:
    spec = document.data["spec"]  # type: ignore[index]
    return Owner(
        name=document.name or "",
        username=spec["username"],
        organization=spec["organization"],
        business_unit=spec.get("businessUnit"),
        labels=_labels(document),
        location=document.location(),
    )


def _integration(document: Document) -> Integration:
    spec: dict[str, Any] = document.data["spec"]  # type: ignore[index]
    connection = spec["connection"]
    oauth = spec.get("oauth")
    data_fields = []
    for index, entry in enumerate(spec.get("dataFields", [])):
        data_fields.append(
            DataField(
                name=entry["name"],
                type=entry["type"],
                visibility=entry.get("visibility", "Private"),
                default=defaults.check(entry["type"], entry.get("default")).value,
                notes=entry.get("notes"),
                replace_on_change=entry.get("replaceOnChange", False),
                location=document.location(("spec", "dataFields", index)),
            )
        )
    address_books = [
        AddressBook(
            name=entry["name"],
            visibility=entry.get("visibility", "Private"),
            marketing_list=entry.get("marketingList"),
            create_entities=entry.get("createEntities", False),
            renamed_from=entry.get("renamedFrom"),
            location=document.location(("spec", "addressBooks", index)),
        )
        for index, entry in enumerate(spec.get("addressBooks", []))
    ]
    return Integration(
        name=document.name or "",
        owner=spec["owner"],
        connection=Connection(
            username=connection["username"],
            password=secret_ref(
                connection["password"], document.location(("spec", "connection", "password"))
            ),
        ),
        enabled=spec.get("enabled", True),
        oauth=_oauth(document, oauth) if oauth and "clientId" in oauth else None,
        data_fields=tuple(sorted(data_fields, key=lambda f: f.key)),
        address_books=tuple(sorted(address_books, key=lambda b: b.key)),
        sync_on_change=spec.get("sync", {}).get("onChange", True),
        labels=_labels(document),
        location=document.location(),
    )


def _oauth(document: Document, oauth: dict[str, Any]) -> OAuth:
    secret = secret_ref(oauth["clientSecret"], document.location(("spec", "oauth", "clientSecret")))
    if "customDomain" in oauth:
        return OAuth(oauth["clientId"], secret, oauth["customDomain"])
    return OAuth(oauth["clientId"], secret)


def _mappings(document: Document, labels: dict[str, dict[str, str]]) -> list[DataFieldMapping]:
    spec: dict[str, Any] = document.data["spec"]  # type: ignore[index]
    entity = resolve_entity(spec["entity"]) or spec["entity"]
    fields = tuple(
        sorted(
            (
                MappingField(
                    data_field=entry["dataField"],
                    entity_fields=tuple(entry["entityFields"]),
                    two_way_sync=entry.get("twoWaySync", False),
                    location=document.location(("spec", "fields", index)),
                )
                for index, entry in enumerate(spec["fields"])
            ),
            key=lambda f: f.data_field.upper(),
        )
    )
    return [
        DataFieldMapping(
            name=document.name or "",
            integration=integration,
            entity=entity,
            sync_priority=spec.get("syncPriority", 0),
            fields=fields,
            location=document.location(),
        )
        for integration in select_integrations(spec["integrations"], labels)
    ]


def build_desired_state(
    owners: list[Document],
    integrations: list[Document],
    mappings: list[Document],
    settings: Settings,
) -> DesiredState:
    """The state the documents declare, without its digest: :func:`with_digest` adds it once
    the environment's overrides are applied (``load_desired_state``); ``validate`` needs none."""
    labels = {doc.name or "": labels_of(doc) for doc in integrations}
    expanded = [m for doc in mappings for m in _mappings(doc, labels)]
    return DesiredState(
        settings=settings,
        owners=tuple(sorted((_owner(d) for d in owners), key=lambda o: o.name)),
        integrations=tuple(sorted((_integration(d) for d in integrations), key=lambda i: i.name)),
        mappings=tuple(sorted(expanded, key=lambda m: (m.integration, m.entity))),
    )


def with_digest(state: DesiredState) -> DesiredState:
    """The state with ``digest`` = sha256 of its canonical JSON (locations and run-time-only
    settings left out; a literal secret contributes only the fact that it is literal)."""
    return dataclasses.replace(state, digest=digest(state))


def digest(state: DesiredState) -> str:
    settings = {
        name: getattr(state.settings, name)
        for name in _field_names(Settings)
        if name not in _DIGEST_EXCLUDED_SETTINGS
    }
    document = {
        "settings": settings,
        "owners": state.owners,
        "integrations": state.integrations,
        "mappings": state.mappings,
    }
    text = json.dumps(
        document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_jsonable
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


_FIELDS: dict[type, tuple[str, ...]] = {}


def _field_names(cls: type) -> tuple[str, ...]:
    names = _FIELDS.get(cls)
    if names is None:
        names = tuple(
            f.name for f in dataclasses.fields(cls) if f.name not in ("location", "digest")
        )
        _FIELDS[cls] = names
    return names


def _jsonable(value: object) -> Any:
    """json.dumps hook: model dataclasses as objects (no locations), secrets as references."""
    if isinstance(value, SecretRef):
        if value.source is SecretSource.LITERAL:
            return {"source": "literal"}
        return {"source": value.source.value, "ref": value.ref}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {name: getattr(value, name) for name in _field_names(type(value))}
    raise TypeError(f"cannot digest {type(value).__name__}")  # pragma: no cover
