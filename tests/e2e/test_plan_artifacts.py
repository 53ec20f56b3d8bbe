"""The plan as an artifact tools read: `show` renders a saved plan as `plan` did, the JSON plan
matches its published schema in every kind of op, and a deny-deletes policy written for
`terraform show -json` (Rego, run by the rego-cpp interpreter) finds the deletes unchanged."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from regopy import Interpreter
from sandbox_env import EXAMPLES, World, check_plan

from reconciler.cli import main

EMEA = ("apiuser-emea@apiconnector.com", "sandbox-emea-pw")
POLICY = Path(__file__).with_name("policy") / "deny_deletes.rego"
REFUSED = (
    "error: apply refuses this plan: 1 replace needs --allow-replace or replaceOnChange: true"
    " (marked in the plan)\n"
)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def actions(document: dict[str, Any]) -> dict[str, list[str]]:
    return {rc["address"]: rc["change"]["actions"] for rc in document["resource_changes"]}


def deny(document: dict[str, Any]) -> list[str]:
    """The Terraform deny-deletes policy, evaluated on ``document`` as OPA would."""
    rego = Interpreter()
    rego.add_module("deny_deletes", POLICY.read_text(encoding="utf-8"))
    rego.set_input_term(json.dumps(document))
    # Keep the output referenced while its binding is read: regopy 1.5's binding points into
    # it, and reading one off a freed temporary crashes the interpreter.
    output = rego.query("x = data.terraform.deny_deletes.deny")
    assert output.ok(), str(output)
    found: list[str] = json.loads(output.binding("x").json())
    return sorted(found)


def changed_by_hand(world: World) -> None:
    """Every kind of op and a drift at once: an update, a replace, a delete, a mapping change,
    an adopt (the state forgot an integration) and a book changed in dotmailer's UI."""
    emea = world.config / "emea.yaml"
    edit(emea, "{name: Leads EMEA, visibility: Private", "{name: Leads EMEA, visibility: Public")
    edit(
        emea,
        "{name: LIFETIME_VALUE, type: Numeric, visibility: Private, default: 0}",
        "{name: LIFETIME_VALUE, type: String, visibility: Private, default: 0}",
    )
    edit(emea, "    - {name: LAST_ORDER_DATE", "    # - {name: LAST_ORDER_DATE")
    edit(
        world.config / "mappings.yaml",
        "{dataField: FULLNAME, entityFields: [firstName, lastName]}",
        "{dataField: FULLNAME, entityFields: [lastName, firstName]}",
    )
    books = httpx.get(f"{world.server.url}/v2/address-books", auth=EMEA).json()
    newsletter = next(b for b in books if b["name"] == "Newsletter EMEA")
    httpx.put(
        f"{world.server.url}/v2/address-books/{newsletter['id']}",
        json={"name": "Newsletter EMEA", "visibility": "Public"},
        auth=EMEA,
    ).raise_for_status()


