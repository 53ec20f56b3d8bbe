"""``reconciler state …`` through the real CLI entry point."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reconciler.cli import main
from reconciler.state import ObjectRecord, fingerprint
from reconciler.state.sqlite import SqliteStore

FINGERPRINT = fingerprint(b"k" * 32, "correct horse battery")
INTEGRATION = ObjectRecord(
    address="integration.emea",
    kind="integration",
    integration="emea",
    remote_ids={"oro": "12"},
    applied={"enabled": True, "connection": {"username": "api@apiconnector.com"}},
    secret_fingerprints={"connection.password": FINGERPRINT},
    remote_fingerprint="sha256:aa",
    updated_at="2026-11-26T21:00:00.000000Z",
)
FIELD = ObjectRecord(
    address="integration.emea.data_field.LOYALTY",
    kind="data_field",
    integration="emea",
    remote_ids={"dotmailer": "LOYALTY"},
    applied={"type": "String", "default": "bronze"},
    secret_fingerprints={},
    remote_fingerprint="sha256:bb",
    updated_at="2026-11-26T21:00:01.000000Z",
)
OWNER = ObjectRecord(
    address="owner.marketing-ops",
    kind="owner",
    integration=None,
    remote_ids={"oro": "3"},
    applied={},
    secret_fingerprints={},
    remote_fingerprint="sha256:cc",
    updated_at="2026-11-26T21:00:02.000000Z",
)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project directory holding the default state with three objects."""
    monkeypatch.chdir(tmp_path)
    store = SqliteStore(tmp_path / ".reconciler" / "state.db")
    store.write(0, [INTEGRATION, FIELD, OWNER], [])
    store.close()
    return tmp_path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["state", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_list_prints_sorted_addresses(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "list") == (
        0,
        "integration.emea\nintegration.emea.data_field.LOYALTY\nowner.marketing-ops\n",
        "",
    )


def test_list_as_json(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "list", "--format", "json")
    data = json.loads(out)
    assert code == 0
    assert data["serial"] == 1
    assert data["objects"] == [INTEGRATION.to_json(), FIELD.to_json(), OWNER.to_json()]


def test_show_masks_secret_fingerprints(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "show", "integration.emea") == (
        0,
        "# integration.emea\n"
        "kind:               integration\n"
        "integration:        emea\n"
        "remote ids:         oro=12\n"
        "remote fingerprint: sha256:aa\n"
        "updated at:         2026-11-26T21:00:00.000000Z\n"
        "applied:\n"
        "  connection:\n"
        '    username: "api@apiconnector.com"\n'
        "  enabled: true\n"
        "secrets:\n"
        "  connection.password: (sensitive)\n",
        "",
    )


def test_show_as_json(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "show", "owner.marketing-ops", "--format", "json")
    assert (code, json.loads(out)) == (0, OWNER.to_json())


def test_show_of_an_unknown_address_is_a_usage_error(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state = project / ".reconciler" / "state.db"
    assert run(capsys, "show", "integration.nope") == (
        64,
        "",
        f"error: no object integration.nope in state sqlite:///{state}\n",
    )


def test_rm_forgets_an_object_and_what_is_under_it(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "rm", "integration.emea") == (
        0,
        "Removed integration.emea\n"
        "Removed integration.emea.data_field.LOYALTY\n"
        "Forgot 2 objects; the remote objects are untouched (state serial 2).\n",
        "",
    )
    assert run(capsys, "list") == (0, "owner.marketing-ops\n", "")
    code, out, _ = run(capsys, "runs", "--format", "json")
    [entry] = json.loads(out)
    assert code == 0
    assert (entry["command"], entry["status"], entry["summary"]) == (
        "state rm",
        "ok",
        {"removed": 2},
    )


def test_rm_waits_for_nobody_when_the_scope_is_locked(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    holder = SqliteStore(project / ".reconciler" / "state.db")
    with holder.lock("integration:emea", operation="apply", timeout=0) as held:
        code, out, err = run(capsys, "rm", "integration.emea.data_field.LOYALTY")
    holder.close()
    assert (code, out) == (5, "")
    assert err.startswith(
        f"error: state {holder.url} is locked for integration:emea by {held.holder()} "
        f"(lock {held.id} on integration:emea"
    )
    assert run(capsys, "list")[1].count("\n") == 3


def test_locks_and_unlock(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    holder = SqliteStore(project / ".reconciler" / "state.db")
    with holder.lock("*", operation="apply", timeout=0) as held:
        assert run(capsys, "locks") == (
            0,
            f"{held.id}  *  {held.holder()}, heartbeat {held.heartbeat_at}\n",
            "",
        )
        code, _, err = run(capsys, "unlock", held.id)
        assert (code, err.startswith(f"error: lock {held.id} on * is held by")) == (5, True)
        assert run(capsys, "unlock", held.id, "--force") == (
            0,
            f"Unlocked {held.id} on *, held by {held.holder()}.\n",
            "",
        )
        assert run(capsys, "locks") == (0, "No locks are held.\n", "")
    holder.close()


def test_the_state_option_and_variable_choose_the_store(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (project / "reconciler.yaml").write_text(
        "apiVersion: reconciler/v1\nstate: sqlite:///from-yaml.db\n", encoding="utf-8"
    )
    assert run(capsys, "list") == (0, "", "")
    assert (project / "from-yaml.db").exists()
    monkeypatch.setenv("RECONCILER_STATE", "sqlite:///.reconciler/state.db")
    assert run(capsys, "list")[1].count("\n") == 3
    assert run(capsys, "list", "--state", "sqlite:///other.db") == (0, "", "")
    assert (project / "other.db").exists()


def test_migrate_copies_to_an_empty_target_once(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = SqliteStore(project / ".reconciler" / "state.db")
    lineage = source.read().lineage
    source.close()
    target = project / "copy" / "state.db"

    assert run(capsys, "migrate", "--to", "sqlite:///copy/state.db") == (
        0,
        f"Copied state {lineage} at serial 1 (3 objects, 0 runs, 0 journal entries) from "
        f"sqlite:///{project}/.reconciler/state.db to sqlite:///{target}.\n",
        "",
    )
    assert run(capsys, "list", "--state", "sqlite:///copy/state.db")[1].count("\n") == 3
    code, _, err = run(capsys, "migrate", "--to", "sqlite:///copy/state.db")
    assert (code, err.startswith(f"error: refusing to overwrite state sqlite:///{target}")) == (
        5,
        True,
    )
