"""load_desired_state: the model built from YAML, mapping expansion, digest."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from reconciler.config import build, load_desired_state, validate_config
from reconciler.config.loader import display_path
from reconciler.errors import ConfigError, Location
from reconciler.model import (
    AddressBook,
    Connection,
    DataField,
    DesiredState,
    Integration,
    MappingField,
    OAuth,
    Owner,
    SecretRef,
    SecretSource,
    Settings,
)

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples" / "integrations"
CONTACT = "Oro\\Bundle\\ContactBundle\\Entity\\Contact"
LEAD = "Oro\\Bundle\\SalesBundle\\Entity\\Lead"


def test_examples_load_into_the_expected_model() -> None:
    state, diagnostics = load_desired_state(EXAMPLES, environ={})
    assert diagnostics == []
    assert state.settings == Settings(
        state="sqlite:///.reconciler/state.db",
        oro_api_base="/admin/api",
        oro_client_secret=SecretRef(SecretSource.ENV, "RECONCILER_ORO_CLIENT_SECRET"),
        prune=True,
        max_deletes=10,
        concurrency=4,
    )
    assert state.owners == (
        Owner("crm-admins", "crm.admin", "ACME"),
        Owner("marketing-ops", "mkt.ops", "ACME", "Main"),
    )
    assert [i.name for i in state.integrations] == ["amer", "apac", "emea"]
    apac = state.integrations[1]
    assert apac == Integration(
        name="apac",
        owner="crm-admins",
        connection=Connection(
            "apiuser-apac@apiconnector.com", SecretRef(SecretSource.ENV, "DOTMAILER_APAC_PASSWORD")
        ),
        oauth=OAuth(
            "4711",
            SecretRef(SecretSource.ENV, "DOTMAILER_APAC_OAUTH_SECRET"),
            "https://r3-app.dotmailer.com/",
        ),
        data_fields=(
            DataField("FIRST_PURCHASE", "Date", default="2020-01-01T00:00:00"),
            DataField("POINTS", "Numeric", default=100),
            DataField("STORE_CODE", "String", visibility="Public"),
        ),
        address_books=(
            AddressBook("Customers APAC", marketing_list="APAC customers", create_entities=True),
            AddressBook("Newsletter APAC", marketing_list="APAC subscribers"),
        ),
        labels=(("region", "r3"), ("team", "retail")),
    )
    assert apac.location == Location(display_path(EXAMPLES / "apac.yaml"), 3, 1)
    assert apac.connection.password.location == Location(
        display_path(EXAMPLES / "apac.yaml"), 14, 15
    )
    assert [(m.name, m.integration, m.entity, m.sync_priority) for m in state.mappings] == [
        ("crm-contacts", "amer", CONTACT, 20),
        ("crm-leads", "amer", LEAD, 10),
        ("retail-contacts", "apac", CONTACT, 20),
        ("crm-contacts", "emea", CONTACT, 20),
        ("crm-leads", "emea", LEAD, 10),
    ]
    assert state.mappings[0].fields == (
        MappingField("FIRSTNAME", ("firstName",), two_way_sync=True),
        MappingField("FULLNAME", ("firstName", "lastName")),
        MappingField("LASTNAME", ("lastName",), two_way_sync=True),
        MappingField("LOYALTY_TIER", ("loyaltyTier",)),
    )
    assert len(state.digest) == 64


def _write(directory: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (directory / name).parent.mkdir(parents=True, exist_ok=True)
        (directory / name).write_text(text, encoding="utf-8")
    return directory


OWNER = (
    "apiVersion: reconciler/v1\nkind: Owner\nmetadata: {name: ops}\n"
    "spec: {username: u, organization: ACME}\n"
)
INTEGRATION_BLOCK = """apiVersion: reconciler/v1
kind: Integration
metadata:
  name: emea
spec:
  owner: ops
  connection:
    username: api@apiconnector.com
    password:
      env: PW
  dataFields:
    - name: B_FIELD
      type: Boolean
      default: "Yes"
    - name: A_FIELD
      type: Numeric
      default: "2.9"
"""
INTEGRATION_FLOW = """kind: Integration
apiVersion: reconciler/v1
spec:
  dataFields: [{name: A_FIELD, type: Numeric, default: 2.9},
    {type: Boolean, name: B_FIELD, default: yes}]
  connection: {password: {env: PW}, username: api@apiconnector.com}
  owner: ops
