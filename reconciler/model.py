"""Frozen dataclasses for the desired world (from YAML) and the live world (from the APIs).

Data flows one way: config -> model -> (live via providers, state) -> plan -> render | apply.
Nothing here does I/O. Names follow SPEC §2; where a rule comes from the Oro bundle or the
Dotdigital API, the reference file is named.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

from reconciler.errors import Location

# SPEC §2.2 / oro-dotmailer-bundle.md §2: the four data-field types and two visibilities.
DataFieldType = Literal["String", "Numeric", "Date", "Boolean"]
Visibility = Literal["Private", "Public"]
DATA_FIELD_TYPES: tuple[DataFieldType, ...] = ("String", "Numeric", "Date", "Boolean")
VISIBILITIES: tuple[Visibility, ...] = ("Private", "Public")

# dotdigital-api-v2.md §7: fields every account has; they may be mapped, never declared.
BUILTIN_DATA_FIELDS: tuple[str, ...] = ("FIRSTNAME", "FULLNAME", "GENDER", "LASTNAME", "POSTCODE")
# dotdigital-api-v2.md §3: names dotmailer refuses for a data field (compared case-insensitively).
RESTRICTED_DATA_FIELDS: frozenset[str] = frozenset(
    {
        "account",
        "campaign",
        "campaignid",
        "contact",
        "contact_api_id",
        "contactid",
        "email",
        "hcontactid",
        "hemail",
        "hemail256",
        "id",
        "messagecontent",
        "mobilenumberid",
        "notes",
        "unsubscribed",
        "uniquecontactid",
    }
)
# dotdigital-api-v2.md §7: books every account has; they can be neither declared nor written.
BUILTIN_ADDRESS_BOOKS: tuple[str, ...] = ("All Contacts", "Test")

# The dotmailer bundle's connector types, tag oro_integration.connector, channel_type dotmailer
# (oroinc/OroCRMDotmailerBundle 873def61 Resources/config/services.yml:424-502).
DOTMAILER_CONNECTORS: tuple[str, ...] = (
    "activity_contact",
    "address_book",
    "campaign",
    "campaign_click",
    "campaign_open",
    "campaign_summary",
    "contact",
    "contact_export",
    "datafield",
    "unsubscribed_contact",
)
DATAFIELD_CONNECTOR = "datafield"

# The mappings Oro makes on its own after an integration's first data-field import, for every
# entity with the fields and no mapping yet: data field <- entity fields (never two-way), and a
# sync priority per entity, 0 for any other (oroinc/OroCRMDotmailerBundle 873def61
# EventListener/AddDefaultMappingListener.php:62-101, 189-228).
DEFAULT_MAPPING_CONFIGS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("FIRSTNAME", ("firstName",)),
    ("LASTNAME", ("lastName",)),
    ("FULLNAME", ("firstName", "lastName")),
)
DEFAULT_MAPPING_PRIORITIES: Mapping[str, int] = {
    "Oro\\Bundle\\ContactBundle\\Entity\\Contact": 20,
    "Oro\\Bundle\\SalesBundle\\Entity\\Lead": 10,
}

# docs/environments.md: the variable that names the environment a run is in (as --env does).
ENVIRONMENT_VARIABLE = "RECONCILER_ENV"

# oro-jsonapi.md §9 E: Oro's default OAuth web-app domain (OAuthManager::API_ENDPOINT).
DEFAULT_OAUTH_DOMAIN = "https://r1-app.dotmailer.com/"


class SecretSource(StrEnum):
    ENV = "env"
    FILE = "file"
    LITERAL = "literal"  # only with --allow-literal-secrets


@dataclass(frozen=True)
class SecretRef:
    """Where a secret comes from. The value itself is never held in the model."""

    source: SecretSource
    ref: str  # variable name, file path, or (literal) the value's own text
    location: Location | None = field(default=None, compare=False)

    def describe(self) -> str:
        """A display form that never shows a literal's value."""
        if self.source is SecretSource.LITERAL:
            return "(literal)"
        return f"{{{self.source.value}: {self.ref}}}"


