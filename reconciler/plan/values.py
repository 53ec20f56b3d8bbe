"""Declared values of each kind, in one canonical JSON shape for desired, live and state.

Compare, the state's ``applied`` values and the apply executor all use these functions, so a
value is normalised once and the same way everywhere (plan-apply-anchors.md §3 complaint 1:
perpetual diffs come from comparing differently normalised values).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from reconciler.model import (
    AddressBook,
    DataField,
    DataFieldMapping,
    LiveWorld,
    OroAddressBook,
    OroDataField,
    OroIntegration,
    OroMapping,
    RemoteAddressBook,
    RemoteDataField,
)

# Fields whose change cannot be made in place: dotmailer has no data-field update
# (oro-dotmailer-bundle.md §2 "No update path").
DATA_FIELD_REPLACE_FIELDS = ("default", "type", "visibility")
INTEGRATION_SECRET_FIELDS = ("oauth_client_secret", "password")

_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class _Names:
    """Id -> name of a world's Oro lookups."""

    marketing_lists: Mapping[str, str]
    users: Mapping[str, str]
    organizations: Mapping[str, str]
    business_units: Mapping[str, str]


_last_names: tuple[LiveWorld, _Names] | None = None


def _names(world: LiveWorld) -> _Names:
    """The lookups of ``world``, built once per world, not once per object: with 5,000 address
    books and as many marketing lists, rebuilding them per book was O(N^2) (docs/performance.md).
    A one-entry cache keyed by identity (hashing a LiveWorld would cost as much as the build)."""
    global _last_names
    cached = _last_names
    if cached is not None and cached[0] is world:
        return cached[1]
    names = _Names(
        marketing_lists={ml.id: ml.name for ml in world.marketing_lists},
        users={u.id: u.username for u in world.users},
        organizations={o.id: o.name for o in world.organizations},
        business_units={b.id: b.name for b in world.business_units},
    )
    _last_names = (world, names)  # one assignment: safe across threads
    return names


def canonical_default(type_: str, value: Any) -> Any:
    """A data-field default as dotmailer stores it (oro-dotmailer-bundle.md §2, DataFieldManager):
    Numeric as an int (decimals truncated), Boolean as a bool, Date as ``YYYY-MM-DDTHH:MM:SS``,
    String as text; empty and the API's ``'null'`` are None."""
    if value is None or value == "" or value == "null":
        return None
    if type_ == "Numeric":
        try:
            return int(float(value))
        except (TypeError, ValueError):
            return str(value)
    if type_ == "Boolean":
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("yes", "true", "1"):
            return True
        if text in ("no", "false", "0"):
            return False
        return None
    if type_ == "Date":
        if isinstance(value, datetime):
            return value.strftime("%Y-%m-%dT%H:%M:%S")
        if isinstance(value, date):
            return value.strftime("%Y-%m-%dT00:00:00")
        text = str(value).strip()
        if _DATE_ONLY.match(text):
            return f"{text}T00:00:00"
        return text.removesuffix("Z")[:19]
    return str(value)


def oro_default(type_: str, value: Any) -> str | None:
    """The default as Oro's DataField entity stores it (a string; Boolean as Yes/No)."""
    canonical = canonical_default(type_, value)
    if canonical is None:
        return None
    if isinstance(canonical, bool):
        return "Yes" if canonical else "No"
    return str(canonical)


# --- data fields ---------------------------------------------------------------------------


def data_field_values(field: DataField) -> dict[str, Any]:
    # dotmailer stores data-field names in upper case (dotdigital-api-v2.md §3); comparing the
    # declared case would report a difference that apply can never remove.
    return {
        "name": field.name.upper(),
        "type": field.type,
        "visibility": field.visibility,
        "default": canonical_default(field.type, field.default),
        "notes": field.notes,
    }


def live_data_field_values(
    remote: RemoteDataField | None, oro: OroDataField | None
) -> dict[str, Any] | None:
    """dotmailer is the source of truth for type/visibility/default, Oro for notes."""
    if remote is None and oro is None:
        return None
    if remote is not None:
        values = {
            "name": remote.name.upper(),
            "type": remote.type,
            "visibility": remote.visibility,
            "default": canonical_default(remote.type, remote.default),
        }
    else:
        assert oro is not None
        values = {
            "name": oro.name.upper(),
            "type": oro.type,
            "visibility": oro.visibility,
            "default": canonical_default(oro.type, oro.default),
        }
    values["notes"] = oro.notes if oro is not None else None
    return values


