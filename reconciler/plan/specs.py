"""What an object of each kind is, typed: the payload an op carries from compare to apply.

A spec has one JSON-able *values* form (``values()``, read back by ``from_values``): the
field-by-field view that compare diffs, the state keeps as last-applied, a saved plan records
and the renderers show. Desired and live objects become specs through the same constructors,
so both sides are normalised once and the same way (plan-apply-anchors.md §3 complaint 1:
perpetual diffs come from comparing differently normalised values).

A mapping stays structured all the way: each mapped data field is a :class:`MappedField` whose
values form is ``{"entity_fields": [...], "two_way_sync": bool}`` under the key
``field.NAME`` (one row per mapped field in a diff, plan-apply-anchors.md §3 complaint 6). Only
a renderer turns it into text.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from reconciler import defaults
from reconciler.defaults import Default
from reconciler.model import AddressBook, DataField, DataFieldMapping, Integration, Owner

Values = Mapping[str, Any]

# Fields whose change cannot be made in place: dotmailer has no data-field update
# (oro-dotmailer-bundle.md §2 "No update path").
DATA_FIELD_REPLACE_FIELDS = ("default", "type", "visibility")
INTEGRATION_SECRET_FIELDS = ("oauth_client_secret", "password")
FIELD_PREFIX = "field."


class SpecError(ValueError):
    """Values that do not describe an object of the kind (a saved plan from another format)."""


def _text(values: Values, key: str) -> str:
    value = values.get(key)
    if not isinstance(value, str):
        raise SpecError(f"{key}: expected text, got {value!r}")
    return value


def _optional_text(values: Values, key: str) -> str | None:
    value = values.get(key)
    if value is not None and not isinstance(value, str):
        raise SpecError(f"{key}: expected text or null, got {value!r}")
    return value


def _flag(values: Values, key: str, missing: bool | None = None) -> bool:
    """A flag; ``missing`` is its value where an older record has no such key."""
    if key not in values and missing is not None:
        return missing
    value = values.get(key)
    if not isinstance(value, bool):
        raise SpecError(f"{key}: expected true or false, got {value!r}")
    return value


@dataclass(frozen=True)
class OwnerSpec:
    """An Oro user resolved for an Owner document (read, never written)."""

    username: str
    organization: str
    business_unit: str | None

    @classmethod
    def of(cls, owner: Owner) -> OwnerSpec:
        return cls(owner.username, owner.organization, owner.business_unit)

    def values(self) -> dict[str, Any]:
        return {
            "username": self.username,
            "organization": self.organization,
            "business_unit": self.business_unit,
        }


@dataclass(frozen=True)
class IntegrationSpec:
    """An Oro integration channel of type dotmailer and its transport, secrets aside (they are
    compared by fingerprint, never as values)."""

    enabled: bool
    owner: str | None  # the owner's Oro username
    organization: str | None
    business_unit: str | None
    username: str
    oauth_client_id: str | None
    custom_domain: str | None

    @classmethod
    def of(cls, integration: Integration, owner: Owner) -> IntegrationSpec:
        oauth = integration.oauth
        return cls(
            enabled=integration.enabled,
            owner=owner.username,
            organization=owner.organization,
            business_unit=owner.business_unit,
            username=integration.connection.username,
            oauth_client_id=oauth.client_id if oauth else None,
            custom_domain=oauth.custom_domain if oauth else None,
        )

    def values(self) -> dict[str, Any]:
        return {
            "enabled": self.enabled,
            "owner": self.owner,
            "organization": self.organization,
            "business_unit": self.business_unit,
            "username": self.username,
            "oauth_client_id": self.oauth_client_id,
            "custom_domain": self.custom_domain,
        }

    @classmethod
    def from_values(cls, values: Values) -> IntegrationSpec:
        return cls(
            enabled=_flag(values, "enabled"),
            owner=_optional_text(values, "owner"),
            organization=_optional_text(values, "organization"),
            business_unit=_optional_text(values, "business_unit"),
            username=_text(values, "username"),
            oauth_client_id=_optional_text(values, "oauth_client_id"),
            custom_domain=_optional_text(values, "custom_domain"),
        )


@dataclass(frozen=True)
class DataFieldSpec:
    """A dotmailer data field (type, visibility, default) with its Oro-only notes.

    The name is upper case: dotmailer stores names so (dotdigital-api-v2.md §3), and comparing
    the declared case would report a difference apply can never remove."""

    name: str
    type: str
    visibility: str
    default: Default
    notes: str | None = None

    @classmethod
    def of(cls, field: DataField) -> DataFieldSpec:
        return cls.make(field.name, field.type, field.visibility, field.default, field.notes)

    @classmethod
    def make(
        cls, name: str, type_: str, visibility: str, default: object, notes: str | None
    ) -> DataFieldSpec:
        """A spec from any side's values; the default is brought to canonical form."""
        return cls(name.upper(), type_, visibility, defaults.canonical(type_, default), notes)

    @property
    def key(self) -> str:
        return self.name.upper()

    def values(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "type": self.type,
            "visibility": self.visibility,
            "default": self.default,
            "notes": self.notes,
        }

    @classmethod
    def from_values(cls, values: Values) -> DataFieldSpec:
        default = values.get("default")
        if default is not None and not isinstance(default, str | int | bool):
            raise SpecError(f"default: expected a scalar, got {default!r}")
        return cls(
            name=_text(values, "name"),
            type=_text(values, "type"),
            visibility=_text(values, "visibility"),
            default=default,
            notes=_optional_text(values, "notes"),
        )


