"""oro-bundle/Resources/config/oro/api.yml against Oro's configuration tree and the real entities.

Oro validates every bundle's api.yml against one tree and refuses an unknown key for the whole API
(oroinc/platform src/Oro/Bundle/ApiBundle/Provider/ConfigCacheWarmer.php:278-311), so a key in the
wrong place takes every resource down. The allowed keys are read from the tree's source:

- [P]   oroinc/platform 3aec000be42c116977babe152a4ebfe81d997235 (master; 6.1 and 7.0 are the same
        for this tree), src/Oro/Bundle/ApiBundle/Config/Definition/ (paths below are under it);
- [P51] oroinc/platform 21e1cd4d2c70a06200cf8bd4d8ad5a388e56b28e (5.1), which lacks the keys of
        ``NOT_ON_5_1`` and allows only ``^[a-z][a-z0-9_]*$`` as an alias
        (EntityAliasesConfiguration.php:25,43); 6.0 (ddbe30a8) lacks only ``enable_validation``.

The bundle targets 5.1 to 7.x, so a key must exist on all of them. Property names come from the
entity classes: [DM] oroinc/OroCRMDotmailerBundle 873def61 (the same names on 5.1, 22c44ad5),
[MK] oroinc/OroCRMMarketingBundle 8c6956b8, and [P].
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

BUNDLE = Path(__file__).resolve().parents[2] / "oro-bundle"
API_YML = BUNDLE / "Resources" / "config" / "oro" / "api.yml"
MODEL = "Reconciler\\Bundle\\DotmailerApiBundle\\Api\\Model\\IntegrationSync"
CHANNEL = "Oro\\Bundle\\IntegrationBundle\\Entity\\Channel"
DM = "Oro\\Bundle\\DotmailerBundle\\Entity\\"


def words(text: str) -> set[str]:
    return set(text.split())


# --- the tree ([P] unless noted) -----------------------------------------------------------------
API_TOP = {"entity_aliases", "entities"}  # ApiConfiguration.php:41-47
ENTITY_ALIAS = {"alias", "plural_alias", "override_class"}  # EntityAliasesConfiguration.php:17-53
ALIAS_5_1 = re.compile(r"[a-z][a-z0-9_]*")
# The actions with a processor_service_id: ApiBundle/Resources/config/oro/app.yml:525-866 ([P51]).
ACTION_NAMES = words(
    """
    options get get_list create update update_list delete delete_list get_subresource
    update_subresource add_subresource delete_subresource get_relationship
    update_relationship add_relationship delete_relationship
    """
)
# TargetEntityDefinitionConfiguration::configureEntityNode (100-149) and its fields node (67-73).
TARGET_ENTITY = words(
    """
    exclusion_policy max_results order_by hints form_type form_options
    form_event_subscriber fields
    """
)
# EntityDefinitionConfiguration::configureEntityNode (14-55), EntityConfiguration.php:65 (inherit),
# ApiConfiguration.php:47 (exclude), and the sections of the config extensions registered in
# ApiBundle/Resources/config/oro/app.yml:301-307 (filters, sorters, actions, subresources).
ENTITY = TARGET_ENTITY | words(
    """
    inherit exclude identifier_field_names identifier_description disable_inclusion
    enable_validation disable_fieldset disable_meta_properties disable_partial_load
    inner_join_associations documentation_resource upsert filters sorters actions
    subresources
    """
)
# TargetEntityDefinitionConfiguration::configureFieldNode (170-194).
TARGET_FIELD = words(
    """
    exclude description property_path data_type target_class target_type collapse
    form_type form_options post_processor post_processor_options depends_on
    """
)
# EntityDefinitionConfiguration.php:89-95, plus the nested target-entity keys a field takes up to
# oro_api.config_max_nesting_level (3: DependencyInjection/Configuration.php:73-80;
# EntityConfiguration.php:32-45,72-84; Tests/Unit/Config/Definition/Fixtures/definition.yml:667+).
NESTED = words(
    """
    exclusion_policy max_results order_by hints form_event_subscriber fields filters
    sorters
    """
)
ENTITY_FIELD = TARGET_FIELD | NESTED | {"meta_property", "meta_property_result_name"}
FILTERS = {"exclusion_policy", "fields"}  # FiltersConfiguration.php:43-52
FILTER_FIELD = words(
    """
    exclude description property_path type operators data_type collection allow_array
    allow_range options
    """
)  # FiltersConfiguration.php:71-102
SORTERS = {"exclusion_policy", "fields"}  # SortersConfiguration.php:35-44
SORTER_FIELD = {"exclude", "property_path"}  # SortersConfiguration.php:57-59
# ActionsConfiguration.php:72-74, 102-152, 176-195.
ACTION = words(
    """
    exclude description documentation acl_resource max_results disable_paging page_size
    order_by disable_sorting disable_inclusion disable_fieldset disable_meta_properties
    form_type form_options form_event_subscriber request_target_class
    request_documentation_action status_codes upsert fields
    """
)
# ActionsConfiguration.php:303-324: the only place "direction" exists.
ACTION_FIELD = words(
    """
    exclude property_path direction form_type form_options post_processor
    post_processor_options
    """
)
STATUS_CODE = {"exclude", "description"}  # ActionsConfiguration.php:270-272
SUBRESOURCE = {"exclude", "target_class", "target_type", "actions", "filters", "sorters"}
NOT_ON_5_1 = words(
    """
    enable_validation meta_property_result_name disable_paging request_target_class
    request_documentation_action
    """
)  # git diff 21e1cd4d 3aec000b -- ApiBundle/Config/Definition
DIRECTIONS = {"input-only", "output-only", "bidirectional"}  # ActionsConfiguration.php:306-311
TARGET_TYPES = {"to-one", "to-many", "collection"}  # TargetEntityDefinitionConfiguration.php:176
EXCLUSION_POLICIES = {"all", "custom_fields", "none"}
# ApiBundle/Request/DataType.php:14-36 ([P51]).
DATA_TYPES = words(
    """
    integer smallint bigint unsignedInteger string boolean decimal float datetime date
    time percent percent_100 money duration guid array object objects scalar entityType
    entityClass orderBy nestedObject nestedAssociation
    """
)
# What the stock api.yml turns off: [P] IntegrationBundle/Resources/config/oro/api.yml:35-39.
ACTIONS_OFF_IN_STOCK = {CHANNEL: ("create", "update", "delete", "delete_list")}

# --- the entities: their Doctrine-mapped properties (not-mapped ones like DataField.forceRemove or
# DotmailerTransport.settingsBag cannot be API fields) plus the enum fields the installer adds
# ([DM] Migrations/Schema/OroDotmailerBundleInstaller.php:137-138, 369-370). ---------------------
DATES = {"createdAt", "updatedAt"}  # [P] EntityBundle/EntityProperty/DatesAwareTrait.php:8-11
ENTITY_PROPERTIES: dict[str, set[str]] = {
    # [P] UserBundle/Entity/User.php:92; only the property this file names.
    "Oro\\Bundle\\UserBundle\\Entity\\User": {"username"},
    # [MK] src/Oro/Bundle/MarketingListBundle/Entity/MarketingList.php:55-133
    "Oro\\Bundle\\MarketingListBundle\\Entity\\MarketingList": words(
        """
        id name description entity type segment marketingListItems
        marketingListUnsubscribedItems marketingListRemovedItems owner organization
        lastRun createdAt updatedAt union
        """
    ),
    # [P] IntegrationBundle/Entity/Channel.php:55-143
    CHANNEL: words(
        """
        id name type transport connectors synchronizationSettings mappingSettings enabled
        previouslyEnabled defaultUserOwner defaultBusinessUnitOwner organization statuses
        editMode
        """
    ),
    # [DM] Entity/DotmailerTransport.php:18-30 and [P] IntegrationBundle/Entity/Transport.php:30-34
    DM + "DotmailerTransport": words(
        """
        id channel username password clientId clientKey customDomain
        """
    ),
    # [DM] Entity/DataField.php:66-117
    DM + "DataField": words(
        """
        id channel name defaultValue notes owner createdAt type visibility
        """
    ),
    # [DM] Entity/DataFieldMapping.php:48-78
    DM + "DataFieldMapping": {"id", "channel", "entity", "syncPriority", "configs", "owner"}
    | DATES,
    # [DM] Entity/DataFieldMappingConfig.php:27-50
    DM + "DataFieldMappingConfig": {"id", "entityFields", "dataField", "isTwoWaySync", "mapping"}
    | DATES,
    # [DM] Entity/AddressBook.php:63-162 and Entity/OriginTrait.php:22
    DM + "AddressBook": words(
        """
        id originId channel campaigns addressBookContacts marketingList name contactCount
        lastExportedAt lastImportedAt owner createdAt updatedAt
        addressBookContactsExports createEntities visibility syncStatus
        """
    ),
    MODEL: set(),  # the model's getters, read from its PHP source by _model_accessors
}


def _model_accessors() -> tuple[set[str], set[str]]:
    """The properties IntegrationSync can be read and written by: its getters and setters."""
    source = (BUNDLE / "Api" / "Model" / "IntegrationSync.php").read_text(encoding="utf-8")
    methods = re.findall(r"public function (get|set|is)([A-Z]\w*)\(", source)
    readable = {n[0].lower() + n[1:] for kind, n in methods if kind != "set"}
    writable = {n[0].lower() + n[1:] for kind, n in methods if kind == "set"}
    return readable, writable - {"job"}


def problems(api: dict[str, Any]) -> list[str]:
    """What Oro's tree (and the entities) would refuse in ``api``, in document order."""
    out: list[str] = []
    _keys(out, api, API_TOP, "api")
    for cls, alias in (api.get("entity_aliases") or {}).items():
        _keys(out, alias, ENTITY_ALIAS, f"api.entity_aliases.{cls}")
        for key in ("alias", "plural_alias"):
            if not ALIAS_5_1.fullmatch(str(alias.get(key))):
                out.append(
                    f'The alias "{alias.get(key)}" of {cls} does not match ^[a-z][a-z0-9_]*$'
                )
    for cls, entity in (api.get("entities") or {}).items():
        if cls not in ENTITY_PROPERTIES:
            out.append(f"{cls} is not an entity this bundle configures")
            continue
        _entity(out, cls, entity or {}, f"api.entities.{cls}")
    return out


