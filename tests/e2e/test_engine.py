"""plan/apply end to end over real HTTP against the sandbox (issue 4, "How it is shown")."""

from __future__ import annotations

import json
import os
from pathlib import Path

import httpx
import pytest
from sandbox_env import SECRETS, World

from reconciler.cli import main

EMEA = ("apiuser-emea@apiconnector.com", "sandbox-emea-pw")


def endpoint(world: World, account: tuple[str, str] = EMEA) -> str:
    """The account's region base URL, discovered as the client does (account-info on r1)."""
    response = httpx.get(f"{world.server.url}/v2/account-info", auth=account)
    response.raise_for_status()
    properties = {p["name"]: p["value"] for p in response.json()["properties"]}
    return str(properties["ApiEndpoint"]).rstrip("/")


def dm_books(world: World, account: tuple[str, str] = EMEA) -> list[dict[str, object]]:
    response = httpx.get(f"{endpoint(world, account)}/v2/address-books", auth=account)
    response.raise_for_status()
    books: list[dict[str, object]] = response.json()
    return [b for b in books if b["name"] not in ("All Contacts", "Test")]


def dm_fields(world: World, account: tuple[str, str] = EMEA) -> list[dict[str, object]]:
    response = httpx.get(f"{endpoint(world, account)}/v2/data-fields", auth=account)
    response.raise_for_status()
    fields: list[dict[str, object]] = response.json()
    return fields


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def converge(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    applied = world.cli("apply", str(world.config), "--auto-approve", capsys=capsys)
    assert applied.code == 0, applied.out + applied.err
    again = world.cli("plan", str(world.config), "--detailed-exitcode", capsys=capsys)
    assert (again.code, again.out) == (0, "No changes. Live systems match the configuration.\n")


def test_plan_apply_plan_converges(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    planned = world.cli("plan", str(world.config), "--detailed-exitcode", capsys=capsys)
    assert planned.code == 2
    assert planned.out.endswith(
        "Plan: 25 to create, 0 to update, 0 to replace, 0 to delete, 0 to adopt; "
        "3 syncs to schedule.\n"
    )
    applied = world.cli("apply", str(world.config), "--auto-approve", capsys=capsys)
    assert applied.code == 0, applied.err
    assert applied.out.endswith("Apply finished: 30 succeeded, 0 failed, 0 skipped.\n")
    assert "sync scheduled (all connectors, forced)" in applied.out
    again = world.cli("plan", str(world.config), "--detailed-exitcode", capsys=capsys)
    assert (again.code, again.out) == (0, "No changes. Live systems match the configuration.\n")
    assert sorted(b["name"] for b in dm_books(world)) == ["Leads EMEA", "Newsletter EMEA"]


def test_planning_costs_three_dotmailer_calls_per_integration_whatever_its_size(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    converge(world, capsys)
    dotmailer, oro = world.sandbox.dotmailer, world.sandbox.oro
    assert oro is not None

    def plan_cost() -> tuple[dict[str, int], int]:
        before = {u: dotmailer.total_requests(u) for u in dotmailer.accounts}
        oro_before = oro.counters["total"]
        assert main(["plan", str(world.config)]) == 0
        capsys.readouterr()
        return (
            {u: dotmailer.total_requests(u) - before[u] for u in sorted(dotmailer.accounts)},
            oro.counters["total"] - oro_before,
        )

    small = plan_cost()
    # Grow EMEA by 20 data fields and 10 address books: the cost of a plan must not move.
    extra_fields = "".join(f"    - {{name: EXTRA_{i}, type: String}}\n" for i in range(20))
    edit(world.config / "emea.yaml", "  dataFields:\n", "  dataFields:\n" + extra_fields)
    extra_books = "".join(f"    - {{name: Extra {i}}}\n" for i in range(10))
    edit(world.config / "emea.yaml", "  addressBooks:\n", "  addressBooks:\n" + extra_books)
    converge(world, capsys)
    large = plan_cost()
    assert small == large
    per_account, oro_calls = large
    assert per_account == {
        "apiuser-amer@apiconnector.com": 3,
        "apiuser-apac@apiconnector.com": 3,
        "apiuser-emea@apiconnector.com": 3,
    }
    # One token, eight lists: users, organizations, business units, marketing lists,
    # integrations, data fields, address books, mappings; and the field types of the three
    # entities the mappings read (Contact, Lead, and ContactAddress through a relation path).
    assert oro_calls == 12


def test_drift_made_by_hand_is_shown_and_reverted(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    converge(world, capsys)
    book = next(b for b in dm_books(world) if b["name"] == "Newsletter EMEA")
    response = httpx.put(
        f"{world.server.url}/v2/address-books/{book['id']}",
        json={"name": "Newsletter EMEA", "visibility": "Public"},
        auth=EMEA,
    )
    response.raise_for_status()
    planned = world.cli("plan", str(world.config), "--detailed-exitcode", capsys=capsys)
    assert planned.code == 2
    assert "Drift detected" in planned.out
    assert '~ visibility = "Public" -> "Private"' in planned.out
    converge(world, capsys)
    book = next(b for b in dm_books(world) if b["name"] == "Newsletter EMEA")
    assert book["visibility"] == "Private"


def test_address_book_rename_is_an_update_keeping_the_remote_id(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    converge(world, capsys)
    before = {b["name"]: b["id"] for b in dm_books(world)}
    edit(world.config / "emea.yaml", "name: Newsletter EMEA", "name: EMEA Newsletter")
    planned = world.cli("plan", str(world.config), capsys=capsys)
    assert 'integration.emea.address_book["EMEA Newsletter"]' in planned.out
    assert 'moved from integration.emea.address_book["Newsletter EMEA"]' in planned.out
    assert "0 to create, 1 to update" in planned.out
    converge(world, capsys)
    after = {b["name"]: b["id"] for b in dm_books(world)}
    assert after == {
        "EMEA Newsletter": before["Newsletter EMEA"],
        "Leads EMEA": before["Leads EMEA"],
    }


def test_data_field_type_change_is_a_gated_replace(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    converge(world, capsys)
    # LIFETIME_VALUE is mapped by nothing, so no Oro mapping stands in the way of its new type.
    edit(
        world.config / "emea.yaml",
        "{name: LIFETIME_VALUE, type: Numeric, visibility: Private, default: 0}",
        "{name: LIFETIME_VALUE, type: String, visibility: Private, default: 0}",
    )
    planned = world.cli("plan", str(world.config), capsys=capsys)
    assert "-/+ integration.emea.data_field.LIFETIME_VALUE" in planned.out
    refused = world.cli("apply", str(world.config), "--auto-approve", capsys=capsys)
    assert refused.code == 3
    assert "--allow-replace LIFETIME_VALUE" in refused.err
    assert {f["name"]: f["type"] for f in dm_fields(world)}["LIFETIME_VALUE"] == "Numeric"
    allowed = world.cli(
        "apply",
        str(world.config),
        "--auto-approve",
        "--allow-replace",
        "LIFETIME_VALUE",
        capsys=capsys,
    )
    assert allowed.code == 0, allowed.out + allowed.err
    assert {f["name"]: f["type"] for f in dm_fields(world)}["LIFETIME_VALUE"] == "String"
    again = world.cli("plan", str(world.config), "--detailed-exitcode", capsys=capsys)
    assert again.code == 0, again.out


def test_a_mapped_entity_field_of_the_wrong_type_fails_at_plan_with_its_yaml_line(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    """Oro would refuse the mapping at apply with a 400 ([DM] Validator/
    DataFieldMappingConfigValidator.php:85-124); the plan says so at the mapping's line."""
    converge(world, capsys)
    edit(
        world.config / "emea.yaml",
        "{name: LEAD_SOURCE, type: String",
        "{name: LEAD_SOURCE, type: Numeric",
    )
    planned = world.cli("plan", str(world.config), capsys=capsys)
    assert (planned.code, planned.out, planned.err) == (
        3,
        "",
        "integrations/mappings.yaml:29:7: error: entityFields: Oro refuses it: Mapping for field "
        '"LEAD_SOURCE" must be of numeric type (Lead.source is enum)\n'
        "error: the plan cannot be made: 1 problem(s) with the live systems\n",
    )


def test_adopts_objects_that_exist_but_are_not_in_state(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    converge(world, capsys)
    # Lose the state: everything live is still there, so the next plan adopts, never creates.
    world.forget_state()
    planned = world.cli("plan", str(world.config), capsys=capsys)
    assert "0 to create" in planned.out
    assert "25 to adopt" in planned.out
    converge(world, capsys)
    assert sorted(b["name"] for b in dm_books(world)) == ["Leads EMEA", "Newsletter EMEA"]
    oro = world.sandbox.oro
    assert oro is not None
    assert len(oro.tables["integrationchannels"]) == 3


def test_removed_field_is_pruned_and_the_empty_set_refused(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    converge(world, capsys)
    edit(
        world.config / "emea.yaml", "    - {name: LAST_ORDER_DATE", "    # - {name: LAST_ORDER_DATE"
    )
    planned = world.cli("plan", str(world.config), capsys=capsys)
    assert "  - integration.emea.data_field.LAST_ORDER_DATE" in planned.out
    converge(world, capsys)
    assert "LAST_ORDER_DATE" not in {f["name"] for f in dm_fields(world)}


def test_stale_saved_plan_is_refused_naming_what_moved(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    converge(world, capsys)
    edit(world.config / "emea.yaml", "name: Newsletter EMEA", "name: EMEA Newsletter")
    saved = world.cli("plan", str(world.config), "--out", "plan.json", capsys=capsys)
    assert saved.code == 0
    assert oct((world.workdir / "plan.json").stat().st_mode & 0o777) == "0o600"
    book = next(b for b in dm_books(world) if b["name"] == "Leads EMEA")
    httpx.put(
        f"{world.server.url}/v2/address-books/{book['id']}",
        json={"name": "Leads EMEA", "visibility": "Public"},
        auth=EMEA,
    ).raise_for_status()
    stale = world.cli("apply", "plan.json", capsys=capsys)
    assert stale.code == 5
    assert 'integration.emea.address_book["Leads EMEA"]: now needs update' in stale.err
    fresh = world.cli("plan", str(world.config), "--out", "plan.json", capsys=capsys)
    assert fresh.code == 0
    applied = world.cli("apply", "plan.json", capsys=capsys)
    assert applied.code == 0, applied.err
    assert json.loads((world.workdir / "plan.json").read_text())["kind"] == "reconciler-plan"


def test_secret_values_appear_in_no_output_or_file(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    world.cli("plan", str(world.config), "--out", "plan.json", capsys=capsys)
    for fmt in ("json", "markdown"):
        world.cli("plan", str(world.config), "--format", fmt, capsys=capsys)
    converge(world, capsys)
    world.cli("state", "list", capsys=capsys)
    files = [p for p in world.workdir.rglob("*") if p.is_file()]
    files += [p for p in Path(os.environ["RECONCILER_LOG_DIR"]).rglob("*") if p.is_file()]
    assert any(p.name == "plan.json" for p in files)
    state = world.state_bytes()
    for value in SECRETS.values():
        for text in world.outputs:
            assert value not in text
        for path in files:
            assert value.encode() not in path.read_bytes(), path
        assert value.encode() not in state


def test_state_import_binds_a_differently_named_live_book(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    made = httpx.post(
        f"{world.server.url}/v2/address-books",
        json={"name": "Old newsletter", "visibility": "Private"},
        auth=EMEA,
    )
    made.raise_for_status()
    book_id = made.json()["id"]
    target = 'integration.emea.address_book["Newsletter EMEA"]'
    imported = world.cli(
        "state", "import", target, str(book_id), "--config", str(world.config), capsys=capsys
    )
    assert imported.code == 0, imported.err
    assert imported.out == (
        f"Imported {target} (dotmailer={book_id}). Run `reconciler plan` to see what differs.\n"
    )
    planned = world.cli("plan", str(world.config), capsys=capsys)
    assert f"  ~ {target}" in planned.out
    assert '~ name           = "Old newsletter" -> "Newsletter EMEA"' in planned.out
    converge(world, capsys)
    assert {b["name"]: b["id"] for b in dm_books(world)}["Newsletter EMEA"] == book_id
    assert len(dm_books(world)) == 2
    unknown = world.cli(
        "state",
        "import",
        "integration.emea.address_book.Nope",
        "1",
        "--config",
        str(world.config),
        capsys=capsys,
    )
    assert unknown.code == 64
    assert "integration.emea.address_book.Nope is not a declared address" in unknown.err


def test_sync_wait_polls_the_job_and_fails_on_a_failed_job(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    converge(world, capsys)
    args = ("sync", "emea", "--config", str(world.config), "--wait", "--poll-interval", "0")
    # The apply's own sync job of emea is still pending: a second one is the same job.
    waited = world.cli(*args, capsys=capsys)
    assert waited.code == 0, waited.err
    assert waited.out.endswith("succeeded.\n")
    oro = world.sandbox.oro
    assert oro is not None
    oro.set_job_outcome("emea", "failed")
    failed = world.cli(*args, "--connector", "datafield", capsys=capsys)
    assert failed.code == 4
    assert "of emea ended failed" in failed.err
    unknown = world.cli("sync", "nope", "--config", str(world.config), capsys=capsys)
    assert (unknown.code, unknown.err) == (
        64,
        f"error: no integration named 'nope' in {world.config}\n",
    )


def test_a_saved_plan_survives_another_teams_apply_on_another_integration(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    converge(world, capsys)
    amer = ("apiuser-amer@apiconnector.com", "sandbox-amer-pw")
    for account, name in ((EMEA, "Newsletter EMEA"), (amer, "Newsletter AMER")):
        book = next(b for b in dm_books(world, account) if b["name"] == name)
        visibility = "Public" if book["visibility"] == "Private" else "Private"
        response = httpx.put(
            f"{endpoint(world, account)}/v2/address-books/{book['id']}",
            json={"name": name, "visibility": visibility},
            auth=account,
        )
        response.raise_for_status()
    saved = world.cli(
        "plan",
        str(world.config),
        "--integration",
        "emea",
        "--out",
        "reviewed/emea.json",
        capsys=capsys,
    )
    assert saved.code == 0, saved.err
    other = world.cli(
        "apply", str(world.config), "--integration", "amer", "--auto-approve", capsys=capsys
    )
    assert other.code == 0, other.err
    applied = world.cli("apply", "reviewed/emea.json", capsys=capsys)
    assert applied.code == 0, applied.err
    again = world.cli("plan", str(world.config), "--detailed-exitcode", capsys=capsys)
    assert again.code == 0, again.out


def test_oro_auto_created_default_mappings_are_not_ours(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    oro = world.sandbox.oro
    assert oro is not None
    oro.settings["autoDefaultMappings"] = True
    converge(world, capsys)
    for name in ("amer", "apac", "emea"):  # run each integration's first data-field import
        done = world.cli("sync", name, "--config", str(world.config), "--wait",
                         "--poll-interval", "0", capsys=capsys)  # fmt: skip
        assert done.code == 0, done.err
    # The five declared (amer, emea: Contact and Lead; apac: Contact), plus Oro's own for
    # every contact-information entity with firstName and lastName that has none
    # ([DM] EventListener/AddDefaultMappingListener.php): apac's Lead, and a CustomerUser each.
    assert sorted(
        (m["r"]["channel"], m["a"]["entity"].rsplit("\\", 1)[-1], m["a"]["syncPriority"])
        for m in oro.tables["dotmailerdatafieldmappings"].values()
    ) == [
        (channel, entity, priority)
        for channel in (1, 2, 3)
        for entity, priority in (("Contact", 20), ("CustomerUser", 0), ("Lead", 10))
    ]
    again = world.cli("plan", str(world.config), "--detailed-exitcode", capsys=capsys)
    assert (again.code, again.out) == (0, "No changes. Live systems match the configuration.\n")


def test_a_5xx_after_the_change_was_saved_is_resolved_by_the_list_not_made_twice(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    from reconciler.sandbox.core import Request, Response

    failed: list[str] = []

    def fail_after_commit(request: Request, response: Response) -> None:
        # The emulator saved the record; the client gets a 500 and retries the POST, which
        # Oro answers with a uniqueness error.
        posted = request.method == "POST" and request.path.endswith("/dotmailerdatafields")
        if posted and not failed:
            failed.append(request.path)
            raise RuntimeError("injected: failed after commit")

    world.server.after_app = fail_after_commit
    try:
        converge(world, capsys)
    finally:
        world.server.after_app = None
    assert failed == ["/admin/api/dotmailerdatafields"]
    oro = world.sandbox.oro
    assert oro is not None
    names = [
        (r["r"]["channel"], r["a"]["name"]) for r in oro.tables["dotmailerdatafields"].values()
    ]
    assert len(names) == len(set(names))


def test_sync_reads_no_other_integrations_secret(
    world: World, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    converge(world, capsys)
    monkeypatch.delenv("DOTMAILER_APAC_PASSWORD")
    synced = world.cli("sync", "emea", "--config", str(world.config), capsys=capsys)
    assert synced.code == 0, synced.err
    planned = world.cli("plan", str(world.config), capsys=capsys)
    assert planned.code == 3
    assert "DOTMAILER_APAC_PASSWORD" in planned.err


def test_state_import_refuses_an_object_another_address_manages(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    converge(world, capsys)
    book_id = next(b["id"] for b in dm_books(world) if b["name"] == "Newsletter EMEA")
    world.cli("state", "rm", 'integration.emea.address_book["Leads EMEA"]', capsys=capsys)
    taken = world.cli(
        "state",
        "import",
        'integration.emea.address_book["Leads EMEA"]',
        str(book_id),
        "--config",
        str(world.config),
        capsys=capsys,
    )
    assert (taken.code, taken.err) == (
        64,
        'error: integration.emea.address_book["Newsletter EMEA"] already manages that object; '
        "`state rm` it first to move it\n",
    )


def test_a_saved_plan_keeps_its_decisions(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    world.cli("plan", str(world.config), "--out", "plan.json", capsys=capsys)
    refused = world.cli("apply", "plan.json", "--allow-replace", "X", capsys=capsys)
    assert refused.code == 64
    assert "a saved plan keeps the decisions it was made with" in refused.err


def test_a_refused_password_names_the_integration_and_never_the_password(
    world: World, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOTMAILER_APAC_PASSWORD", "not-the-apac-password")
    refused = world.cli("plan", str(world.config), capsys=capsys)
    assert refused.code == 4
    assert "integration 'apac', dotmailer user apiuser-apac@apiconnector.com at " in refused.err
    assert "apac.yaml:" in refused.err
    assert "not-the-apac-password" not in refused.err + refused.out


def test_an_oro_url_without_a_scheme_is_a_configuration_error(
    world: World, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RECONCILER_ORO_URL", world.server.url.removeprefix("http://"))
    refused = world.cli("plan", str(world.config), capsys=capsys)
    assert refused.code == 3
    assert "must start with https://" in refused.err


def test_sync_refuses_a_connector_the_bundle_does_not_have(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    refused = world.cli("sync", "emea", "--config", str(world.config), "--connector", "bogus",
                        capsys=capsys)  # fmt: skip
    assert refused.code == 64
    assert "Invalid value for '--connector': 'bogus' is not one of" in refused.err


def test_refresh_only_reports_drift_with_exit_2_and_plans_nothing(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    converge(world, capsys)
    book = next(b for b in dm_books(world) if b["name"] == "Leads EMEA")
    httpx.put(
        f"{endpoint(world)}/v2/address-books/{book['id']}",
        json={"name": "Leads EMEA", "visibility": "Public"},
        auth=EMEA,
    ).raise_for_status()
    drift = world.cli(
        "plan", str(world.config), "--refresh-only", "--detailed-exitcode", capsys=capsys
    )
    assert drift.code == 2
    assert 'integration.emea.address_book["Leads EMEA"]: visibility "Public"' in drift.out
    assert "  ~ integration" not in drift.out


def test_apply_json_reports_every_result(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    applied = world.cli("apply", str(world.config), "--auto-approve", "--format", "json",
                        capsys=capsys)  # fmt: skip
    assert applied.code == 0
    report = json.loads(applied.out)
    assert report["summary"] == {"failed": 0, "skipped": 0, "succeeded": 30}
    assert sorted(report["jobs"]) == ["amer", "apac", "emea"]
    assert report["results"][0] == {
        "action": "read",
        "address": "owner.crm-admins",
        "detail": "resolved",
        "status": "succeeded",
    }


def test_without_an_oro_url_plan_says_where_to_set_it(
    world: World, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("RECONCILER_ORO_URL")
    refused = world.cli("plan", str(world.config), capsys=capsys)
    assert (refused.code, refused.err) == (
        3,
        "error: no Oro URL configured: set oro.url in reconciler.yaml or RECONCILER_ORO_URL "
        "(or run against the embedded sandbox with --sandbox)\n",
    )


def test_an_unexpected_error_writes_its_traceback_to_a_log_and_exits_1(
    world: World, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import reconciler.session

    def broken(*_: object, **__: object) -> None:
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(reconciler.session, "git_sha", broken)
    crashed = world.cli("plan", str(world.config), capsys=capsys)
    assert crashed.code == 1
    assert crashed.err.startswith(
        "error: unexpected ZeroDivisionError: a bug; the traceback is in "
    )
    log = Path(crashed.err.rsplit(" ", 1)[-1].strip())
    assert "ZeroDivisionError: a bug" in log.read_text(encoding="utf-8")