@dataclass(frozen=True)
class AddressBookSpec:
    """A dotmailer address book and its Oro record (marketing list, createEntities)."""

    name: str
    visibility: str
    marketing_list: str | None
    create_entities: bool

    @classmethod
    def of(cls, book: AddressBook) -> AddressBookSpec:
        return cls(book.name, book.visibility, book.marketing_list, book.create_entities)

    def values(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "visibility": self.visibility,
            "marketing_list": self.marketing_list,
            "create_entities": self.create_entities,
        }

    @classmethod
    def from_values(cls, values: Values) -> AddressBookSpec:
        return cls(
            name=_text(values, "name"),
            visibility=_text(values, "visibility"),
            marketing_list=_optional_text(values, "marketing_list"),
            create_entities=_flag(values, "create_entities", missing=False),
        )


@dataclass(frozen=True)
class MappedField:
    """One data field of a mapping and the entity fields that feed it."""

    data_field: str  # upper case, like DataFieldSpec.name
    entity_fields: tuple[str, ...]
    two_way_sync: bool = False

    def values(self) -> dict[str, Any]:
        return {"entity_fields": list(self.entity_fields), "two_way_sync": self.two_way_sync}

    @classmethod
    def from_values(cls, data_field: str, values: object) -> MappedField:
        if not isinstance(values, Mapping):
            raise SpecError(f"{FIELD_PREFIX}{data_field}: expected an object, got {values!r}")
        fields = values.get("entity_fields")
        if not isinstance(fields, list) or not all(isinstance(f, str) for f in fields):
            raise SpecError(f"{FIELD_PREFIX}{data_field}.entity_fields: expected a list of text")
        return cls(data_field, tuple(fields), _flag(values, "two_way_sync"))


@dataclass(frozen=True)
class MappingSpec:
    """An Oro data-field mapping of one entity for one integration, its fields by name."""

    entity: str
    sync_priority: int
    fields: tuple[MappedField, ...]  # sorted by data field

    @classmethod
    def make(cls, entity: str, sync_priority: int, fields: tuple[MappedField, ...]) -> MappingSpec:
        return cls(entity, sync_priority, tuple(sorted(fields, key=lambda f: f.data_field)))

    @classmethod
    def of(cls, mapping: DataFieldMapping) -> MappingSpec:
        return cls.make(
            mapping.entity,
            mapping.sync_priority,
            tuple(
                MappedField(f.data_field.upper(), f.entity_fields, f.two_way_sync)
                for f in mapping.fields
            ),
        )

    def values(self) -> dict[str, Any]:
        values: dict[str, Any] = {"entity": self.entity, "sync_priority": self.sync_priority}
        for mapped in self.fields:
            values[FIELD_PREFIX + mapped.data_field] = mapped.values()
        return values

    @classmethod
    def from_values(cls, values: Values) -> MappingSpec:
        priority = values.get("sync_priority")
        if not isinstance(priority, int) or isinstance(priority, bool):
            raise SpecError(f"sync_priority: expected an integer, got {priority!r}")
        fields = tuple(
            MappedField.from_values(key.removeprefix(FIELD_PREFIX), value)
            for key, value in values.items()
            if key.startswith(FIELD_PREFIX)
        )
        return cls.make(_text(values, "entity"), priority, fields)

    def data_fields(self) -> frozenset[str]:
        return frozenset(f.data_field for f in self.fields)


def mapping_key(entity: str) -> str:
    """The address key of a mapping: the entity's short class name, lower case."""
    return entity.rsplit("\\", 1)[-1].lower()