def _entity(out: list[str], cls: str, entity: dict[str, Any], path: str) -> None:
    readable, writable = _model_accessors() if cls == MODEL else (ENTITY_PROPERTIES[cls],) * 2
    _keys(out, entity, ENTITY, path)
    for name, field in (entity.get("fields") or {}).items():
        _property(out, cls, name, readable, f"{path}.fields")
        _field(out, field or {}, ENTITY_FIELD, f"{path}.fields.{name}")
    sections = (("filters", FILTERS, FILTER_FIELD), ("sorters", SORTERS, SORTER_FIELD))
    for section, allowed, field_keys in sections:
        _keys(out, entity.get(section) or {}, allowed, f"{path}.{section}")
        for name, field in ((entity.get(section) or {}).get("fields") or {}).items():
            _property(out, cls, name, readable, f"{path}.{section}.fields")
            _keys(out, field or {}, field_keys, f"{path}.{section}.fields.{name}")
    for name, sub in (entity.get("subresources") or {}).items():
        if isinstance(sub, dict):
            _keys(out, sub, SUBRESOURCE, f"{path}.subresources.{name}")
    _actions(out, cls, entity.get("actions") or {}, readable, writable, f"{path}.actions")


def _actions(
    out: list[str], cls: str, actions: Any, readable: set[str], writable: set[str], path: str
) -> None:
    if actions is False:
        return
    unknown = sorted(set(actions) - ACTION_NAMES)
    if unknown:
        out.append(f'The section "{path}" contains not permissible actions: "{", ".join(unknown)}"')
    for action, config in actions.items():
        if not isinstance(config, dict):
            continue  # true, false and ~ are shorthands (ActionsConfiguration.php:67-71)
        _keys(out, config, ACTION, f"{path}.{action}")
        for code, status in (config.get("status_codes") or {}).items():
            if not isinstance(code, int):
                out.append(f'"{code}" is not a status code (under "{path}.{action}.status_codes")')
            if isinstance(status, dict):
                _keys(out, status, STATUS_CODE, f"{path}.{action}.status_codes.{code}")
        for name, field in (config.get("fields") or {}).items():
            field = field or {}
            where = f"{path}.{action}.fields"
            _property(out, cls, name, readable, where)
            _keys(out, field, ACTION_FIELD, f"{where}.{name}")
            direction = field.get("direction")
            if direction is not None and direction not in DIRECTIONS:
                out.append(
                    f'The value "{direction}" is not allowed for path "{where}.{name}.direction"'
                )
            writes = action in ("create", "update") and direction != "output-only"
            if writes and name not in writable:
                out.append(f'"{name}" of {cls} has no setter for the {action} form')