# --- desired objects ---------------------------------------------------------------------


@dataclass(frozen=True)
class Owner:
    """SPEC §2.1: a reference to an existing Oro user (read, never created)."""

    name: str
    username: str
    organization: str
    business_unit: str | None = None
    labels: tuple[tuple[str, str], ...] = ()
    location: Location | None = field(default=None, compare=False)


@dataclass(frozen=True)
class DataField:
    name: str
    type: DataFieldType
    visibility: Visibility = "Private"
    default: str | int | float | bool | None = None
    notes: str | None = None  # Oro-only, never sent to dotmailer
    replace_on_change: bool = False
    location: Location | None = field(default=None, compare=False)

    @property
    def key(self) -> str:
        """Identity within an integration: names are unique case-insensitively."""
        return self.name.upper()


@dataclass(frozen=True)
class AddressBook:
    name: str
    visibility: Visibility = "Private"
    marketing_list: str | None = None
    create_entities: bool = False
    renamed_from: str | None = None  # explicit identity across a rename (like Terraform `moved`)
    location: Location | None = field(default=None, compare=False)

    @property
    def key(self) -> str:
        return self.name.casefold()


@dataclass(frozen=True)
class Connection:
    username: str
    password: SecretRef


@dataclass(frozen=True)
class OAuth:
    client_id: str
    client_secret: SecretRef
    custom_domain: str = DEFAULT_OAUTH_DOMAIN


@dataclass(frozen=True)
class Integration:
    name: str
    owner: str  # Owner.name
    connection: Connection
    enabled: bool = True
    oauth: OAuth | None = None
    data_fields: tuple[DataField, ...] = ()
    address_books: tuple[AddressBook, ...] = ()
    sync_on_change: bool = True
    labels: tuple[tuple[str, str], ...] = ()
    location: Location | None = field(default=None, compare=False)


@dataclass(frozen=True)
class MappingField:
    data_field: str
    entity_fields: tuple[str, ...]
    two_way_sync: bool = False
    location: Location | None = field(default=None, compare=False)


@dataclass(frozen=True)
class DataFieldMapping:
    """SPEC §2.3, already expanded: one object per (integration, entity)."""

    name: str  # metadata.name of the document
    integration: str
    entity: str  # fully qualified class name (aliases resolved)
    sync_priority: int = 0
    fields: tuple[MappingField, ...] = ()
    location: Location | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Settings:
    """SPEC §2.4: reconciler.yaml, after defaults and RECONCILER_* overrides."""

    state: str = "sqlite:///.reconciler/state.db"
    oro_url: str | None = None
    oro_api_base: str = "/admin/api"
    oro_client_id: str | None = None
    oro_client_secret: SecretRef | None = None
    dotmailer_api_url: str | None = None  # override: tests and sandbox only
    prune: bool = False
    max_deletes: int = 10
    concurrency: int = 4
    timeout_seconds: float = 121.0  # dotdigital-api-v2.md §1: allow 121 s per call
    location: Location | None = field(default=None, compare=False)


@dataclass(frozen=True)
class DesiredState:
    """Everything the YAML declares, validated and expanded."""

    settings: Settings
    owners: tuple[Owner, ...] = ()
    integrations: tuple[Integration, ...] = ()
    mappings: tuple[DataFieldMapping, ...] = ()
    digest: str = ""  # sha256 over the canonical config, for saved plans


# --- live objects (as the APIs report them) ----------------------------------------------


@dataclass(frozen=True)
class LiveUser:
    id: str
    username: str
    enabled: bool
    organization_ids: tuple[str, ...]
    business_unit_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class RemoteDataField:
    """A data field as dotmailer's GET /v2/data-fields reports it."""

    name: str
    type: str
    visibility: str
    default: str | int | float | bool | None


@dataclass(frozen=True)
class RemoteAddressBook:
    """An address book as dotmailer's GET /v2/address-books reports it."""

    id: int
    name: str
    visibility: str
    contacts: int = 0


# --- live Oro objects (as the Oro JSON:API reports them; ids are JSON:API strings) -------