# --- address books -------------------------------------------------------------------------


def address_book_values(book: AddressBook) -> dict[str, Any]:
    return {
        "name": book.name,
        "visibility": book.visibility,
        "marketing_list": book.marketing_list,
        "create_entities": book.create_entities,
    }


def live_address_book_values(
    remote: RemoteAddressBook | None, oro: OroAddressBook | None, world: LiveWorld
) -> dict[str, Any] | None:
    if remote is None and oro is None:
        return None
    lists = _names(world).marketing_lists
    name = remote.name if remote is not None else oro.name if oro is not None else ""
    visibility = (
        remote.visibility if remote is not None else oro.visibility if oro is not None else ""
    )
    return {
        "name": name,
        "visibility": visibility,
        "marketing_list": (
            lists.get(oro.marketing_list_id, oro.marketing_list_id)
            if oro is not None and oro.marketing_list_id is not None
            else None
        ),
        "create_entities": oro.create_entities if oro is not None else False,
    }


# --- mappings ------------------------------------------------------------------------------


FIELD_PREFIX = "field."
TWO_WAY = " (two-way)"


def _config_value(entity_fields: Sequence[str], two_way: bool) -> str:
    """One mapped field as a reviewer reads it: ``firstName,lastName`` or
    ``firstName (two-way)``. Entity fields are comma-joined as Oro stores them."""
    return ",".join(entity_fields) + (TWO_WAY if two_way else "")


def mapping_values(mapping: DataFieldMapping) -> dict[str, Any]:
    """A mapping flattened to one key per mapped data field, so a plan diffs it field by field
    (plan-apply-anchors.md §3 complaint 6: nested values diffed as one long string)."""
    values: dict[str, Any] = {"entity": mapping.entity, "sync_priority": mapping.sync_priority}
    for f in mapping.fields:
        values[FIELD_PREFIX + f.data_field.upper()] = _config_value(f.entity_fields, f.two_way_sync)
    return values


def live_mapping_values(mapping: OroMapping, fields_by_id: Mapping[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {"entity": mapping.entity, "sync_priority": mapping.sync_priority}
    for c in mapping.configs:
        name = fields_by_id.get(c.data_field_id, f"#{c.data_field_id}").upper()
        values[FIELD_PREFIX + name] = _config_value(c.entity_fields, c.two_way_sync)
    return values


def mapping_configs(values: Mapping[str, Any]) -> list[tuple[str, tuple[str, ...], bool]]:
    """(data field, entity fields, two-way) for each mapped field of flattened values, sorted."""
    result = []
    for key in sorted(values):
        if not key.startswith(FIELD_PREFIX):
            continue
        text = str(values[key])
        two_way = text.endswith(TWO_WAY)
        fields = text.removesuffix(TWO_WAY)
        result.append((key.removeprefix(FIELD_PREFIX), tuple(fields.split(",")), two_way))
    return result


def mapping_key(entity: str) -> str:
    """The address key of a mapping: the entity's short class name, lower case."""
    return entity.rsplit("\\", 1)[-1].lower()


# --- integrations --------------------------------------------------------------------------


def live_integration_values(oro: OroIntegration, world: LiveWorld) -> dict[str, Any]:
    names = _names(world)
    users, orgs, units = names.users, names.organizations, names.business_units
    return {
        "enabled": oro.enabled,
        "owner": users.get(oro.owner_user_id or "", oro.owner_user_id),
        "organization": orgs.get(oro.organization_id or "", oro.organization_id),
        "business_unit": units.get(oro.business_unit_id or "", oro.business_unit_id),
        "username": oro.username,
        "oauth_client_id": oro.client_id or None,
        "custom_domain": oro.custom_domain or None,
    }


# --- fingerprints --------------------------------------------------------------------------


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def remote_fingerprint(*parts: Any) -> str:
    """A hash of the live object(s) behind an address; "" when nothing exists."""
    if all(part is None for part in parts):
        return ""
    return "sha256:" + hashlib.sha256(canonical_json(parts).encode("utf-8")).hexdigest()