def _field(out: list[str], field: dict[str, Any], allowed: set[str], path: str) -> None:
    _keys(out, field, allowed, path)
    if "data_type" in field and field["data_type"] not in DATA_TYPES:
        out.append(f'"{field["data_type"]}" is not an API data type (under "{path}")')
    if "target_type" in field and field["target_type"] not in TARGET_TYPES:
        out.append(f'The value "{field["target_type"]}" is not allowed for "{path}.target_type"')
    if "target_class" in field and field["target_class"] not in ENTITY_PROPERTIES:
        out.append(f'{field["target_class"]} is not an entity configured here (under "{path}")')
    if field.get("exclusion_policy", "all") not in EXCLUSION_POLICIES:
        out.append(f'The value "{field["exclusion_policy"]}" is not allowed for path "{path}"')


def _property(out: list[str], cls: str, name: str, properties: set[str], path: str) -> None:
    if name not in properties:
        out.append(f'"{name}" is not a property of {cls} (under "{path}")')


def _keys(out: list[str], node: dict[str, Any], allowed: set[str], path: str) -> None:
    for key in node:
        if key not in allowed:
            out.append(f'Unrecognized option "{key}" under "{path}"')
        elif key in NOT_ON_5_1:
            out.append(f'Unrecognized option "{key}" under "{path}" (not on Oro 5.1)')