@dataclass(frozen=True)
class Organization:
    id: str
    name: str


@dataclass(frozen=True)
class BusinessUnit:
    id: str
    name: str
    organization_id: str | None


@dataclass(frozen=True)
class MarketingList:
    id: str
    name: str
    entity: str  # FQCN of the list's entity


@dataclass(frozen=True)
class OroIntegration:
    """An integration channel of type dotmailer with its transport (secrets never returned)."""

    id: str
    name: str
    enabled: bool
    organization_id: str | None
    owner_user_id: str | None
    business_unit_id: str | None
    username: str
    client_id: str | None
    custom_domain: str | None
    transport_id: str


@dataclass(frozen=True)
class OroDataField:
    id: str
    channel_id: str
    name: str
    type: str
    visibility: str
    default: str | None
    notes: str | None


@dataclass(frozen=True)
class OroAddressBook:
    """``channel_id`` None: an orphan, whose integration was deleted (Oro keeps its books with
    their marketing lists: ``AddressBook.channel`` is onDelete SET NULL, oro-verified.md §4)."""

    id: str
    channel_id: str | None
    name: str
    visibility: str
    origin_id: int | None
    marketing_list_id: str | None
    create_entities: bool


@dataclass(frozen=True)
class OroMappingConfig:
    id: str
    data_field_id: str
    entity_fields: tuple[str, ...]
    two_way_sync: bool


@dataclass(frozen=True)
class OroMapping:
    id: str
    channel_id: str
    entity: str
    sync_priority: int
    configs: tuple[OroMappingConfig, ...]


@dataclass(frozen=True)
class SyncJob:
    """The root job of an integration's sync. ``already_active``: a sync of the integration
    was new or running, so Oro scheduled nothing and this is that one (its connector and
    options are its own, not the ones asked for: oro-bundle ScheduleIntegrationSync)."""

    id: str
    name: str
    status: str  # bare word: new | running | success | failed | cancelled | stale
    progress: float = 0.0
    already_active: bool = False

    @property
    def finished(self) -> bool:
        return self.status in ("success", "failed", "cancelled", "stale")


# --- the live world, as one refresh saw it ------------------------------------------------


@dataclass(frozen=True)
class LiveIntegration:
    """One integration's live objects on both sides. ``remote_*`` is None when dotmailer was
    not read (the integration has no usable credentials yet, or the connection failed)."""

    name: str
    oro: OroIntegration | None
    remote_fields: tuple[RemoteDataField, ...] | None = None
    remote_books: tuple[RemoteAddressBook, ...] | None = None
    oro_fields: tuple[OroDataField, ...] = ()
    oro_books: tuple[OroAddressBook, ...] = ()
    oro_mappings: tuple[OroMapping, ...] = ()
    read_error: str | None = None


@dataclass(frozen=True)
class LiveWorld:
    users: tuple[LiveUser, ...] = ()
    organizations: tuple[Organization, ...] = ()
    business_units: tuple[BusinessUnit, ...] = ()
    marketing_lists: tuple[MarketingList, ...] = ()
    integrations: tuple[LiveIntegration, ...] = ()
    orphan_books: tuple[OroAddressBook, ...] = ()  # Oro books with no integration
    # Oro's entities as entitystructures reports them, for the entities the mappings use:
    # FQCN -> {field: type}, or None when Oro has no such entity; not read: absent.
    entity_fields: Mapping[str, Mapping[str, str] | None] = field(default_factory=dict)

    def integration(self, name: str) -> LiveIntegration:
        found = self._by_name.get(name)
        return found if found is not None else LiveIntegration(name=name, oro=None)

    @functools.cached_property
    def _by_name(self) -> dict[str, LiveIntegration]:
        # Built once: plan and apply look up every integration (a scan each was O(N^2) at
        # 1,000 integrations; docs/performance.md). cached_property writes __dict__ directly,
        # so it works on a frozen dataclass and leaves equality alone.
        index: dict[str, LiveIntegration] = {}
        for live in self.integrations:
            index.setdefault(live.name, live)
        return index