metadata: {name: emea}
"""


def test_defaults_are_normalised_for_their_type(tmp_path: Path) -> None:
    config = _write(tmp_path / "c", {"o.yaml": OWNER, "i.yaml": INTEGRATION_BLOCK})
    state, diagnostics = load_desired_state(config, environ={})
    assert [(f.name, f.default) for f in state.integrations[0].data_fields] == [
        ("A_FIELD", 2),
        ("B_FIELD", True),
    ]
    assert [(d.rule, d.message) for d in diagnostics] == [
        (
            "datafield.default.truncated",
            'Oro sends a Numeric default as an integer: "2.9" becomes 2',
        )
    ]


def test_digest_ignores_file_layout_order_and_formatting(tmp_path: Path) -> None:
    one = _write(tmp_path / "one", {"all.yaml": OWNER + "---\n" + INTEGRATION_BLOCK})
    two = _write(tmp_path / "two", {"b.yaml": INTEGRATION_FLOW, "sub/owner.yml": OWNER})
    first, _ = load_desired_state(one, environ={})
    second, _ = load_desired_state(two, environ={})
    assert first.digest == second.digest
    changed = _write(
        tmp_path / "three",
        {"all.yaml": OWNER + "---\n" + INTEGRATION_BLOCK.replace("env: PW", "env: PW2")},
    )
    assert load_desired_state(changed, environ={})[0].digest != first.digest


def test_digest_follows_environment_overrides_that_change_the_plan(tmp_path: Path) -> None:
    config = _write(tmp_path / "c", {"o.yaml": OWNER})
    plain, _ = load_desired_state(config, environ={})
    assert load_desired_state(config, environ={"RECONCILER_CONCURRENCY": "9"})[0].digest == (
        plain.digest
    )
    pruned, _ = load_desired_state(config, environ={"RECONCILER_PRUNE": "true"})
    assert pruned.settings.prune is True
    assert pruned.digest != plain.digest


def test_the_digest_is_computed_once_by_load_and_never_by_validate(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    digested: list[str] = []
    real = build.digest

    def counting(state: DesiredState) -> str:
        digested.append(real(state))
        return digested[-1]

    monkeypatch.setattr(build, "digest", counting)
    validation = validate_config(EXAMPLES)
    assert validation.state is not None
    assert (validation.state.digest, digested) == ("", [])
    state, _ = load_desired_state(EXAMPLES, environ={"RECONCILER_PRUNE": "true"})
    assert digested == [state.digest]
    assert state.digest == real(state)  # of the state with its overrides


def test_a_literal_secret_does_not_reach_the_digest(tmp_path: Path) -> None:
    def digest(password: str) -> str:
        text = INTEGRATION_BLOCK.replace("password:\n      env: PW", f"password: {password}")
        directory = _write(tmp_path / password, {"o.yaml": OWNER, "i.yaml": text})
        state, _ = load_desired_state(directory, allow_literal_secrets=True, environ={})
        assert state.integrations[0].connection.password.source is SecretSource.LITERAL
        return state.digest

    assert digest("first-password") == digest("second-password")


def test_an_invalid_config_raises_config_error_with_every_diagnostic(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copytree(EXAMPLES, tmp_path / "c")
    text = (tmp_path / "c" / "emea.yaml").read_text(encoding="utf-8")
    (tmp_path / "c" / "emea.yaml").write_text(text.replace("owner: marketing-ops", "owner: x"))
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError) as caught:
        load_desired_state(Path("c"))
    assert (
        str(caught.value)
        == "c: 2 owners, 3 integrations, 3 mappings: invalid (1 error, 0 warnings)"
    )
    assert [str(d) for d in caught.value.diagnostics] == [
        'c/emea.yaml:12:10: error: spec.owner: owner "x" is not declared '
        "(known owners: crm-admins, marketing-ops)"
    ]
    assert caught.value.exit_code == 3


def test_a_single_file_is_a_config(tmp_path: Path) -> None:
    file = tmp_path / "all.yaml"
    file.write_text(OWNER + "---\n" + INTEGRATION_BLOCK, encoding="utf-8")
    validation = validate_config(file)
    assert (validation.owners, validation.integrations, validation.errors) == (1, 1, 0)
    assert validation.state is not None
    assert validation.state.settings == Settings()
