"""``reconciler import`` end to end (issue 12 item 1, "How it is shown"): the real CLI against a
real sandbox server on loopback, on both state backends.

On the examples' estate and on one made by hand through the emulators' APIs: import into a fresh
directory with a fresh state; the directory validates and every document carries its modeline;
the plan of it adopts only; after apply the plan is empty; importing again writes the same bytes.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest
from clickpath import ClickPath
from sandbox_env import World
from test_engine import converge

from reconciler.config import load_desired_state
from reconciler.model import DesiredState
from reconciler.plan.specs import AddressBookSpec, DataFieldSpec, IntegrationSpec, MappingSpec
from reconciler.state.urls import display_url

EMEA = ("apiuser-emea@apiconnector.com", "sandbox-emea-pw")
AMER = ("apiuser-amer@apiconnector.com", "sandbox-amer-pw")
MODELINE = re.compile(r"^(--- )?# yaml-language-server: \$schema=(\.\./)?schemas/[a-z]+\.json$")


def files(directory: Path) -> dict[str, bytes]:
    return {
        p.relative_to(directory).as_posix(): p.read_bytes()
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


def described(desired: DesiredState) -> dict[str, object]:
    """What a config says of each integration, in the specs compare diffs (names of owners and
    mappings, labels and sync settings aside)."""
    owners = {o.name: o for o in desired.owners}
    return {
        i.name: (
            IntegrationSpec.of(i, owners[i.owner]),
            sorted(DataFieldSpec.of(f).values().items() for f in i.data_fields),
            sorted(AddressBookSpec.of(b).values().items() for b in i.address_books),
            sorted(
                (m.entity, MappingSpec.of(m).values().items())
                for m in desired.mappings
                if m.integration == i.name
            ),
        )
        for i in desired.integrations
    }


def check_modelines(directory: Path) -> None:
    for path, content in files(directory).items():
        if not path.endswith(".yaml"):
            continue
        lines = content.decode().splitlines()
        heads = [lines[0]] + [line for line in lines if line.startswith("---")]
        assert all(MODELINE.match(h) for h in heads), (path, heads)
        kinds = [line for line in lines if line.startswith(("kind:", "apiVersion:"))]
        assert len(heads) == max(1, len([k for k in kinds if k.startswith("kind:")])), path


def import_output(world: World, out: str, integrations: int, recorded: int) -> str:
    return (
        f"Imported {integrations} integrations into {out}:\n"
        "  integrations/amer.yaml\n"
        "  integrations/apac.yaml\n"
        "  integrations/emea.yaml\n"
        "  mappings.yaml\n"
        "  owners.yaml\n"
        "  reconciler.yaml\n"
        f"  and the JSON Schemas their modelines name in {out}/schemas/\n"
        f"Recorded {recorded} objects as adopted in the state ({display_url(world.state_url)}).\n"
    )


SECRET_ADOPT = "imported; Oro keeps secrets write-only, so apply writes them once"


def test_the_examples_estate_round_trips(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    converge(world, capsys)
    synced = world.cli("sync", "emea", "--config", str(world.config), "--wait",
                       "--poll-interval", "0", capsys=capsys)  # fmt: skip
    assert synced.code == 0, synced.err  # the first data-field import: Oro's default mappings
    world.forget_state()

    imported = world.cli("import", "--out", "imported", "--config", str(world.config),
                         capsys=capsys)  # fmt: skip
    assert (imported.code, imported.err) == (0, "")
    assert imported.out == import_output(world, "imported", 3, 25) + (
        "Left out 1 default mapping Oro made on its own (--include-default-mappings keeps them).\n"
        "The next plan of imported shows:\n"
        f"  = integration.amer ({SECRET_ADOPT}; dotmailer.check, oro.update)\n"
        f"  = integration.apac ({SECRET_ADOPT}; dotmailer.check, oro.update)\n"
        f"  = integration.emea ({SECRET_ADOPT}; dotmailer.check, oro.update)\n"
        "The config reads these secrets: DOTMAILER_AMER_PASSWORD, DOTMAILER_APAC_OAUTH_SECRET, "
        "DOTMAILER_APAC_PASSWORD, DOTMAILER_EMEA_PASSWORD, RECONCILER_ORO_CLIENT_SECRET.\n"
        "Next: reconciler plan imported\n"
    )
    out = world.workdir / "imported"
    check_modelines(out)
    valid = world.cli("validate", "imported", capsys=capsys)
    assert (valid.code, valid.out) == (
        0,
        "imported: 2 owners, 3 integrations, 3 mappings: valid (0 errors, 0 warnings)\n",
    )
    # The same estate the examples declare, field for field.
    examples, _ = load_desired_state(world.config, connects=False)
    written, _ = load_desired_state(out, connects=False)
    assert described(written) == described(examples)

    planned = world.cli("plan", "imported", "--detailed-exitcode", capsys=capsys)
    assert planned.code == 2
    assert planned.out == (
        f"  = integration.amer  # ({SECRET_ADOPT})\n"
        "      ~ password = (sensitive)\n"
        "\n"
        f"  = integration.apac  # ({SECRET_ADOPT})\n"
        "      ~ oauth_client_secret = (sensitive)\n"
        "      ~ password            = (sensitive)\n"
        "\n"
        f"  = integration.emea  # ({SECRET_ADOPT})\n"
        "      ~ password = (sensitive)\n"
        "\n"
        "Plan: 0 to create, 0 to update, 0 to replace, 0 to delete, 3 to adopt; "
        "0 syncs to schedule.\n"
    )
    applied = world.cli("apply", "imported", "--auto-approve", capsys=capsys)
    assert applied.code == 0, applied.out + applied.err
    after = world.cli("plan", "imported", "--detailed-exitcode", capsys=capsys)
    assert (after.code, after.out) == (0, "No changes. Live systems match the configuration.\n")

    first = files(out)
    again = world.cli("import", "--out", "again", "--config", str(world.config), capsys=capsys)
    assert again.code == 0, again.err
    assert files(world.workdir / "again") == first
    same = world.cli("import", "--out", "imported", "--config", str(world.config), capsys=capsys)
    assert same.code == 0, same.err
    assert same.out.endswith(
        "Recorded 0 objects as adopted in the state "
        f"({display_url(world.state_url)}).\n"
        "Left out 1 default mapping Oro made on its own (--include-default-mappings keeps them).\n"
        "The next plan shows no changes.\n"
        "The config reads these secrets: DOTMAILER_AMER_PASSWORD, DOTMAILER_APAC_OAUTH_SECRET, "
        "DOTMAILER_APAC_PASSWORD, DOTMAILER_EMEA_PASSWORD, RECONCILER_ORO_CLIENT_SECRET.\n"
        "Next: reconciler plan imported\n"
    )
    assert files(out) == first


def click_path_estate(world: World) -> None:
    """Two integrations made in the Oro UI over two accounts, mapping contacts the same way,
    and a data field made in dotmailer's own UI (only an Oro sync would bring it in)."""
    ui = ClickPath(world.server.url)
    shop_de = ui.integration("Shop DE", *EMEA, owner="mkt.ops", business_unit="Main")
    shop_at = ui.integration("Shop AT", *AMER, owner="crm.admin", client_id="815")
    club = {"default": "silver", "oro_default": "silver", "notes": "Loyalty club"}
    club_de = ui.data_field(shop_de, EMEA, "CLUB_LEVEL", "String", **club)
    ui.data_field(shop_de, EMEA, "OPT_IN", "Boolean", "Public", default=False, oro_default="No")
    ui.data_field(shop_de, EMEA, "BIRTHDAY", "Date")
    club_at = ui.data_field(shop_at, AMER, "CLUB_LEVEL", "String", **club)
    ui.data_field(None, AMER, "SPEND", "Numeric", default=0)
    ui.address_book(shop_de, EMEA, "Club", "Public", "EMEA subscribers", True)
    ui.address_book(shop_de, EMEA, "Prospects", "Private")
    ui.address_book(shop_at, AMER, "Club members AT", "Private", "AMER subscribers")
    assert club_de is not None and club_at is not None
    contact = "Oro\\Bundle\\ContactBundle\\Entity\\Contact"
    ui.mapping(shop_de, contact, 20, [(club_de, "loyaltyTier", False)])
    ui.mapping(shop_at, contact, 20, [(club_at, "loyaltyTier", False)])


