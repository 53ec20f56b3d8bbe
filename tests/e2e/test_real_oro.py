"""End to end against an emulator that behaves as Oro's source does (issue 10, "How it is shown").

Sources, by commit: oroinc/platform 3aec000b [P], oroinc/OroCRMDotmailerBundle 873def61 [DM],
and the companion bundle's integrationsyncs (oro-bundle/Api/Processor/ScheduleIntegrationSync.php).
"""

from __future__ import annotations

import shutil

import httpx
import pytest
from sandbox_env import World
from test_engine import EMEA, converge, edit, endpoint

from reconciler.sandbox.oro import OroApp


def _oro(world: World) -> OroApp:
    assert world.sandbox.oro is not None
    return world.sandbox.oro


def _oro_field_names(world: World, integration: str) -> list[str]:
    oro = _oro(world)
    channel = oro.integration_row(integration)["id"]
    return sorted(
        r["a"]["name"] for r in oro.rows("dotmailerdatafields") if r["r"]["channel"] == channel
    )


def _wait(world: World, capsys: pytest.CaptureFixture[str], *args: str) -> str:
    done = world.cli("sync", "emea", "--config", str(world.config), "--wait",
                     "--poll-interval", "0", *args, capsys=capsys)  # fmt: skip
    assert done.code == 0, done.out + done.err
    return done.out


def test_a_data_field_change_forces_the_import_oro_otherwise_skips_for_a_day(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    """[DM] Provider/Connector/DataFieldConnector.php:36-60: the import waits a day after the
    last one unless ``datafields-force-sync``; a plain force does nothing for dotmailer."""
    converge(world, capsys)
    _wait(world, capsys)  # the apply's sync: the first data-field import, due
    made = httpx.post(
        f"{endpoint(world)}/v2/data-fields",
        auth=EMEA,
        json={"name": "HANDMADE", "type": "String", "visibility": "Private"},
    )
    assert made.status_code == 201  # a field only dotmailer has: only an import brings it
    _wait(world, capsys, "--connector", "datafield")
    assert "HANDMADE" not in _oro_field_names(world, "emea")  # within the day: skipped

    edit(
        world.config / "emea.yaml",
        "  dataFields:\n",
        "  dataFields:\n    - {name: NEW_ONE, type: String}\n",
    )
    applied = world.cli("apply", str(world.config), "--auto-approve", capsys=capsys)
    assert applied.code == 0, applied.out + applied.err
    emea = _oro(world).integration_row("emea")["id"]
    job = [j for j in _oro(world).rows("oro_message_queue_jobs") if j["channel"] == emea][-1]
    assert (job["a"]["data"]["connector"], job["a"]["data"]["connector_parameters"]) == (
        "datafield",
        {"datafields-force-sync": 1},
    )
    out = _wait(world, capsys)  # waits for the apply's sync, already waiting
    assert out.startswith(f"A sync of emea was already new: job {job['id']}; Oro scheduled nothing")
    assert "HANDMADE" in _oro_field_names(world, "emea")  # forced: imported


def test_removing_an_integration_removes_its_books_in_oro_so_the_lists_can_be_linked_again(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    """[DM] Entity/AddressBook.php:65-71: the channel is onDelete SET NULL, so Oro keeps the
    books of a deleted integration with their marketing lists, and linking a list again is a
    409 ([DM] Installer.php:135). reconciler deletes their Oro records first."""
    converge(world, capsys)
    kept = world.workdir / "apac.yaml"
    shutil.move(world.config / "apac.yaml", kept)
    mappings = world.config / "mappings.yaml"
    original = mappings.read_text(encoding="utf-8")
    mappings.write_text(
        "\n--- # yaml-language-server".join(original.split("\n--- # yaml-language-server")[:2]),
        "utf-8",
    )
    planned = world.cli("plan", str(world.config), capsys=capsys)
    assert planned.code == 0, planned.out + planned.err
    assert [line for line in planned.out.splitlines() if line.startswith("  -")] == [
        '  - integration.apac.address_book["Customers APAC"]  # (its integration is removed; '
        "Oro keeps books, the dotmailer book stays)",
        '  - integration.apac.address_book["Newsletter APAC"]  # (its integration is removed; '
        "Oro keeps books, the dotmailer book stays)",
        "  - integration.apac  # (not in the configuration)",
    ]
    converge(world, capsys)
    assert [b for b in _oro(world).rows("dotmaileraddressbooks") if b["r"]["channel"] is None] == []

    shutil.move(kept, world.config / "apac.yaml")
    mappings.write_text(original, "utf-8")
    converge(world, capsys)  # the lists are free: no 409


def test_a_book_left_behind_by_an_integration_deleted_in_oro_is_linked_again(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    """An integration deleted by hand in Oro leaves its books without a channel; the next
    apply makes the integration again and gives those same records back to it."""
    converge(world, capsys)
    oro = _oro(world)
    channel = oro.integration_row("emea")["id"]
    books = sorted(
        b["id"] for b in oro.rows("dotmaileraddressbooks") if b["r"]["channel"] == channel
    )
    token = httpx.post(
        f"{world.server.url}/oauth2-token",
        json={"grant_type": "client_credentials", "client_id": "ci",
              "client_secret": world.env["RECONCILER_ORO_CLIENT_SECRET"]},
    ).json()["access_token"]  # fmt: skip
    gone = httpx.delete(
        f"{world.server.url}/admin/api/integrationchannels/{channel}",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert gone.status_code == 204
    planned = world.cli("plan", str(world.config), capsys=capsys)
    relinked = '  ~ integration.emea.address_book["Newsletter EMEA"]  # (in Oro without its '
    assert f"{relinked}integration; re-linked)" in planned.out.splitlines()
    converge(world, capsys)
    again = oro.integration_row("emea")["id"]
    assert (
        sorted(b["id"] for b in oro.rows("dotmaileraddressbooks") if b["r"]["channel"] == again)
        == books
    )
