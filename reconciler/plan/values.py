"""The live world as specs: what each live object is, in the form compare diffs.

Compare, ``state import`` and the state's last-applied values all read live objects through
these functions, so a live value is normalised once and exactly as a desired one is
(:mod:`reconciler.plan.specs`). Fingerprints of the live objects behind an address live here
too: a saved plan records them, and apply refuses the plan when one moved.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from reconciler.model import (
    DEFAULT_OAUTH_DOMAIN,
    LiveWorld,
    OroAddressBook,
    OroDataField,
    OroIntegration,
    OroMapping,
    RemoteAddressBook,
    RemoteDataField,
)
from reconciler.plan.specs import (
    AddressBookSpec,
    DataFieldSpec,
    IntegrationSpec,
    MappedField,
    MappingSpec,
)


@dataclass(frozen=True)
class _Names:
    """Id -> name of a world's Oro lookups."""

    marketing_lists: Mapping[str, str]
    marketing_list_ids: Mapping[str, str]  # name -> id of the first list of that name
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
        marketing_list_ids=_first_ids(world),
        users={u.id: u.username for u in world.users},
        organizations={o.id: o.name for o in world.organizations},
        business_units={b.id: b.name for b in world.business_units},
    )
    _last_names = (world, names)  # one assignment: safe across threads
    return names


def _first_ids(world: LiveWorld) -> dict[str, str]:
    ids: dict[str, str] = {}
    for marketing_list in world.marketing_lists:
        ids.setdefault(marketing_list.name, marketing_list.id)
    return ids


def marketing_list_ids(world: LiveWorld) -> Mapping[str, str]:
    """Marketing list name -> id, the first list of each name (as a scan in order finds)."""
    return _names(world).marketing_list_ids


def live_integration(oro: OroIntegration, world: LiveWorld) -> IntegrationSpec:
    names = _names(world)
    users, orgs, units = names.users, names.organizations, names.business_units
    return IntegrationSpec(
        enabled=oro.enabled,
        owner=users.get(oro.owner_user_id or "", oro.owner_user_id),
        organization=orgs.get(oro.organization_id or "", oro.organization_id),
        business_unit=units.get(oro.business_unit_id or "", oro.business_unit_id),
        username=oro.username,
        oauth_client_id=oro.client_id or None,
        custom_domain=oauth_domain(oro),
    )


def oauth_domain(oro: OroIntegration) -> str | None:
    """The web-app domain OAuth uses: none without a client id (single sign-on is offered only
    with one, oroinc/OroCRMDotmailerBundle 873def61 ``Controller/DotmailerController.php:146``),
    else the transport's, or Oro's default when empty (``Model/OAuthManager.php:56``:
    ``getCustomDomain() ?: self::API_ENDPOINT``). So a hand-made integration's empty domain
    reads as the default a config's ``oauth`` has, and never makes a diff."""
    if not oro.client_id:
        return None
    return oro.custom_domain or DEFAULT_OAUTH_DOMAIN


def live_data_field(
    remote: RemoteDataField | None, oro: OroDataField | None
) -> DataFieldSpec | None:
    """dotmailer is the source of truth for type/visibility/default, Oro for notes."""
    notes = oro.notes if oro is not None else None
    if remote is not None:
        return DataFieldSpec.make(
            remote.name, remote.type, remote.visibility, remote.default, notes
        )
    if oro is not None:
        return DataFieldSpec.make(oro.name, oro.type, oro.visibility, oro.default, notes)
    return None


def oro_data_field(oro: OroDataField) -> DataFieldSpec:
    """Oro's own copy of a data field (Oro keeps type, visibility and default too)."""
    return DataFieldSpec.make(oro.name, oro.type, oro.visibility, oro.default, oro.notes)


def live_address_book(
    remote: RemoteAddressBook | None, oro: OroAddressBook | None, world: LiveWorld
) -> AddressBookSpec | None:
    if remote is None and oro is None:
        return None
    lists = _names(world).marketing_lists
    name = remote.name if remote is not None else oro.name if oro is not None else ""
    visibility = (
        remote.visibility if remote is not None else oro.visibility if oro is not None else ""
    )
    return AddressBookSpec(
        name=name,
        visibility=visibility,
        marketing_list=(
            lists.get(oro.marketing_list_id, oro.marketing_list_id)
            if oro is not None and oro.marketing_list_id is not None
            else None
        ),
        create_entities=oro.create_entities if oro is not None else False,
    )


def live_mapping(mapping: OroMapping, fields_by_id: Mapping[str, str]) -> MappingSpec:
    """``fields_by_id``: Oro data-field id -> name, for the configs' data fields."""
    return MappingSpec.make(
        mapping.entity,
        mapping.sync_priority,
        tuple(
            MappedField(
                fields_by_id.get(c.data_field_id, f"#{c.data_field_id}").upper(),
                c.entity_fields,
                c.two_way_sync,
            )
            for c in mapping.configs
        ),
    )


# --- fingerprints --------------------------------------------------------------------------


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def remote_fingerprint(*parts: Any) -> str:
    """A hash of the live object(s) behind an address; "" when nothing exists."""
    if all(part is None for part in parts):
        return ""
    return "sha256:" + hashlib.sha256(canonical_json(parts).encode("utf-8")).hexdigest()