HAND_MADE = {
    "integrations/shop-at.yaml": """\
# yaml-language-server: $schema=../schemas/integration.json
apiVersion: reconciler/v1
kind: Integration
metadata:
  name: Shop AT
spec:
  enabled: true
  owner: crm.admin
  connection:
    username: apiuser-amer@apiconnector.com
    password: {env: DOTMAILER_SHOP_AT_PASSWORD}
  oauth:
    clientId: "815"
    clientSecret: {env: DOTMAILER_SHOP_AT_OAUTH_SECRET}
  dataFields:
    - {name: CLUB_LEVEL, type: String, visibility: Private, default: silver, notes: Loyalty club}
    - {name: SPEND, type: Numeric, visibility: Private, default: 0}
  addressBooks:
    - {name: Club members AT, visibility: Private, marketingList: AMER subscribers}
""",
    "integrations/shop-de.yaml": """\
# yaml-language-server: $schema=../schemas/integration.json
apiVersion: reconciler/v1
kind: Integration
metadata:
  name: Shop DE
spec:
  enabled: true
  owner: mkt.ops
  connection:
    username: apiuser-emea@apiconnector.com
    password: {env: DOTMAILER_SHOP_DE_PASSWORD}
  dataFields:
    - {name: BIRTHDAY, type: Date, visibility: Private}
    - {name: CLUB_LEVEL, type: String, visibility: Private, default: silver, notes: Loyalty club}
    - {name: OPT_IN, type: Boolean, visibility: Public, default: false}
  addressBooks:
    - {name: Club, visibility: Public, marketingList: EMEA subscribers, createEntities: true}
    - {name: Prospects, visibility: Private}
""",
    "mappings.yaml": """\
# yaml-language-server: $schema=schemas/datafieldmapping.json
apiVersion: reconciler/v1
kind: DataFieldMapping
metadata:
  name: contact
spec:
  integrations: [Shop AT, Shop DE]
  entity: contact
  syncPriority: 20
  fields:
    - {dataField: CLUB_LEVEL, entityFields: [loyaltyTier]}
""",
    "owners.yaml": """\
# yaml-language-server: $schema=schemas/owner.json
apiVersion: reconciler/v1
kind: Owner
metadata:
  name: crm.admin
spec:
  username: crm.admin
  organization: ACME
--- # yaml-language-server: $schema=schemas/owner.json
apiVersion: reconciler/v1
kind: Owner
metadata:
  name: mkt.ops
spec:
  username: mkt.ops
  organization: ACME
  businessUnit: Main
""",
}