def test_every_kind_of_plan_matches_the_schema_and_the_terraform_policy(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    config = str(world.config)
    first = world.cli("plan", config, "--format", "json", capsys=capsys)
    assert first.code == 0, first.err
    fresh = json.loads(first.out)  # checked against the schema by world.cli, as every plan is
    assert {tuple(a) for a in actions(fresh).values()} == {("create",), ("read",), ("sync",)}
    assert deny(fresh) == []
    applied = world.cli("apply", config, "--auto-approve", capsys=capsys)
    assert applied.code == 0, applied.err

    changed_by_hand(world)
    forgot = world.cli("state", "rm", "integration.amer", capsys=capsys)
    assert forgot.code == 0, forgot.err
    changed = world.cli("plan", config, "--format", "json", capsys=capsys)
    assert (changed.code, changed.err) == (3, REFUSED)  # the gated replace
    document = json.loads(changed.out)
    # The forgotten integration and its objects are adopted (Terraform's import): a no-op, or
    # an update where the adopted object also changes (its password, the reordered mapping).
    assert {k: v for k, v in actions(document).items() if v != ["sync"]} == {
        "owner.marketing-ops": ["read"],
        "integration.amer": ["update"],
        "integration.amer.data_field.LEAD_SOURCE": ["no-op"],
        "integration.amer.data_field.LIFETIME_VALUE": ["no-op"],
        "integration.amer.data_field.LOYALTY_TIER": ["no-op"],
        "integration.amer.data_field.SMS_OPT_IN": ["no-op"],
        "integration.emea.data_field.LIFETIME_VALUE": ["delete", "create"],
        'integration.amer.address_book["Newsletter AMER"]': ["no-op"],
        'integration.emea.address_book["Leads EMEA"]': ["update"],
        'integration.emea.address_book["Newsletter EMEA"]': ["update"],
        "integration.amer.mapping.contact": ["update"],
        "integration.amer.mapping.lead": ["no-op"],
        "integration.emea.mapping.contact": ["update"],
        "integration.emea.data_field.LAST_ORDER_DATE": ["delete"],
    }
    assert sorted(
        rc["address"] for rc in document["resource_changes"] if rc["change"]["importing"]
    ) == [
        "integration.amer",
        'integration.amer.address_book["Newsletter AMER"]',
        "integration.amer.data_field.LEAD_SOURCE",
        "integration.amer.data_field.LIFETIME_VALUE",
        "integration.amer.data_field.LOYALTY_TIER",
        "integration.amer.data_field.SMS_OPT_IN",
        "integration.amer.mapping.contact",
        "integration.amer.mapping.lead",
    ]
    assert [d["address"] for d in document["resource_drift"]] == [
        'integration.emea.address_book["Newsletter EMEA"]'
    ]
    assert deny(document) == [
        "integration.emea.data_field.LAST_ORDER_DATE (data_field LAST_ORDER_DATE): "
        "deleting is not allowed",
        "integration.emea.data_field.LIFETIME_VALUE (data_field LIFETIME_VALUE): "
        "deleting is not allowed",
    ]

    drift_only = world.cli("plan", config, "--refresh-only", "--format", "json", capsys=capsys)
    assert drift_only.code == 0, drift_only.err
    refresh = json.loads(drift_only.out)
    assert (refresh["refresh_only"], len(refresh["resource_drift"])) == (True, 1)
    assert deny(refresh) == []

    # The same document, edited the way a schema must catch: a missing Terraform name.
    broken = json.loads(changed.out)
    del broken["resource_changes"][0]["mode"]
    with pytest.raises(AssertionError, match=re.escape("does not match schemas/plan.json")):
        check_plan(broken)


def test_show_renders_a_saved_plan_as_the_plan_that_made_it(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    applied = world.cli("apply", str(world.config), "--auto-approve", capsys=capsys)
    assert applied.code == 0, applied.err
    changed_by_hand(world)
    for fmt in ("text", "json", "markdown"):
        made = world.cli(
            "plan", str(world.config), "--out", f"{fmt}.plan", "--format", fmt, capsys=capsys
        )
        # The hand change makes a gated replace: the plan is saved for review and exits 3,
        # as apply would refuse it (README's exit codes).
        assert (made.code, made.err) == (3, REFUSED), made.err
        shown = world.cli("show", f"{fmt}.plan", "--format", fmt, capsys=capsys)
        assert (shown.code, shown.err) == (0, "")
        if fmt == "text":  # plan adds where it saved the plan
            saved = f"\nSaved the plan to {fmt}.plan.\n"  # no "Apply it with": apply refuses it
            assert made.out == shown.out + saved
        else:
            assert made.out == shown.out
    text = world.cli("show", "text.plan", capsys=capsys).out
    assert (
        '      ~ field.FULLNAME.entity_fields = ["firstName", "lastName"] -> '
        '["lastName", "firstName"]\n' in text
    )
    # show reads no live system: it works with the sandbox gone.
    world.server.stop()
    again = world.cli("show", "markdown.plan", "--format", "markdown", capsys=capsys)
    assert again.code == 0


def test_show_refuses_an_edited_or_foreign_file(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    made = world.cli("plan", str(world.config), "--out", "plan.json", capsys=capsys)
    assert made.code == 0, made.err
    path = world.workdir / "plan.json"
    path.write_text(path.read_text().replace('"bronze"', '"gold"'), encoding="utf-8")
    edited = world.cli("show", "plan.json", capsys=capsys)
    assert (edited.code, edited.out, edited.err) == (
        5,
        "",
        "error: plan.json: the saved plan was edited after it was written\n",
    )
    (world.workdir / "other.json").write_text('{"kind": "something-else"}\n')
    foreign = world.cli("show", "other.json", capsys=capsys)
    assert (foreign.code, foreign.err) == (
        5,
        "error: other.json: cannot read the saved plan: not a reconciler plan file\n",
    )


# --- the embedded sandbox and its seed -----------------------------------------------------------


def _seed(path: Path, tag: str) -> Path:
    """The packaged example seed with its own passwords (a plan with the wrong ones gets 401)."""
    text = (EXAMPLES.parents[0] / "sandbox-seed.yaml").read_text(encoding="utf-8")
    for region in ("emea", "amer", "apac"):
        text = text.replace(f"sandbox-{region}-pw", f"{tag}-{region}-pw")
    path.write_text(text.replace("perMinute: 35", "perMinute: 100000"), encoding="utf-8")
    return path


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_a_plan_made_with_a_seed_applies_in_its_world_and_reset_starts_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    custom = _seed(tmp_path / "custom.yaml", "custom")
    config = str(EXAMPLES)
    code, out, err = _run(capsys, "plan", "--sandbox", "--sandbox-seed", str(custom), config,
                          "--out", "plan.json")  # fmt: skip
    assert (code, err) == (0, "")
    saved = json.loads(Path("plan.json").read_text(encoding="utf-8"))
    assert (saved["version"], saved["sandbox"]["seed"]) == (4, str(custom))
    assert "format_version" not in saved["plan"]  # the JSON plan's, not the plan file's
    # Applied with the credentials of the seed it was made with (they were the packaged
    # seed's before the plan recorded it, and dotmailer answered 401).
    code, out, err = _run(capsys, "apply", "plan.json")
    assert (code, err) == (0, "")
    assert out.endswith("Apply finished: 30 succeeded, 0 failed, 0 skipped.\n")
    code, out, _ = _run(capsys, "plan", "--sandbox", config, "--detailed-exitcode")
    assert (code, out) == (0, "No changes. Live systems match the configuration.\n")

    other = _seed(tmp_path / "other.yaml", "other")
    code, out, err = _run(capsys, "plan", "--sandbox", "--sandbox-seed", str(other), config)
    assert (code, out) == (3, "")
    assert err == (
        "error: the sandbox world .reconciler/sandbox/world.json was made from "
        f"{custom}, not from {other}; `reconciler sandbox reset --data-dir "
        ".reconciler/sandbox` removes it, and the next run starts from the seed it is given\n"
    )
    code, out, _ = _run(capsys, "sandbox", "reset")
    assert (code, out) == (
        0,
        "Removed the sandbox world in .reconciler/sandbox:\n  world.json\n  state.db\n",
    )
    code, out, err = _run(capsys, "plan", "--sandbox", "--sandbox-seed", str(other), config,
                          "--detailed-exitcode")  # fmt: skip
    assert (code, err) == (2, "")
    assert out.endswith(
        "Plan: 25 to create, 0 to update, 0 to replace, 0 to delete, 0 to adopt; "
        "3 syncs to schedule.\n"
    )
    world = json.loads(Path(".reconciler/sandbox/world.json").read_text(encoding="utf-8"))
    assert world["seed"]["path"] == str(other)


def test_a_sandbox_plan_whose_seed_changed_is_stale(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    custom = _seed(tmp_path / "custom.yaml", "custom")
    config = str(EXAMPLES)
    code, _, err = _run(capsys, "plan", "--sandbox", "--sandbox-seed", str(custom), config,
                        "--out", "plan.json")  # fmt: skip
    assert (code, err) == (0, "")
    custom.write_text(custom.read_text(encoding="utf-8") + "# edited\n", encoding="utf-8")
    code, out, err = _run(capsys, "apply", "plan.json")
    assert (code, out) == (3, "")
    assert err.startswith(
        "error: the sandbox world .reconciler/sandbox/world.json was made from that file as it "
        f"was then, not from {custom}; "
    )
    assert _run(capsys, "sandbox", "reset")[0] == 0
    code, _, err = _run(capsys, "plan", "--sandbox", "--sandbox-seed", str(custom), config)
    assert (code, err) == (0, "")  # a new world, from the edited seed
    code, out, err = _run(capsys, "apply", "plan.json")
    assert (code, out, err) == (
        5,
        "",
        "error: the saved plan is stale; make a new plan:\n"
        f"  the sandbox seed {custom} changed since the plan was made\n",
    )


def test_stale_check_and_ci_compare_name_the_nested_paths_that_moved(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    applied = world.cli("apply", str(world.config), "--auto-approve", capsys=capsys)
    assert applied.code == 0, applied.err
    edit(
        world.config / "mappings.yaml",
        "{dataField: FULLNAME, entityFields: [firstName, lastName]}",
        "{dataField: FULLNAME, entityFields: [lastName, firstName]}",
    )
    reviewed = world.cli("plan", str(world.config), "--out", "reviewed.json", capsys=capsys)
    assert reviewed.code == 0, reviewed.err
    # By hand in Oro: EMEA's FULLNAME mapping now reads the first name only.
    oro = world.sandbox.oro
    assert oro is not None
    tables = oro.tables
    channel = next(
        cid for cid, c in tables["integrationchannels"].items() if c["a"]["name"] == "emea"
    )
    field = next(
        fid
        for fid, f in tables["dotmailerdatafields"].items()
        if f["r"]["channel"] == channel and f["a"]["name"] == "FULLNAME"
    )
    config = next(cid for cid, c in tables["dotmailerdatafieldmappingconfigs"].items()
                  if c["r"]["dataField"] == field)  # fmt: skip
    token = httpx.post(
        f"{world.server.url}/oauth2-token",
        json={"grant_type": "client_credentials", "client_id": "ci",
              "client_secret": world.env["RECONCILER_ORO_CLIENT_SECRET"]},
    ).json()["access_token"]  # fmt: skip
    httpx.patch(
        f"{world.server.url}/admin/api/dotmailerdatafieldmappingconfigs/{config}",
        json={"data": {"type": "dotmailerdatafieldmappingconfigs", "id": str(config),
                       "attributes": {"entityFields": "firstName"}}},
        headers={"Authorization": f"Bearer {token}",
                 "Content-Type": "application/vnd.api+json"},
    ).raise_for_status()  # fmt: skip

    stale = world.cli("apply", "reviewed.json", capsys=capsys)
    assert (stale.code, stale.out) == (5, "")
    assert stale.err == (
        "error: the saved plan is stale; make a new plan:\n"
        '  integration.emea.mapping.contact: before["field.FULLNAME"].entity_fields: '
        '["firstName", "lastName"] when planned, ["firstName"] now\n'
    )
    new = world.cli("plan", str(world.config), "--out", "new.json", capsys=capsys)
    assert new.code == 0, new.err
    compared = world.cli("ci", "compare", "reviewed.json", "new.json", capsys=capsys)
    assert (compared.code, compared.out) == (5, "")
    assert compared.err == (
        "error: the new plan differs from the reviewed plan (reviewed.json); review it again:\n"
        "  integration.emea.mapping.contact: field field.FULLNAME: before.entity_fields: "
        '["firstName", "lastName"] in the reviewed plan, ["firstName"] in the new plan\n'
    )