def _api() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(API_YML.read_text(encoding="utf-8"))["api"]
    return loaded


def test_every_key_is_one_the_tree_accepts_at_its_level_on_every_version() -> None:
    assert problems(_api()) == []


def test_the_checker_refuses_what_oro_refuses() -> None:
    """The mistakes of the old docs/oro-api.yml, and others, each named with its path as Oro does
    ([P] Tests/Unit/Config/Definition/Fixtures/definition.yml:519, actions.yml:195,1114)."""
    book, transport = DM + "AddressBook", DM + "DotmailerTransport"
    broken = {
        "entity_aliases": {
            MODEL: {"alias": "integration-sync", "plural_alias": "integrationsyncs"}
        },
        "entities": {
            transport: {"fields": {"password": {"direction": "input-only"}}},
            book: {
                "fields": {"lastImported": {"exclude": True}},
                "actions": {
                    "patch": False,
                    "get": {"fields": {"name": {"direction": "write-only"}}},
                },
            },
            "Oro\\Bundle\\MessageQueueBundle\\Entity\\Job": {
                "fields": {"owner_id": {"exclude": True}}
            },
            MODEL: {
                "fields": {"jobId": {"data_type": "text"}},
                "actions": {
                    "get_list": {"disable_paging": True},
                    "create": {"fields": {"jobName": {"exclude": False}}},
                },
            },
        },
    }
    entities = "api.entities."
    assert problems(broken) == [
        f'The alias "integration-sync" of {MODEL} does not match ^[a-z][a-z0-9_]*$',
        f'Unrecognized option "direction" under "{entities}{transport}.fields.password"',
        f'"lastImported" is not a property of {book} (under "{entities}{book}.fields")',
        f'The section "{entities}{book}.actions" contains not permissible actions: "patch"',
        f'The value "write-only" is not allowed for path "{entities}{book}.actions.get.fields'
        '.name.direction"',
        "Oro\\Bundle\\MessageQueueBundle\\Entity\\Job is not an entity this bundle configures",
        f'"text" is not an API data type (under "{entities}{MODEL}.fields.jobId")',
        f'Unrecognized option "disable_paging" under "{entities}{MODEL}.actions.get_list"'
        " (not on Oro 5.1)",
        f'"jobName" of {MODEL} has no setter for the create form',
    ]