def settings_text(world: World) -> str:
    """The reconciler.yaml import writes for the world's endpoints and state."""
    return (
        "# yaml-language-server: $schema=schemas/settings.json\n"
        "# Written by `reconciler import` (docs/import.md). Secrets are environment variables:\n"
        "# DOTMAILER_<INTEGRATION>_PASSWORD, DOTMAILER_<INTEGRATION>_OAUTH_SECRET and\n"
        "# RECONCILER_ORO_CLIENT_SECRET. RECONCILER_* variables override these settings.\n"
        "apiVersion: reconciler/v1\n"
        f'state: "{world.state_url}"\n'
        "oro:\n"
        f'  url: "{world.server.url}"\n'
        "  apiBase: /admin/api\n"
        "  clientId: ci\n"
        "  clientSecret: {env: RECONCILER_ORO_CLIENT_SECRET}\n"
        "dotmailer:\n"
        f'  apiUrl: "{world.server.url}"\n'
    )


def test_a_hand_made_estate_round_trips(
    world: World, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    click_path_estate(world)
    # The variables the written config names, holding what was typed into Oro.
    monkeypatch.setenv("DOTMAILER_SHOP_DE_PASSWORD", EMEA[1])
    monkeypatch.setenv("DOTMAILER_SHOP_AT_PASSWORD", AMER[1])
    monkeypatch.setenv("DOTMAILER_SHOP_AT_OAUTH_SECRET", "hand-typed-client-key")

    imported = world.cli("import", "--out", "estate", "--config", str(world.config),
                         capsys=capsys)  # fmt: skip
    assert (imported.code, imported.err) == (0, "")
    assert imported.out == (
        "Imported 2 integrations into estate:\n"
        "  integrations/shop-at.yaml\n"
        "  integrations/shop-de.yaml\n"
        "  mappings.yaml\n"
        "  owners.yaml\n"
        "  reconciler.yaml\n"
        "  and the JSON Schemas their modelines name in estate/schemas/\n"
        f"Recorded 11 objects as adopted in the state ({display_url(world.state_url)}).\n"
        "The next plan of estate shows:\n"
        f'  = integration["Shop AT"] ({SECRET_ADOPT}; dotmailer.check, oro.update)\n'
        f'  = integration["Shop DE"] ({SECRET_ADOPT}; dotmailer.check, oro.update)\n'
        '  = integration["Shop AT"].data_field.SPEND (exists live, not in state; oro.create)\n'
        '  > integration["Shop AT"].sync (configuration changed)\n'
        "The config reads these secrets: DOTMAILER_SHOP_AT_OAUTH_SECRET, "
        "DOTMAILER_SHOP_AT_PASSWORD, DOTMAILER_SHOP_DE_PASSWORD, RECONCILER_ORO_CLIENT_SECRET.\n"
        "Next: reconciler plan estate\n"
    )
    out = world.workdir / "estate"
    written = {p: t.decode() for p, t in files(out).items() if p.endswith(".yaml")}
    assert written == {**HAND_MADE, "reconciler.yaml": settings_text(world)}
    check_modelines(out)
    valid = world.cli("validate", "estate", capsys=capsys)
    assert (valid.code, valid.out) == (
        0,
        "estate: 2 owners, 2 integrations, 1 mapping: valid (0 errors, 0 warnings)\n",
    )

    planned = world.cli("plan", "estate", "--detailed-exitcode", "--format", "json",
                        capsys=capsys)  # fmt: skip
    assert planned.code == 2
    data = json.loads(planned.out)
    assert {k: v for k, v in data["summary"].items() if v} == {
        "adopt": 3,
        "has_changes": True,
        "read": 1,
        "sync": 1,
    }
    assert [
        (c["address"], c["change"]["actions"], c["change"].get("importing") is not None)
        for c in data["resource_changes"]
    ] == [
        ('owner["crm.admin"]', ["read"], False),
        ('integration["Shop AT"]', ["update"], True),  # its secrets, written once
        ('integration["Shop DE"]', ["update"], True),
        ('integration["Shop AT"].data_field.SPEND', ["no-op"], True),  # and its Oro record
        ('integration["Shop AT"].sync', ["sync"], False),
    ]
    applied = world.cli("apply", "estate", "--auto-approve", capsys=capsys)
    assert applied.code == 0, applied.out + applied.err
    after = world.cli("plan", "estate", "--detailed-exitcode", capsys=capsys)
    assert (after.code, after.out) == (0, "No changes. Live systems match the configuration.\n")

    first = files(out)
    again = world.cli("import", "--out", "again", "--config", str(world.config), capsys=capsys)
    assert again.code == 0, again.err
    assert files(world.workdir / "again") == first


def test_without_a_password_oros_copy_is_imported_and_the_plan_reads_dotmailer(
    world: World, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    converge(world, capsys)
    world.forget_state()
    monkeypatch.delenv("DOTMAILER_EMEA_PASSWORD")
    unread = world.cli("import", "--out", "oro-only", "--config", str(world.config),
                       capsys=capsys)  # fmt: skip
    assert unread.code == 0, unread.err
    assert (
        "dotmailer was not read for emea (no password at hand): their data fields and address "
        "books are Oro's copy.\n"
    ) in unread.out
    # Oro keeps a copy of what reconciler made on both sides: the same config.
    monkeypatch.setenv("DOTMAILER_EMEA_PASSWORD", EMEA[1])
    world.forget_state()
    read = world.cli("import", "--out", "both", "--config", str(world.config), capsys=capsys)
    assert read.code == 0, read.err
    assert files(world.workdir / "oro-only") == files(world.workdir / "both")
    planned = world.cli("plan", "oro-only", "--detailed-exitcode", capsys=capsys)
    assert planned.code == 2
    assert planned.out.endswith(
        "Plan: 0 to create, 0 to update, 0 to replace, 0 to delete, 3 to adopt; "
        "0 syncs to schedule.\n"
    )


def test_some_integrations_are_imported_with_what_they_share(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    converge(world, capsys)
    world.forget_state()
    some = world.cli("import", "--out", "some", "--integration", "emea", "--config",
                     str(world.config), capsys=capsys)  # fmt: skip
    assert some.code == 0, some.err
    out = world.workdir / "some"
    assert sorted(p for p in files(out) if p.endswith(".yaml")) == [
        "integrations/emea.yaml",
        "mappings.yaml",
        "owners.yaml",
        "reconciler.yaml",
    ]
    mappings = (out / "mappings.yaml").read_text(encoding="utf-8")
    assert re.findall(r"^  (?:name|integrations): .*$", mappings, re.M) == [
        "  name: contact",
        "  integrations: [emea]",
        "  name: lead",
        "  integrations: [emea]",
    ]
    listed = world.cli("state", "list", capsys=capsys)
    assert listed.out.splitlines() == [
        "integration.emea",
        'integration.emea.address_book["Leads EMEA"]',
        'integration.emea.address_book["Newsletter EMEA"]',
        "integration.emea.data_field.LAST_ORDER_DATE",
        "integration.emea.data_field.LEAD_SOURCE",
        "integration.emea.data_field.LIFETIME_VALUE",
        "integration.emea.data_field.LOYALTY_TIER",
        "integration.emea.data_field.NEWSLETTER_OPT_IN",
        "integration.emea.mapping.contact",
        "integration.emea.mapping.lead",
    ]
    planned = world.cli("plan", "some", "--detailed-exitcode", capsys=capsys)
    assert planned.code == 2
    assert planned.out.endswith("0 to delete, 1 to adopt; 0 syncs to schedule.\n")

    # Over an earlier import, a file it would not write stops it (here: another integration).
    written = files(out)
    (out / "integrations" / "amer.yaml").write_text("# by hand\n", encoding="utf-8")
    again = world.cli("import", "--out", "some", "--integration", "emea", "--config",
                      str(world.config), capsys=capsys)  # fmt: skip
    assert (again.code, again.err) == (
        64,
        "error: some holds files this import would not write (integrations/amer.yaml); "
        "import into a new or empty directory, or remove them\n",
    )
    (out / "integrations" / "amer.yaml").unlink()
    assert files(out) == written


def test_usage_errors_write_and_record_nothing(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    converge(world, capsys)
    world.forget_state()
    unknown = world.cli("import", "--out", "x", "--integration", "nope", "--config",
                        str(world.config), capsys=capsys)  # fmt: skip
    assert (unknown.code, unknown.err) == (
        64,
        "error: Oro has no dotmailer integration named 'nope' (it has: amer, apac, emea)\n",
    )
    hand_written = world.workdir / "taken"
    hand_written.mkdir()
    (hand_written / "reconciler.yaml").write_text("apiVersion: reconciler/v1\n", "utf-8")
    (hand_written / ".git").mkdir()
    refused = world.cli("import", "--out", "taken", "--config", str(world.config), capsys=capsys)
    assert (refused.code, refused.err) == (
        64,
        "error: taken holds files, and its reconciler.yaml was not written by `reconciler "
        "import`; import into a new or empty directory\n",
    )
    assert not (world.workdir / "x").exists()
    assert sorted(p.name for p in hand_written.iterdir()) == [".git", "reconciler.yaml"]
    assert (hand_written / "reconciler.yaml").read_text("utf-8") == "apiVersion: reconciler/v1\n"
    listed = world.cli("state", "list", capsys=capsys)
    assert listed.out == ""


def test_an_estate_a_config_cannot_declare_is_written_but_not_recorded(
    world: World, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    ui = ClickPath(world.server.url)
    shop = ui.integration("Shop DE", *EMEA, owner="mkt.ops")
    # dotmailer and Oro take a '-' in a data field's name; Oro's export uses the name of a
    # mapped field as an SQL alias, so a config may not map it (mapping.dataField.sqlSafe).
    club = ui.data_field(shop, EMEA, "CLUB-LEVEL", "String")
    assert club is not None
    ui.mapping(
        shop, "Oro\\Bundle\\ContactBundle\\Entity\\Contact", 20, [(club, "loyaltyTier", False)]
    )
    monkeypatch.setenv("DOTMAILER_SHOP_DE_PASSWORD", EMEA[1])
    refused = world.cli("import", "--out", "estate", "--config", str(world.config), capsys=capsys)
    assert (refused.code, refused.out) == (3, "")
    assert refused.err == (
        'estate/mappings.yaml:11:19: error: spec.fields[0].dataField: "CLUB-LEVEL" cannot be '
        "mapped: Oro uses a mapped name as an SQL alias, so it may contain only letters, digits "
        'and "_"\n'
        "error: estate: 1 owner, 1 integration, 1 mapping: invalid (1 error, 0 warnings): the "
        "estate holds what a config cannot declare; nothing was recorded in the state\n"
    )
    assert (world.workdir / "estate" / "integrations" / "shop-de.yaml").is_file()
    assert world.cli("state", "list", capsys=capsys).out == ""


def test_an_estate_whose_plan_cannot_be_made_is_written_but_not_recorded(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    ClickPath(world.server.url).integration("Old shop", *EMEA, owner="former.employee")
    refused = world.cli("import", "--out", "estate", "--config", str(world.config), capsys=capsys)
    assert (refused.code, refused.out) == (3, "")
    assert refused.err == (
        "estate/owners.yaml:2:1: error: spec.username: Oro user 'former.employee' is disabled\n"
        "error: the plan cannot be made: 1 problem(s) with the live systems; estate was "
        "written, nothing was recorded in the state\n"
    )
    assert world.cli("state", "list", capsys=capsys).out == ""


def test_in_ci_the_endpoints_come_from_the_environment(
    world: World, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """SPEC §8: import sends the Oro client's secret, so it obeys the same pinning as plan."""
    settings = world.workdir / "settings"
    settings.mkdir()
    (settings / "reconciler.yaml").write_text(
        f"apiVersion: reconciler/v1\noro:\n  url: {world.server.url}\n", encoding="utf-8"
    )
    monkeypatch.setenv("CI", "true")
    monkeypatch.delenv("RECONCILER_ORO_URL")
    refused = world.cli("import", "--out", "estate", "--config", "settings", capsys=capsys)
    assert (refused.code, refused.err) == (
        3,
        "error: settings/reconciler.yaml: CI is set, so credentials and the endpoints they go "
        "to are taken only from the environment: set RECONCILER_ORO_URL instead of oro.url\n",
    )
    assert not (world.workdir / "estate").exists()


def test_the_report_as_json(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    converge(world, capsys)
    world.forget_state()
    reported = world.cli("import", "--out", "estate", "--integration", "apac", "--format",
                         "json", "--config", str(world.config), capsys=capsys)  # fmt: skip
    assert reported.code == 0, reported.err
    assert json.loads(reported.out) == {
        "out": "estate",
        "files": [
            "integrations/apac.yaml",
            "mappings.yaml",
            "owners.yaml",
            "reconciler.yaml",
            "schemas/datafieldmapping.json",
            "schemas/integration.json",
            "schemas/owner.json",
            "schemas/settings.json",
        ],
        "integrations": ["apac"],
        "dotmailer_not_read": [],
        "recorded": [
            "integration.apac",
            'integration.apac.address_book["Customers APAC"]',
            'integration.apac.address_book["Newsletter APAC"]',
            "integration.apac.data_field.FIRST_PURCHASE",
            "integration.apac.data_field.POINTS",
            "integration.apac.data_field.STORE_CODE",
            "integration.apac.mapping.contact",
        ],
        "next_plan": [
            {
                "address": "integration.apac",
                "action": "adopt",
                "reason": "secrets_unknown",
                "steps": ["dotmailer.check", "oro.update"],
            }
        ],
        "notes": [],
        "default_mappings_left_out": 0,
        "secret_variables": [
            "DOTMAILER_APAC_OAUTH_SECRET",
            "DOTMAILER_APAC_PASSWORD",
            "RECONCILER_ORO_CLIENT_SECRET",
        ],
        "state": display_url(world.state_url),
    }


def test_oros_lists_are_read_once_each(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    """import lists Oro's integrations to choose what to read, then reads the world with those
    (it listed them twice): one request per list."""
    converge(world, capsys)
    world.forget_state()
    asked: list[str] = []
    world.server.after_app = lambda request, _response: asked.append(
        f"{request.method} {request.path}"
    )
    imported = world.cli("import", "--out", "estate", "--config", str(world.config),
                         capsys=capsys)  # fmt: skip
    assert imported.code == 0, imported.err
    lists = Counter(a for a in asked if a.startswith("GET /admin/api/") and a.count("/") == 3)
    assert lists["GET /admin/api/integrationchannels"] == 1
    assert set(lists.values()) == {1}, lists
