"""describe: a live world, built by hand, as the documents import writes (exact text)."""

from __future__ import annotations

from dataclasses import replace

from reconciler.estate import naming
from reconciler.estate.describe import describe, is_default_mapping
from reconciler.estate.emit import emit
from reconciler.model import (
    BusinessUnit,
    LiveIntegration,
    LiveUser,
    LiveWorld,
    MarketingList,
    Organization,
    OroAddressBook,
    OroDataField,
    OroIntegration,
    OroMapping,
    OroMappingConfig,
    RemoteAddressBook,
    RemoteDataField,
)
from reconciler.plan.specs import MappedField, MappingSpec

CONTACT = "Oro\\Bundle\\ContactBundle\\Entity\\Contact"
LEAD = "Oro\\Bundle\\SalesBundle\\Entity\\Lead"
CUSTOMER = "Oro\\Bundle\\CustomerBundle\\Entity\\Customer"


def channel(id_: str, name: str, **changes: object) -> OroIntegration:
    base = OroIntegration(
        id=id_,
        name=name,
        enabled=True,
        organization_id="1",
        owner_user_id="5",
        business_unit_id="2",
        username=f"apiuser-{name.lower()}@apiconnector.com",
        client_id=None,
        custom_domain=None,
        transport_id=f"{id_}0",
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def field(
    id_: str, channel_id: str, name: str, type_: str = "String", **kw: object
) -> OroDataField:
    base = OroDataField(id_, channel_id, name, type_, "Private", None, None)
    return replace(base, **kw)  # type: ignore[arg-type]


def mapping(
    id_: str, channel_id: str, entity: str, priority: int, *configs: tuple[str, str]
) -> OroMapping:
    return OroMapping(
        id_,
        channel_id,
        entity,
        priority,
        tuple(
            OroMappingConfig(f"{id_}{n}", field_id, tuple(fields.split(",")), False)
            for n, (field_id, fields) in enumerate(configs)
        ),
    )


def the_world() -> LiveWorld:
    emea = LiveIntegration(
        name="EMEA",
        oro=channel("7", "EMEA"),
        remote_fields=(
            RemoteDataField("FIRSTNAME", "String", "Private", None),  # built in: left out
            RemoteDataField("LOYALTY", "String", "Private", "bronze"),
            RemoteDataField("POINTS", "Numeric", "Public", 10),
            RemoteDataField("HANDMADE", "Boolean", "Private", True),  # dotmailer only
        ),
        remote_books=(
            RemoteAddressBook(1, "All Contacts", "Private"),
            RemoteAddressBook(2, "Test", "Private"),
            RemoteAddressBook(12, "Newsletter", "Public", contacts=40),
            RemoteAddressBook(13, "No", "Private"),  # in dotmailer only
        ),
        oro_fields=(
            field("21", "7", "FIRSTNAME"),
            field("22", "7", "LASTNAME"),
            field("23", "7", "LOYALTY", default="bronze", notes="Set by the loyalty programme"),
            field("24", "7", "POINTS", "Numeric", visibility="Public", default="10"),
        ),
        oro_books=(
            OroAddressBook("31", "7", "Newsletter", "Public", 12, "3", True),
            OroAddressBook("32", "7", "Gone", "Private", 99, None, False),  # not in dotmailer
        ),
        oro_mappings=(
            mapping("41", "7", CONTACT, 20, ("21", "firstName"), ("23", "loyaltyTier")),
            mapping("42", "7", LEAD, 10, ("21", "firstName"), ("22", "lastName")),  # default
        ),
    )
    apac = LiveIntegration(
        name="apac",
        oro=channel("8", "apac", client_id="4711", custom_domain=None, business_unit_id=None),
        oro_fields=(field("51", "8", "FIRSTNAME"), field("53", "8", "LOYALTY")),
        oro_books=(OroAddressBook("61", "8", "Newsletter APAC", "Private", 14, "4", False),),
        oro_mappings=(
            mapping("71", "8", CONTACT, 20, ("51", "firstName"), ("53", "loyaltyTier")),
            mapping("72", "8", CUSTOMER, 5, ("51", "firstName")),
        ),
    )
    orphan = LiveIntegration(name="orphaned", oro=channel("9", "orphaned", owner_user_id="404"))
    return LiveWorld(
        users=(LiveUser("5", "mkt.ops", True, ("1",)),),
        organizations=(Organization("1", "ACME"),),
        business_units=(BusinessUnit("2", "Main", "1"),),
        marketing_lists=(
            MarketingList("3", "EMEA subscribers", CONTACT),
            MarketingList("4", "APAC subscribers", CONTACT),
        ),
        integrations=(emea, apac, orphan),
    )


NAMES = ["EMEA", "apac", "orphaned"]


def texts(world: LiveWorld, *, default_mappings: bool = False) -> dict[str, str]:
    described = describe(world, NAMES, naming.Stems.of(NAMES), default_mappings=default_mappings)
    return {path: emit(docs, "S/") for path, docs in described.files}


def test_the_estate_as_documents() -> None:
    described = describe(the_world(), NAMES, naming.Stems.of(NAMES))
    assert described.integrations == ("EMEA", "apac")
    assert described.default_mappings == 1  # EMEA's Lead mapping, as Oro made it
    assert described.notes == (
        "integration.EMEA.address_book.Gone: not imported: in Oro only, gone from dotmailer",
        "integration.apac: dotmailer was not read: its data fields and address books are "
        "Oro's copy",
        "integration.orphaned: not imported: its default owner (Oro user 404) was not found in Oro",
    )
    assert texts(the_world()) == {
        "integrations/apac.yaml": (
            "# yaml-language-server: $schema=S/integration.json\n"
            "apiVersion: reconciler/v1\n"
            "kind: Integration\n"
            "metadata:\n"
            "  name: apac\n"
            "spec:\n"
            "  enabled: true\n"
            "  owner: mkt.ops@ACME\n"
            "  connection:\n"
            "    username: apiuser-apac@apiconnector.com\n"
            "    password: {env: DOTMAILER_APAC_PASSWORD}\n"
            "  oauth:\n"
            '    clientId: "4711"\n'
            "    clientSecret: {env: DOTMAILER_APAC_OAUTH_SECRET}\n"
            "  dataFields:\n"
            "    - {name: LOYALTY, type: String, visibility: Private}\n"
            "  addressBooks:\n"
            "    - {name: Newsletter APAC, visibility: Private, marketingList: APAC subscribers}\n"
        ),
        "integrations/emea.yaml": (
            "# yaml-language-server: $schema=S/integration.json\n"
            "apiVersion: reconciler/v1\n"
            "kind: Integration\n"
            "metadata:\n"
            "  name: EMEA\n"
            "spec:\n"
            "  enabled: true\n"
            "  owner: mkt.ops@ACME/Main\n"
            "  connection:\n"
            "    username: apiuser-emea@apiconnector.com\n"
            "    password: {env: DOTMAILER_EMEA_PASSWORD}\n"
            "  dataFields:\n"
            "    - {name: HANDMADE, type: Boolean, visibility: Private, default: true}\n"
            "    - {name: LOYALTY, type: String, visibility: Private, default: bronze, "
            "notes: Set by the loyalty programme}\n"
            "    - {name: POINTS, type: Numeric, visibility: Public, default: 10}\n"
            "  addressBooks:\n"
            "    - {name: Newsletter, visibility: Public, marketingList: EMEA subscribers, "
            "createEntities: true}\n"
            '    - {name: "No", visibility: Private}\n'
        ),
        "mappings.yaml": (
            "# yaml-language-server: $schema=S/datafieldmapping.json\n"
            "apiVersion: reconciler/v1\n"
            "kind: DataFieldMapping\n"
            "metadata:\n"
            "  name: contact\n"
            "spec:\n"
            "  integrations: [EMEA, apac]\n"
            "  entity: contact\n"
            "  syncPriority: 20\n"
            "  fields:\n"
            "    - {dataField: FIRSTNAME, entityFields: [firstName]}\n"
            "    - {dataField: LOYALTY, entityFields: [loyaltyTier]}\n"
            "--- # yaml-language-server: $schema=S/datafieldmapping.json\n"
            "apiVersion: reconciler/v1\n"
            "kind: DataFieldMapping\n"
            "metadata:\n"
            "  name: customer\n"
            "spec:\n"
            "  integrations: [apac]\n"
            "  entity: customer\n"
            "  syncPriority: 5\n"
            "  fields:\n"
            "    - {dataField: FIRSTNAME, entityFields: [firstName]}\n"
        ),
        "owners.yaml": (
            "# yaml-language-server: $schema=S/owner.json\n"
            "apiVersion: reconciler/v1\n"
            "kind: Owner\n"
            "metadata:\n"
            "  name: mkt.ops@ACME\n"
            "spec:\n"
            "  username: mkt.ops\n"
            "  organization: ACME\n"
            "--- # yaml-language-server: $schema=S/owner.json\n"
            "apiVersion: reconciler/v1\n"
            "kind: Owner\n"
            "metadata:\n"
            "  name: mkt.ops@ACME/Main\n"
            "spec:\n"
            "  username: mkt.ops\n"
            "  organization: ACME\n"
            "  businessUnit: Main\n"
        ),
    }


def test_oros_default_mappings_are_kept_when_asked_for() -> None:
    kept = texts(the_world(), default_mappings=True)["mappings.yaml"]
    assert kept.endswith(
        "metadata:\n"
        "  name: lead\n"
        "spec:\n"
        "  integrations: [EMEA]\n"
        "  entity: lead\n"
        "  syncPriority: 10\n"
        "  fields:\n"
        "    - {dataField: FIRSTNAME, entityFields: [firstName]}\n"
        "    - {dataField: LASTNAME, entityFields: [lastName]}\n"
    )


def test_mappings_of_one_entity_that_differ_get_a_document_each() -> None:
    world = the_world()
    apac = world.integration("apac")
    changed = replace(
        apac,
        oro_mappings=(mapping("71", "8", CONTACT, 30, ("51", "firstName"), ("53", "loyaltyTier")),),
    )
    text = texts(replace(world, integrations=(world.integration("EMEA"), changed)))["mappings.yaml"]
    heads = [line for line in text.splitlines() if line.startswith(("  name:", "  integrations:"))]
    assert heads == [
        "  name: contact-apac",
        "  integrations: [apac]",
        "  name: contact-EMEA",
        "  integrations: [EMEA]",
    ]


def test_a_default_mapping_is_oros_configs_at_oros_priority() -> None:
    first = MappedField("FIRSTNAME", ("firstName",))
    full = MappedField("FULLNAME", ("firstName", "lastName"))
    assert is_default_mapping(MappingSpec.make(CONTACT, 20, (first, full)))
    assert is_default_mapping(MappingSpec.make(CUSTOMER, 0, (first,)))
    assert not is_default_mapping(MappingSpec.make(CONTACT, 10, (first,)))  # priority changed
    assert not is_default_mapping(MappingSpec.make(CUSTOMER, 0, ()))
    two_way = MappedField("FIRSTNAME", ("firstName",), two_way_sync=True)
    assert not is_default_mapping(MappingSpec.make(CUSTOMER, 0, (two_way,)))
    other = MappedField("FIRSTNAME", ("nickName",))
    assert not is_default_mapping(MappingSpec.make(CUSTOMER, 0, (other,)))