def test_actions_the_stock_config_turns_off_are_turned_on_explicitly() -> None:
    """A stock ``create: false`` is stored as {exclude: true}, and a later map without ``exclude``
    merges into it and keeps the action off (ActionsConfiguration.php:67-71; Symfony's
    PrototypedArrayNode::mergeValues merges the maps key by key)."""
    entities = _api()["entities"]
    opened = {
        (cls, action): entities[cls]["actions"][action].get("exclude")
        for cls, actions in ACTIONS_OFF_IN_STOCK.items()
        for action in actions
        if isinstance(entities[cls]["actions"].get(action), dict)
    }
    assert opened == {
        (CHANNEL, "create"): False,
        (CHANNEL, "update"): False,
        (CHANNEL, "delete"): False,
    }


def test_the_transport_secrets_follow_the_stock_write_only_pattern() -> None:
    """Excluded on the entity, so no answer (each is built by ``get``) shows them; opened for create
    and update ([P] UserBundle/Resources/config/oro/api.yml:55-63, and IntegrationBundle's
    WebhookProducerSettings.secret, IntegrationBundle/Resources/config/oro/api.yml:41-60)."""
    transport = _api()["entities"][DM + "DotmailerTransport"]
    secrets = ("password", "clientKey")
    assert {f: transport["fields"][f] for f in secrets} == {f: {"exclude": True} for f in secrets}
    for action in ("create", "update"):
        fields = transport["actions"][action]["fields"]
        assert {f: fields[f] for f in secrets} == {
            f: {"exclude": False, "direction": "input-only"} for f in secrets
        }


def test_the_sync_resource_keeps_get_and_offers_only_create_besides() -> None:
    """Create answers through the ``get`` action ([P] ApiBundle/Processor/Shared/
    LoadNormalizedEntity.php), so ``get`` stays on; a model has no ACL, so both name the integration
    ACL the "Schedule Sync" button uses ([P] IntegrationBundle/Controller/IntegrationController.php:
    33, 51, 63)."""
    actions = _api()["entities"][MODEL]["actions"]
    assert sorted(a for a in ACTION_NAMES if actions.get(a) is not False) == [
        "create",
        "get",
        "options",
    ]
    assert {a: actions[a]["acl_resource"] for a in ("create", "get")} == {
        "create": "oro_integration_update",
        "get": "oro_integration_view",
    }


def test_the_bundle_configures_exactly_these_entities() -> None:
    assert sorted(_api()["entities"]) == sorted(ENTITY_PROPERTIES)
    assert _api()["entity_aliases"] == {
        MODEL: {"alias": "integrationsync", "plural_alias": "integrationsyncs"}
    }
