"""The sandbox world: seed loading, persistence across runs, the file lock, one port for both."""

from __future__ import annotations

import json
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from reconciler.errors import ConfigError, CorruptStateError
from reconciler.sandbox.core import SandboxServer
from reconciler.sandbox.world import DEFAULT_SEED, Sandbox, load_seed

EMEA = ("apiuser-emea@apiconnector.com", "sandbox-emea-pw")


@contextmanager
def serving(sandbox: Sandbox) -> Iterator[SandboxServer]:
    server = sandbox.serve()  # already started
    try:
        yield server
    finally:
        server.stop()


def test_default_seed_holds_the_documented_world(tmp_path: Path) -> None:
    sandbox = Sandbox.open(tmp_path, None)
    accounts = sandbox.dotmailer.accounts
    assert {
        name: (a.region, a.rate_limit.mode, a.rate_limit.perMinute) for name, a in accounts.items()
    } == {
        "apiuser-emea@apiconnector.com": ("r1", "tiered", 35),
        "apiuser-amer@apiconnector.com": ("r2", "flat", 35),
        "apiuser-apac@apiconnector.com": ("r3", "tiered", 300),
    }
    seed = load_seed(DEFAULT_SEED)["oro"]
    assert [(u["username"], u["enabled"]) for u in seed["users"]] == [
        ("mkt.ops", True),
        ("crm.admin", True),
        ("former.employee", False),
    ]
    assert [(m["name"], m["entity"]) for m in seed["marketingLists"]] == [
        ("EMEA subscribers", "contact"),
        ("EMEA leads", "lead"),
        ("AMER subscribers", "contact"),
        ("APAC subscribers", "contact"),
        ("APAC customers", "customer"),
    ]
    assert sandbox.oro is not None


def test_world_is_written_0600_and_seen_by_the_next_run(tmp_path: Path) -> None:
    first = Sandbox.open(tmp_path, None)
    world = tmp_path / "world.json"
    assert stat.S_IMODE(world.stat().st_mode) == 0o600
    assert "sandbox-emea-pw" not in world.read_text()
    with serving(first) as server:
        created = httpx.post(f"{server.url}/v2/address-books", json={"name": "VIP"}, auth=EMEA)
        assert created.status_code == 201
    second = Sandbox.open(tmp_path, Path("/nonexistent/seed.yaml"))  # the data dir wins
    books = second.dotmailer.account(EMEA[0]).books
    assert [b["name"] for b in books.values()] == ["All Contacts", "Test", "VIP"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["world.json", "world.lock"]


def test_a_running_world_reloads_what_another_process_wrote(tmp_path: Path) -> None:
    one = Sandbox.open(tmp_path, None)
    other = Sandbox.open(tmp_path, None)
    with serving(one) as server_one, serving(other) as server_two:
        httpx.post(
            f"{server_one.url}/v2/data-fields", json={"name": "A", "type": "String"}, auth=EMEA
        )
        httpx.post(
            f"{server_two.url}/v2/data-fields", json={"name": "B", "type": "String"}, auth=EMEA
        )
        names = [f["name"] for f in httpx.get(f"{server_one.url}/v2/data-fields", auth=EMEA).json()]
    assert names[-2:] == ["A", "B"]
    assert one.requests == {"dotmailer": 2}
    assert other.requests == {"dotmailer": 1}


def test_both_apps_answer_on_one_port(tmp_path: Path) -> None:
    sandbox = Sandbox.open(tmp_path, None)
    with serving(sandbox) as server:
        token = httpx.post(
            f"{server.url}/oauth2-token",
            data={
                "grant_type": "client_credentials",
                "client_id": "ci",
                "client_secret": "sandbox-oro-secret",
            },
        )
        assert token.status_code == 200
        assert httpx.get(f"{server.url}/v2/account-info", auth=EMEA).status_code == 200
    assert sandbox.requests == {"dotmailer": 1, "oro": 1}


def test_seed_from_a_file(tmp_path: Path) -> None:
    seed = tmp_path / "seed.yaml"
    seed.write_text(
        "dotmailer:\n  accounts:\n"
        "    - {username: u@apiconnector.com, password: pw-123456, region: r1,\n"
        "       rateLimit: {mode: off},\n"
        "       dataFields: [{name: LOYALTY, type: String, visibility: Private,\n"
        "                     defaultValue: null}],\n"
        "       addressBooks: [{name: Newsletter, visibility: Private}]}\n"
        "oro:\n  clients: [{id: ci, secret: s}]\n  organizations: [{name: ACME}]\n"
    )
    sandbox = Sandbox.open(tmp_path / "data", seed)
    account = sandbox.dotmailer.account("u@apiconnector.com")
    assert list(account.data_fields)[-1] == "LOYALTY"
    assert account.rate_limit.mode == "off"  # YAML 1.1 reads `off` as false
    assert account.books[3]["name"] == "Newsletter"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- a\n", "must be a mapping with dotmailer and oro keys"),
        ("dotmailer: {}\nextra: 1\n", "unknown top-level keys in the sandbox seed: extra"),
        ("dotmailer: [\n", "the sandbox seed is not valid YAML"),
        (
            "dotmailer: {accounts: [{username: u}]}\n",
            "the sandbox seed is invalid: 'passwordSha256'",
        ),
    ],
)
def test_bad_seeds_are_config_errors(tmp_path: Path, text: str, message: str) -> None:
    seed = tmp_path / "seed.yaml"
    seed.write_text(text)
    with pytest.raises(ConfigError) as info:
        Sandbox.open(tmp_path / "data", seed)
    assert message in str(info.value)


def test_a_corrupt_world_file_is_a_state_error(tmp_path: Path) -> None:
    (tmp_path / "world.json").write_text(json.dumps({"format": 99}))
    with pytest.raises(CorruptStateError) as info:
        Sandbox.open(tmp_path, None)
    assert str(info.value) == (
        f"{tmp_path}/world.json: not a readable sandbox world (unknown format); "
        "delete the directory to reseed"
    )
