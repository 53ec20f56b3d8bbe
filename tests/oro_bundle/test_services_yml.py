"""oro-bundle/Resources/config/services.yml: each processor tagged as Oro's processor bag reads it.

Oro builds its processor bag from the ``oro.api.processor`` tags (oroinc/platform 3aec000b
src/Oro/Bundle/ApiBundle/DependencyInjection/Compiler/ProcessorBagCompilerPass.php): ``action``
names the action, ``group`` one of that action's processing groups (ApiBundle/Resources/config/oro/
app.yml, ``processing_groups``: get at line 557, delete 580, create 624; the same on 5.1 21e1cd4d),
``event`` a customize_form_data event (Processor/CustomizeFormData/CustomizeFormDataContext.php, the
8 EVENT_* constants of 5.1), and the other attributes are matched against the context (``class``,
``parentAction``) or order the processors (``priority``).
"""

from __future__ import annotations

import json
from typing import Any

import yaml
from test_api_yml import BUNDLE, ENTITY_PROPERTIES, words

SERVICES = BUNDLE / "Resources" / "config" / "services.yml"
PREFIX = "Reconciler\\Bundle\\DotmailerApiBundle\\"
GROUPS = {
    "get": [
        "initialize", "resource_check", "normalize_input", "security_check", "build_query",
        "load_data", "data_security_check", "normalize_data", "finalize", "normalize_result",
    ],
    "create": [
        "initialize", "resource_check", "normalize_input", "security_check", "load_data",
        "data_security_check", "transform_data", "save_data", "normalize_data", "finalize",
        "normalize_result",
    ],
    "delete": [
        "initialize", "resource_check", "normalize_input", "security_check", "load_data",
        "data_security_check", "delete_data", "finalize", "normalize_result",
    ],
}  # fmt: skip
UNGROUPED = {"customize_form_data", "get_metadata"}  # ProcessorBagCompilerPass.php:51-53
EVENTS = words(
    """
    pre_submit submit post_submit pre_validate post_validate pre_flush_data
    post_flush_data post_save_data
    """
)
ATTRIBUTES = {"name", "action", "group", "event", "parentAction", "class", "priority"}


def _services() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(SERVICES.read_text(encoding="utf-8"))["services"]
    return loaded


def _tag_problems(service: str, tag: dict[str, Any]) -> list[str]:
    out = [f"{service}: unknown tag attribute {a}" for a in sorted(set(tag) - ATTRIBUTES)]
    action = tag.get("action")
    if action in UNGROUPED:
        if "group" in tag:
            out.append(f"{service}: {action} has no groups")
    elif tag.get("group") not in GROUPS.get(action, []):
        out.append(f"{service}: {tag.get('group')} is not a group of {action}")
    event = tag.get("event", "pre_submit")
    if ("event" in tag) != (action == "customize_form_data") or event not in EVENTS:
        out.append(f"{service}: event {tag.get('event')} does not fit {action}")
    if tag.get("parentAction", "create") not in ("create", "update"):
        out.append(f"{service}: parentAction {tag['parentAction']}")
    if tag.get("class") not in ENTITY_PROPERTIES:
        out.append(f"{service}: {tag.get('class')} is not a resource of api.yml")
    if not isinstance(tag.get("priority", 0), int):
        out.append(f"{service}: priority {tag['priority']}")
    return out


def test_every_processor_tag_is_one_the_processor_bag_accepts() -> None:
    found = [
        problem
        for service, definition in _services().items()
        for tag in definition["tags"]
        if tag["name"] == "oro.api.processor"
        for problem in _tag_problems(service, tag)
    ]
    assert found == []


def test_the_checks_find_a_wrong_tag() -> None:
    tag = {
        "name": "oro.api.processor",
        "action": "create",
        "group": "delete_data",
        "event": "x",
        "class": "Oro\\Bundle\\DotmailerBundle\\Entity\\Campaign",
        "requestType": "rest",
    }
    assert _tag_problems("s", tag) == [
        "s: unknown tag attribute requestType",
        "s: delete_data is not a group of create",
        "s: event x does not fit create",
        "s: Oro\\Bundle\\DotmailerBundle\\Entity\\Campaign is not a resource of api.yml",
    ]


def test_every_processor_class_is_registered_once_and_exists() -> None:
    classes = sorted(d["class"] for d in _services().values())
    files = sorted(
        PREFIX + str(p.relative_to(BUNDLE).with_suffix("")).replace("/", "\\")
        for p in (BUNDLE / "Api" / "Processor").glob("*.php")
    )
    assert classes == files


def test_each_processor_runs_where_its_job_is() -> None:
    """The placement each processor's docblock explains, in one table."""
    placed = {
        d["class"].removeprefix(PREFIX + "Api\\Processor\\"): [
            {k: v for k, v in t.items() if k != "name"} for t in d["tags"]
        ]
        for d in _services().values()
    }
    sync = PREFIX + "Api\\Model\\IntegrationSync"
    assert placed == {
        "EncryptTransportSecrets": [
            {"action": "customize_form_data", "event": "pre_submit",
             "class": "Oro\\Bundle\\DotmailerBundle\\Entity\\DotmailerTransport"},
        ],
        "SetDotmailerConnectors": [
            {"action": "customize_form_data", "event": "post_submit",
             "class": "Oro\\Bundle\\IntegrationBundle\\Entity\\Channel"},
        ],
        "SetDataFieldForceRemove": [
            {"action": "delete", "group": "delete_data",
             "class": "Oro\\Bundle\\DotmailerBundle\\Entity\\DataField", "priority": 10},
        ],
        "SetIntegrationSyncIdentifierGenerator": [
            {"action": "get_metadata", "class": sync, "priority": -20},
        ],
        "ValidateIntegrationSync": [
            {"action": "customize_form_data", "event": "post_validate", "parentAction": "create",
             "class": sync},
        ],
        "ScheduleIntegrationSync": [{"action": "create", "group": "save_data", "class": sync}],
        "LoadIntegrationSync": [{"action": "get", "group": "load_data", "class": sync}],
    }  # fmt: skip


def test_the_bundle_is_registered_after_the_bundles_it_overrides() -> None:
    """Oro sorts bundles by ascending priority ([P] DistributionBundle/OroKernel.php:273-285) and
    merges their api.yml in that order: OroIntegrationBundle is -40, OroDotmailerBundle 110
    (their Resources/config/oro/bundles.yml)."""
    bundles = yaml.safe_load(
        (BUNDLE / "Resources/config/oro/bundles.yml").read_text(encoding="utf-8")
    )
    assert bundles == {
        "bundles": [{"name": PREFIX + "ReconcilerDotmailerApiBundle", "priority": 255}]
    }
    assert (BUNDLE / "ReconcilerDotmailerApiBundle.php").is_file()


def test_docs_point_at_the_one_api_yml() -> None:
    repo = BUNDLE.parent
    assert not (repo / "docs" / "oro-api.yml").exists()
    assert "oro-bundle/Resources/config/oro/api.yml" in (repo / "docs" / "oro-api.md").read_text(
        encoding="utf-8"
    )


def test_the_package_requires_the_oro_packages_it_builds_on() -> None:
    composer = json.loads((BUNDLE / "composer.json").read_text(encoding="utf-8"))
    versions = "~5.1.0 || ~6.0.0 || ~6.1.0 || ~7.0.0"
    assert composer["require"] == {
        "php": ">=8.2",
        "oro/platform": versions,
        "oro/crm-dotmailer": versions,
        "oro/marketing": versions,
    }
    assert composer["autoload"]["psr-4"] == {PREFIX: ""}
