"""Validation of the rows a write staged (bundle validation.yml; oro-dotmailer-bundle.md §1–§4).

A write first copies every resource object of the request onto a ``Pending`` row, then asks
``validate`` for each: one validator per entity, over the store with the staged rows in place.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from reconciler.sandbox.oro.entities import field_type as field_type_of
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
# [DM] Validator/DataFieldMappingConfigValidator.php:91-116 (Doctrine and Oro type names)
NUMERIC = frozenset(
    {"bigint", "smallint", "integer", "decimal", "float", "money", "percent", "duration"}
)
DATES = frozenset({"datetime", "datetimetz", "date"})
COMPLEX = frozenset({"binary", "blob", "object"})


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
    a, p = entry.row["a"], entry.pointer
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
            o["a"]["name"] == name
            for o in store.others("integrationchannels", entry.row, "organization")
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
    a, p = entry.row["a"], entry.pointer
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
                    # [DM] Resources/config/validation.yml, DataField.name (Oro's spelling)
                    "Must consist of alphnumeric characters only, with hyphens and underscores "
                    "if required",
                )
            )
        elif any(
            # UniqueEntity(channel, name): the database's comparison, case-sensitive
            o["a"]["name"] == name
            for o in store.others("dotmailerdatafields", entry.row, "channel")
        ):
            errors.append(
                unique(
                    pointer, "Field with such name already exists in this dotdigital integration"
                )
            )
    return errors


def _validate_mapping(store: Store, entry: Pending) -> list[ApiError]:
    a, p = entry.row["a"], entry.pointer
    errors = _required(entry, attrs=("entity",), rels=("channel",))
    if a.get("entity") and any(
        o["a"]["entity"] == a["entity"]
        for o in store.others("dotmailerdatafieldmappings", entry.row, "channel")
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
    mapping = store.tables["dotmailerdatafieldmappings"].get(r.get("mapping"))
    if data_field is None or mapping is None:
        return errors
    if any(
        o["r"].get("dataField") == r["dataField"]
        for o in store.others("dotmailerdatafieldmappingconfigs", entry.row, "mapping")
    ):
        errors.append(
            unique(
                f"{p}/relationships/dataField/data",
                "The same Data Field can be mapped only one time",
            )
        )
    message = _incompatible(store, str(a.get("entityFields") or ""), data_field, mapping)
    if message:
        # A class-level constraint: the pointer is the config object itself
        # ([DM] Validator/DataFieldMappingConfigValidator.php:55-66).
        errors.append(ApiError(400, "data field mapping config constraint", message, pointer=p))
    return errors


def _incompatible(store: Store, fields: str, data_field: Row, mapping: Row) -> str:
    """DataFieldMappingConfigValidator::isFieldsTypeCompatible ([DM] l.76-124): several fields
    only for String; the entity field's type must fit the data field's; messages from
    [DM] Resources/translations/messages.en.yml:282-286."""
    type_ = str(data_field["r"].get("type") or "String")
    if "," in fields and type_ != "String":
        return "Several entity fields can be mapped only to the Data Field of type string"
    field_type = field_type_of(store.entities(), str(mapping["a"]["entity"]), fields)
    name = data_field["a"]["name"]
    if type_ == "Numeric" and field_type not in NUMERIC:
        return f'Mapping for field "{name}" must be of numeric type'
    if type_ == "Date" and field_type not in DATES:
        return f'Mapping for field "{name}" must be of datetime type'
    if type_ == "Boolean" and field_type != "boolean":
        return f'Mapping for field "{name}" must be of boolean type'
    if type_ == "String" and field_type in COMPLEX:
        return f'Mapping for field "{name}" must be convertable to string'
    return ""


def _validate_address_book(store: Store, entry: Pending) -> list[ApiError]:
    """[DM] validation.yml: channel, name (≤ 255) and owner NotBlank, UniqueEntity(channel,
    name); the unique indexes (origin_id, channel_id) and marketing_list_id
    ([DM] Migrations/Schema/OroDotmailerBundleInstaller.php:134-135) are the database's: Oro's
    SaveEntity turns their violation into a 409 "The entity already exists." with no pointer
    (oroinc/platform ApiBundle/Processor/Create/SaveEntity.php:56-60)."""
    a, r, p = entry.row["a"], entry.row["r"], entry.pointer
    errors = _required(entry, attrs=("name",), rels=("channel",))
    name = a.get("name")
    same_channel = list(store.others("dotmaileraddressbooks", entry.row, "channel"))
    if name:
        if len(name) > 255:
            errors.append(too_long(f"{p}/attributes/name", 255))
        elif any(o["a"]["name"] == name for o in same_channel):
            errors.append(
                unique(
                    f"{p}/attributes/name",
                    'Integration has duplication of address books. Field "Name" should be unique.',
                )
            )
    if errors:
        return errors
    origin = a.get("originId")
    ml = r.get("marketingList")
    if (
        origin is not None
        and r.get("channel") is not None
        and any(o["a"].get("originId") == origin for o in same_channel)
    ) or (
        ml is not None and any(store.others("dotmaileraddressbooks", entry.row, "marketingList"))
    ):
        errors.append(ApiError(409, "conflict constraint", "The entity already exists."))
    return errors


_VALIDATORS: dict[str, Callable[[Store, Pending], list[ApiError]]] = {
    "integrationchannels": _validate_channel,
    "dotmailertransports": _validate_transport,
    "dotmailerdatafields": _validate_data_field,
    "dotmailerdatafieldmappings": _validate_mapping,
    "dotmailerdatafieldmappingconfigs": _validate_config,
    "dotmaileraddressbooks": _validate_address_book,
}
