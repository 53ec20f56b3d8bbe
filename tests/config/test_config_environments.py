"""Environments: settings merged per environment, overlays merged by kind, name and item name,
and the diagnostics of every environment (docs/environments.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.config import (
    find_configs,
    load_desired_state,
    load_settings,
    validate_config,
    validate_environments,
)
from reconciler.errors import Location, UsageError
from reconciler.model import (
    AddressBook,
    DataField,
    DataFieldMapping,
    MappingField,
    Owner,
    Settings,
)
from reconciler.state import environment_url

SETTINGS = """\
state: sqlite:///.reconciler/state.db
oro: {url: https://oro.example.com, apiBase: /api, clientId: base}
prune: {enabled: true, maxDeletes: 3}
environments:
  staging:
    oro: {url: https://staging.example.com}
    prune: {maxDeletes: 50}
  production: {}
"""
BASE = """\
apiVersion: reconciler/v1
kind: Owner
metadata: {name: ops}
spec: {username: ops.user, organization: ACME}
---
apiVersion: reconciler/v1
kind: Owner
metadata: {name: spare}
spec: {username: spare.user, organization: ACME}
---
apiVersion: reconciler/v1
kind: Integration
metadata: {name: emea}
spec:
  owner: ops
  connection: {username: api@apiconnector.com, password: {env: PW}}
  dataFields:
    - {name: TIER, type: String, default: bronze, notes: base note}
    - {name: POINTS, type: Numeric}
    - {name: SOURCE, type: String}
  addressBooks:
    - {name: Newsletter, marketingList: Subscribers}
---
apiVersion: reconciler/v1
kind: DataFieldMapping
metadata: {name: contacts}
spec:
  integrations: [emea]
  entity: contact
  fields:
    - {dataField: TIER, entityFields: [tier]}
    - {dataField: SOURCE, entityFields: [source]}
"""
OVERLAY = """\
apiVersion: reconciler/v1
kind: Integration
metadata: {name: EMEA}
spec:
  enabled: false
  dataFields:
    - {name: tier, default: silver, notes: null}
    - {name: SOURCE, $remove: true}
    - {name: TRACE, type: String}
  addressBooks:
    - {name: newsletter, visibility: Public}
---
apiVersion: reconciler/v1
kind: DataFieldMapping
metadata: {name: contacts}
spec:
  syncPriority: 5
  fields:
    - {dataField: SOURCE, $remove: true}
    - {dataField: TRACE, entityFields: [trace]}
---
apiVersion: reconciler/v1
kind: Owner
metadata: {name: spare}
$remove: true
---
apiVersion: reconciler/v1
kind: Owner
metadata: {name: staging-only}
spec: {username: tester, organization: ACME}
"""


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "cfg"
    (directory / "environments" / "staging").mkdir(parents=True)
    (directory / "reconciler.yaml").write_text(SETTINGS, encoding="utf-8")
    (directory / "base.yaml").write_text(BASE, encoding="utf-8")
    (directory / "environments" / "staging" / "overlay.yaml").write_text(OVERLAY)
    monkeypatch.chdir(tmp_path)
    return Path("cfg")


def test_an_environments_settings_are_merged_over_the_top_level(config: Path) -> None:
    top = Settings(
        state="sqlite:///.reconciler/state.db",
        oro_url="https://oro.example.com",
        oro_api_base="/api",
        oro_client_id="base",
        prune=True,
        max_deletes=3,
    )
    assert load_settings(config, environ={}, environment="production") == top
    staging = load_settings(config, environ={}, environment="staging")
    assert (staging.oro_url, staging.oro_api_base, staging.oro_client_id) == (
        "https://staging.example.com",
        "/api",
        "base",
    )
    assert (staging.prune, staging.max_deletes) == (True, 50)
    # The variables override the environment being run, as they do the top level.
    assert load_settings(
        config, environ={"RECONCILER_ORO_URL": "https://pinned.example.com"}, environment="staging"
    ).oro_url == ("https://pinned.example.com")


def test_a_config_with_environments_is_always_run_in_one(config: Path) -> None:
    with pytest.raises(UsageError) as no_choice:
        load_settings(config, environ={})
    assert str(no_choice.value) == (
        "cfg/reconciler.yaml declares the environments production, staging: choose one with "
        "--env NAME (or RECONCILER_ENV)"
    )
    with pytest.raises(UsageError) as unknown:
        validate_config(config, environment="qa")
    assert str(unknown.value) == (
        'no environment "qa" in cfg/reconciler.yaml (it declares production, staging)'
    )
    (config / "reconciler.yaml").write_text("prune: {enabled: true}\n", encoding="utf-8")
    (config / "environments" / "staging" / "overlay.yaml").unlink()
    with pytest.raises(UsageError, match=r'no environment "staging" in .* \(it declares none\)'):
        load_desired_state(config, environ={}, environment="staging")


def test_overlays_patch_by_kind_name_and_item_name(config: Path) -> None:
    staging, warnings = load_desired_state(config, environ={}, environment="staging")
    production, _ = load_desired_state(config, environ={}, environment="production")
    assert warnings == []
    emea = staging.integrations[0]
    here = "cfg/environments/staging/overlay.yaml"
    assert (emea.name, emea.enabled) == ("emea", False)  # matched case-insensitively
    assert emea.data_fields == (
        DataField("POINTS", "Numeric", location=Location("cfg/base.yaml", 21, 7)),
        DataField("TIER", "String", default="silver", location=Location(here, 7, 7)),
        DataField("TRACE", "String", location=Location(here, 9, 7)),
    )
    assert emea.address_books == (
        AddressBook("Newsletter", "Public", "Subscribers", location=Location(here, 11, 7)),
    )
    assert staging.mappings == (
        DataFieldMapping(
            name="contacts",
            integration="emea",
            entity="Oro\\Bundle\\ContactBundle\\Entity\\Contact",
            sync_priority=5,
            fields=(
                MappingField("TIER", ("tier",)),
                MappingField("TRACE", ("trace",)),
            ),
        ),
    )
    assert [owner.name for owner in staging.owners] == ["ops", "staging-only"]
    assert staging.owners[1] == Owner("staging-only", "tester", "ACME")
    # The base is untouched in another environment.
    assert [f.name for f in production.integrations[0].data_fields] == ["POINTS", "SOURCE", "TIER"]
    assert [owner.name for owner in production.owners] == ["ops", "spare"]
    assert production.digest != staging.digest


def test_validate_names_the_environments_a_problem_is_in(config: Path) -> None:
    # staging removes SOURCE, which a second mapping (in the base) still maps.
    (config / "more.yaml").write_text(
        "apiVersion: reconciler/v1\nkind: DataFieldMapping\nmetadata: {name: leads}\n"
        "spec:\n  integrations: [emea]\n  entity: lead\n  fields:\n"
        "    - {dataField: SOURCE, entityFields: [source]}\n    - {dataField: NOPE, "
        "entityFields: [x]}\n",
        encoding="utf-8",
    )
    (config / "environments" / "staging" / "bad.yaml").write_text(
        "apiVersion: reconciler/v1\nkind: Owner\nmetadata: {name: ops}\nspec: {username: ''}\n"
    )
    result = validate_environments(config)
    assert [str(d) for d in result.diagnostics] == [
        "cfg/environments/staging/bad.yaml:4:18: error: spec.username: must be 1–255 "
        'characters (got "")',
        'cfg/more.yaml:8:19: error: spec.fields[0].dataField: data field "SOURCE" is neither '
        'declared on integration "emea" nor built in (environment staging)',
        'cfg/more.yaml:9:19: error: spec.fields[1].dataField: data field "NOPE" is neither '
        'declared on integration "emea" nor built in',
    ]
    assert [v.summary() for v in result.validations] == [
        "cfg (environment production): 2 owners, 1 integration, 2 mappings: invalid (1 error, "
        "0 warnings)",
        "cfg (environment staging): 2 owners, 1 integration, 2 mappings: invalid (3 errors, "
        "0 warnings)",
    ]
    assert not result.valid


def test_find_takes_the_overlays_as_the_configs_own(config: Path) -> None:
    (config / "environments" / "staging" / "reconciler.yaml").write_text("prune: {}\n")
    found = find_configs(Path("."))
    assert [(f.root.as_posix(), [p.as_posix() for p in f.files]) for f in found] == [
        (
            "cfg",
            [
                "cfg/base.yaml",
                "cfg/environments/staging/overlay.yaml",
                "cfg/environments/staging/reconciler.yaml",
                "cfg/reconciler.yaml",
            ],
        )
    ]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("sqlite:///.reconciler/state.db", "sqlite:///.reconciler/state.staging.db"),
        ("sqlite:////var/lib/reconciler/state", "sqlite:////var/lib/reconciler/state.staging"),
        ("postgresql://ci@db/crm", "postgresql://ci@db/crm?schema=reconciler_staging"),
        (
            "postgresql://ci:pw@db:5433/crm?sslmode=require&schema=team",
            "postgresql://ci:pw@db:5433/crm?sslmode=require&schema=team_staging",
        ),
    ],
)
def test_each_environment_has_a_state_of_its_own(url: str, expected: str) -> None:
    assert environment_url(url, "staging") == expected
    assert environment_url(url, None) == url
