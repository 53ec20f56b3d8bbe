"""What the plan tells a reviewer is exactly what will happen (issue 11, items 3-6)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sandbox_env import World
from test_engine import EMEA, converge, edit

from reconciler.sandbox.dotmailer import password_digest


def _block(text: str, header: str) -> list[str]:
    """The lines of one op's block in a text plan: its header and the lines under it."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header))
    block = [lines[start]]
    for line in lines[start + 1 :]:
        if not line.startswith("      "):
            break
        block.append(line)
    return block


def _json_change(world: World, capsys: pytest.CaptureFixture[str], where: str) -> dict[str, object]:
    planned = world.cli("plan", str(world.config), "--format", "json", capsys=capsys)
    changes = json.loads(planned.out)["resource_changes"]
    found: dict[str, object] = next(c for c in changes if c["address"] == where)
    return found


def test_disabling_an_integration_shows_no_secret_as_changed(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    converge(world, capsys)
    edit(world.config / "emea.yaml", "  enabled: true\n", "  enabled: false\n")
    planned = world.cli("plan", str(world.config), capsys=capsys)
    assert _block(planned.out, "  ~ integration.emea ") == [
        "  ~ integration.emea  # (configuration changed)",
        "      ~ enabled = true -> false",
    ]
    change = _json_change(world, capsys, "integration.emea")["change"]
    assert change["sensitive_changed"] == []  # type: ignore[index]


def test_a_rotated_password_is_the_one_secret_shown_as_changed(
    world: World, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    converge(world, capsys)
    world.sandbox.dotmailer.account(EMEA[0]).password_sha256 = password_digest("rotated-Pw-2026")
    monkeypatch.setenv("DOTMAILER_EMEA_PASSWORD", "rotated-Pw-2026")
    planned = world.cli("plan", str(world.config), capsys=capsys)
    assert _block(planned.out, "  ~ integration.emea ") == [
        "  ~ integration.emea  # (configuration changed)",
        "      ~ password = (sensitive)",
    ]
    change = _json_change(world, capsys, "integration.emea")["change"]
    assert change["sensitive_changed"] == ["password"]  # type: ignore[index]
    assert "rotated-Pw-2026" not in planned.out


def test_a_field_deleted_by_hand_is_drift_and_a_create(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    converge(world, capsys)
    del world.sandbox.dotmailer.account(EMEA[0]).data_fields["LAST_ORDER_DATE"]
    planned = world.cli("plan", str(world.config), "--detailed-exitcode", capsys=capsys)
    assert planned.code == 2
    assert _block(planned.out, "  + integration.emea.data_field.LAST_ORDER_DATE") == [
        "  + integration.emea.data_field.LAST_ORDER_DATE  # (in state, gone from the live system)",
        "      + default    = null",
        '      + name       = "LAST_ORDER_DATE"',
        "      + notes      = null",
        '      + type       = "Date"',
        '      + visibility = "Private"',
    ]
    assert (
        "  integration.emea.data_field.LAST_ORDER_DATE: deleted outside reconciler; apply will "
        "re-create it"
    ) in planned.out.splitlines()
    assert planned.out.splitlines()[-1].startswith("Plan: 1 to create, 0 to update")
    drift = world.cli("plan", str(world.config), "--refresh-only", capsys=capsys)
    assert "LAST_ORDER_DATE: deleted outside reconciler" in drift.out
    applied = world.cli("apply", str(world.config), "--auto-approve", capsys=capsys)
    assert "create     integration.emea.data_field.LAST_ORDER_DATE  succeeded  created" in (
        applied.out
    )
    converge(world, capsys)


def test_a_placeholder_type_is_never_a_replace(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    """NotAvailableInThisVersion is the placeholder ApiDataTypes carries in the official v2
    Swagger (/work/shared/dotdigital-api/dotdigital-v2-api-swagger.json)."""
    converge(world, capsys)
    world.sandbox.dotmailer.account(EMEA[0]).data_fields["LIFETIME_VALUE"]["type"] = (
        "NotAvailableInThisVersion"
    )
    planned = world.cli("plan", str(world.config), "--detailed-exitcode", capsys=capsys)
    assert (planned.code, planned.out) == (
        0,
        "Warning: integration.emea.data_field.LIFETIME_VALUE: dotmailer reports its type as "
        "'NotAvailableInThisVersion', which this reconciler does not know (the API's "
        "placeholder for a newer value); left as it is\n\n"
        "No changes. Live systems match the configuration.\n",
    )


def test_allow_replace_takes_any_case_and_refuses_an_unknown_name(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    converge(world, capsys)
    edit(
        world.config / "emea.yaml",
        "{name: LIFETIME_VALUE, type: Numeric, visibility: Private, default: 0}",
        "{name: LIFETIME_VALUE, type: String, visibility: Private, default: 0}",
    )
    unknown = world.cli("plan", str(world.config), "--allow-replace", "NOPE", capsys=capsys)
    assert (unknown.code, unknown.err) == (
        64,
        "error: --allow-replace NOPE: no data field of this plan is replaced by that name; "
        "replaceable: integration.emea.data_field.LIFETIME_VALUE\n",
    )
    applied = world.cli("apply", str(world.config), "--auto-approve",
                        "--allow-replace", "lifetime_value", capsys=capsys)  # fmt: skip
    assert applied.code == 0, applied.out + applied.err
    converge(world, capsys)


def test_an_edited_option_in_a_saved_plan_is_refused(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    saved = Path("plan.json")
    planned = world.cli("plan", str(world.config), "--out", str(saved), capsys=capsys)
    assert planned.code == 0
    document = json.loads(saved.read_text(encoding="utf-8"))
    document["options"]["max_deletes"] = 1000
    saved.write_text(json.dumps(document), encoding="utf-8")
    refused = world.cli("apply", str(saved), capsys=capsys)
    assert (refused.code, refused.err) == (
        5,
        "error: plan.json: the saved plan was edited after it was written\n",
    )
