"""Validation of the rows a write staged (bundle validation.yml; oro-dotmailer-bundle.md §1–§4).

A write first copies every resource object of the request onto a ``Pending`` row, then asks
``validate`` for each: one validator per entity, over the store with the staged rows in place.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from reconciler.sandbox.oro.errors import (
    ApiError,
    field_error,
    not_blank,
    too_long,
    too_short,
    unique,
)
from reconciler.sandbox.oro.schema import ResourceType, Row, RowId
from reconciler.sandbox.oro.store import Store

NAME_RE = re.compile(r"^[a-z_\-0-9]+$", re.IGNORECASE)  # bundle validation.yml, DataField.name


@dataclass
class Pending:
    """One resource object of a write request, after its ids were resolved."""

    type: ResourceType
    row: Row
    pointer: str  # "/data" or "/included/N"
    creating: bool
    include_id: str | None = None
    to_many: dict[str, list[RowId]] = field(default_factory=dict)


def validate(store: Store, entry: Pending) -> list[ApiError]:
    validator = _VALIDATORS.get(entry.type.name)
    return validator(store, entry) if validator else []


def _required(entry: Pending, *, attrs: Iterable[str], rels: Iterable[str]) -> list[ApiError]:
    row, p = entry.row, entry.pointer
    errors = [not_blank(f"{p}/attributes/{n}") for n in attrs if row["a"].get(n) in (None, "")]
    errors += [not_blank(f"{p}/relationships/{n}/data") for n in rels if row["r"].get(n) is None]
    return errors


def _validate_channel(store: Store, entry: Pending) -> list[ApiError]:
    a, r, p = entry.row["a"], entry.row["r"], entry.pointer
    errors = _required(
        entry, attrs=("name", "type"), rels=("organization", "defaultUserOwner", "transport")
    )
    name = a.get("name")
    if name:
        if len(name) < 3:
            errors.append(too_short(f"{p}/attributes/name", 3))
        elif len(name) > 255:
            errors.append(too_long(f"{p}/attributes/name", 255))
        elif any(
            o["a"]["name"] == name and o["r"].get("organization") == r.get("organization")
            for o in store.others("integrationchannels", entry.row)
        ):
            errors.append(unique(f"{p}/attributes/name"))
    if a.get("type") and a["type"] != "dotmailer":
        errors.append(
            field_error(
                f"{p}/attributes/type",
                "choice constraint",
                "The value you selected is not a valid choice.",
            )
        )
    return errors


def _validate_transport(store: Store, entry: Pending) -> list[ApiError]:
    a, p = entry.row["a"], entry.pointer
    errors = _required(entry, attrs=("username",), rels=())
    if entry.creating and not a.get("password"):
        errors.append(not_blank(f"{p}/attributes/password"))
    password = a.get("password")
    if password and len(password) < 8:
        errors.append(too_short(f"{p}/attributes/password", 8))
    for name in ("username", "password", "clientId", "clientKey", "customDomain"):
        value = a.get(name)
        if value and len(value) > 255:
            errors.append(too_long(f"{p}/attributes/{name}", 255))
    return errors


def _validate_data_field(store: Store, entry: Pending) -> list[ApiError]:
    a, r, p = entry.row["a"], entry.row["r"], entry.pointer
    errors = _required(entry, attrs=("name",), rels=("channel", "type", "visibility"))
    name = a.get("name")
    pointer = f"{p}/attributes/name"
    if name:
        if len(name) > 20:
            errors.append(too_long(pointer, 20))
        elif not NAME_RE.match(name):
            errors.append(
                field_error(
                    pointer,
                    "regex constraint",
                    "The name should contain only alphanumeric symbols, hyphens and underscores.",
                )
            )
        elif any(
            o["a"]["name"].upper() == name.upper() and o["r"].get("channel") == r.get("channel")
            for o in store.others("dotmailerdatafields", entry.row)
        ):
            errors.append(
                unique(
                    pointer, "Field with such name already exists in this dotdigital integration"
                )
            )
    return errors


def _validate_mapping(store: Store, entry: Pending) -> list[ApiError]:
    a, r, p = entry.row["a"], entry.row["r"], entry.pointer
    errors = _required(entry, attrs=("entity",), rels=("channel",))
    if a.get("entity") and any(
        o["a"]["entity"] == a["entity"] and o["r"].get("channel") == r.get("channel")
        for o in store.others("dotmailerdatafieldmappings", entry.row)
    ):
        errors.append(
            unique(
                f"{p}/attributes/entity",
                "Mapping for this entity already exists in this dotdigital integration",
            )
        )
    return errors


def _validate_config(store: Store, entry: Pending) -> list[ApiError]:
    a, r, p = entry.row["a"], entry.row["r"], entry.pointer
    errors = _required(entry, attrs=("entityFields",), rels=("dataField", "mapping"))
    data_field = store.tables["dotmailerdatafields"].get(r.get("dataField"))
    if data_field is not None and r.get("mapping") is not None:
        if any(
            o["r"].get("dataField") == r["dataField"] and o["r"].get("mapping") == r["mapping"]
            for o in store.others("dotmailerdatafieldmappingconfigs", entry.row)
        ):
            errors.append(
                unique(
                    f"{p}/relationships/dataField/data",
                    "The same Data Field can be mapped only one time",
                )
            )
        fields = a.get("entityFields") or ""
        if "," in fields and data_field["r"].get("type") != "String":
            # DataFieldMappingConfigValidator rule 1
            errors.append(
                field_error(
                    f"{p}/attributes/entityFields",
                    "data field mapping config constraint",
                    "Several entity fields can be mapped only to the Data Field of type string",
                )
            )
    return errors


def _validate_address_book(store: Store, entry: Pending) -> list[ApiError]:
    a, r, p = entry.row["a"], entry.row["r"], entry.pointer
    errors = _required(entry, attrs=("name",), rels=("channel", "visibility"))
    name = a.get("name")
    others = list(store.others("dotmaileraddressbooks", entry.row))
    if name:
        if len(name) > 128:  # dotdigital-api-v2.md: address book names are at most 128
            errors.append(too_long(f"{p}/attributes/name", 128))
        elif any(
            o["a"]["name"].casefold() == name.casefold()
            and o["r"].get("channel") == r.get("channel")
            for o in others
        ):
            errors.append(
                unique(
                    f"{p}/attributes/name",
                    'Integration has duplication of address books. Field "Name" should be unique.',
                )
            )
    origin = a.get("originId")
    if origin is not None and any(
        o["a"].get("originId") == origin and o["r"].get("channel") == r.get("channel")
        for o in others
    ):
        errors.append(unique(f"{p}/attributes/originId"))
    ml = r.get("marketingList")
    if ml is not None and any(o["r"].get("marketingList") == ml for o in others):
        errors.append(
            unique(
                f"{p}/relationships/marketingList/data",
                "This marketing list is already connected to another address book.",
            )
        )
    return errors


_VALIDATORS: dict[str, Callable[[Store, Pending], list[ApiError]]] = {
    "integrationchannels": _validate_channel,
    "dotmailertransports": _validate_transport,
    "dotmailerdatafields": _validate_data_field,
    "dotmailerdatafieldmappings": _validate_mapping,
    "dotmailerdatafieldmappingconfigs": _validate_config,
    "dotmaileraddressbooks": _validate_address_book,
}
