"""The sandbox world: seed loading, persistence across runs, the file lock, one port for both."""

from __future__ import annotations

import hashlib
import json
import stat
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from reconciler.errors import ConfigError, CorruptStateError
from reconciler.sandbox.core import Request, Response, SandboxServer
from reconciler.sandbox.embedded import SANDBOX_DIR, start_sandbox
from reconciler.sandbox.world import DEFAULT_SEED, Sandbox, SeedRecord, load_seed, remove_world

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
    for seed in (None, DEFAULT_SEED):  # no seed, or the world's own: the world as it is
        second = Sandbox.open(tmp_path, seed)
        books = second.dotmailer.account(EMEA[0]).books
        assert [b["name"] for b in books.values()] == ["All Contacts", "Test", "VIP"]
        assert second.seed == SeedRecord(str(DEFAULT_SEED.resolve()), _sha256(DEFAULT_SEED))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["world.json", "world.lock"]
    assert json.loads(world.read_text())["seed"] == {
        "path": str(DEFAULT_SEED.resolve()),
        "sha256": _sha256(DEFAULT_SEED),
    }


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_another_seed_for_an_existing_world_is_refused_until_reset(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Sandbox.open(Path("data"), None)
    other = tmp_path / "other.yaml"
    other.write_text(DEFAULT_SEED.read_text().replace("sandbox-emea-pw", "other-emea-pw"))
    with pytest.raises(ConfigError) as info:
        Sandbox.open(Path("data"), other)
    assert str(info.value) == (
        f"the sandbox world data/world.json was made from {DEFAULT_SEED.resolve()}, not from "
        f"{other}; `reconciler sandbox reset --data-dir data` removes it, and the next run "
        "starts from the seed it is given"
    )
    assert remove_world(Path("data")) == [Path("data/world.json")]
    assert sorted(p.name for p in (tmp_path / "data").iterdir()) == []
    fresh = Sandbox.open(Path("data"), other)
    assert fresh.seed == SeedRecord(str(other), _sha256(other))
    assert fresh.dotmailer.account(EMEA[0]).password_sha256 == _sha256_text("other-emea-pw")
    # The seed file edited after the world was made is another seed too.
    other.write_text(other.read_text() + "# edited\n")
    with pytest.raises(ConfigError) as edited:
        Sandbox.open(Path("data"), other)
    assert str(edited.value).startswith(
        "the sandbox world data/world.json was made from that file as it was then, not from "
    )


def _sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


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
        ("- a\n", "seed.yaml:1:1: error: (document): expected a mapping, got a list"),
        ("dotmailer: {}\nextra: 1\n", 'seed.yaml:2:1: error: extra: unknown field "extra"'),
        (
            "dotmailer: [\n",
            "seed.yaml:2:1: error: (file): did not find expected node content "
            "(while parsing a flow node)",
        ),
        (
            "dotmailer: {accounts: [{username: u}]}\n",
            'seed.yaml:1:24: error: dotmailer.accounts[0]: missing required field "password"',
        ),
        (
            "oro:\n  settings: {tokenLifetime: soon}\n",
            "seed.yaml:2:29: error: oro.settings.tokenLifetime: expected an integer, got a string",
        ),
    ],
)
def test_bad_seeds_are_config_errors_at_their_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("seed.yaml").write_text(text)
    with pytest.raises(ConfigError) as info:
        Sandbox.open(tmp_path / "data", Path("seed.yaml"))
    assert str(info.value) == "1 error in the sandbox seed seed.yaml"
    assert [str(d) for d in info.value.diagnostics] == [message]
    assert not (tmp_path / "data" / "world.json").exists()


def test_every_seed_error_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("seed.yaml").write_text(
        "dotmailer:\n  accounts:\n    - username: u\n      pasword: pw\n      region: eu\n"
    )
    with pytest.raises(ConfigError) as info:
        Sandbox.open(tmp_path / "data", Path("seed.yaml"))
    assert str(info.value) == "3 errors in the sandbox seed seed.yaml"
    assert [str(d) for d in info.value.diagnostics] == [
        'seed.yaml:3:7: error: dotmailer.accounts[0]: missing required field "password"',
        'seed.yaml:4:7: error: dotmailer.accounts[0].pasword: unknown field "pasword" '
        '(did you mean "password"?)',
        'seed.yaml:5:15: error: dotmailer.accounts[0].region: "eu" does not match ^r[0-9]+$',
    ]


def test_the_shipped_seeds_are_valid() -> None:
    example = Path(__file__).resolve().parents[2] / "examples" / "sandbox-seed.yaml"
    for seed in (DEFAULT_SEED, example):
        assert sorted(load_seed(seed)) == ["dotmailer", "oro"]


def test_a_corrupt_world_file_is_a_state_error(tmp_path: Path) -> None:
    (tmp_path / "world.json").write_text(json.dumps({"format": 99}))
    with pytest.raises(CorruptStateError) as info:
        Sandbox.open(tmp_path, None)
    assert str(info.value) == (
        f"{tmp_path}/world.json: not a readable sandbox world (unknown format); "
        "delete the directory to reseed"
    )


def test_a_world_older_than_the_seed_record_takes_the_seed_it_is_given(tmp_path: Path) -> None:
    seed = tmp_path / "seed.yaml"
    seed.write_text(DEFAULT_SEED.read_text().replace("sandbox-emea-pw", "older-emea-pw"))
    Sandbox.open(tmp_path / SANDBOX_DIR, seed)
    world = tmp_path / SANDBOX_DIR / "world.json"
    raw = json.loads(world.read_text())
    del raw["seed"]  # as a world written before worlds recorded their seed
    world.write_text(json.dumps(raw))
    sandbox = start_sandbox(seed, tmp_path)
    try:
        assert (sandbox.seed, sandbox.passwords[EMEA[0]]) == (SeedRecord.of(seed), "older-emea-pw")
    finally:
        sandbox.stop()
    packaged = start_sandbox(None, tmp_path)
    try:
        assert (packaged.seed, packaged.passwords[EMEA[0]]) == (
            SeedRecord.of(DEFAULT_SEED),
            "sandbox-emea-pw",
        )
    finally:
        packaged.stop()


def test_a_world_whose_seed_file_is_gone_says_to_reset(tmp_path: Path) -> None:
    seed = tmp_path / "seed.yaml"
    seed.write_text(DEFAULT_SEED.read_text())
    Sandbox.open(tmp_path / SANDBOX_DIR, seed)
    seed.unlink()
    with pytest.raises(ConfigError) as info:
        start_sandbox(None, tmp_path)
    data = tmp_path / SANDBOX_DIR
    assert str(info.value) == (
        f"the sandbox world in {data} was made from {seed}, which has changed or is gone "
        f"since, so its credentials are unknown; `reconciler sandbox reset --data-dir {data}` "
        "starts a new world"
    )


def test_in_memory_a_dotmailer_call_does_not_wait_for_a_busy_oro() -> None:
    """In memory each emulator runs under its own lock: while the Oro emulator is inside a
    request (here held open on purpose), a dotmailer call is answered. Under one world lock it
    would wait for the Oro request, and the client's timeout would fire."""
    sandbox = Sandbox.in_memory(load_seed(DEFAULT_SEED))
    assert sandbox.oro is not None
    inside, release = threading.Event(), threading.Event()
    handle = sandbox.oro.handle

    def busy(request: Request) -> Response:
        inside.set()
        release.wait(30)
        return handle(request)

    sandbox.oro.handle = busy  # type: ignore[method-assign]
    with serving(sandbox) as server, ThreadPoolExecutor(max_workers=1) as pool:
        oro_call = pool.submit(httpx.get, f"{server.url}/admin/api/users", timeout=30)
        assert inside.wait(30)
        try:
            answer = httpx.get(f"{server.url}/v2/account-info", auth=EMEA, timeout=10)
        finally:
            release.set()
        assert answer.status_code == 200
        assert oro_call.result().status_code == 401  # no token: Oro answered after the release
    assert sandbox.requests == {"dotmailer": 1, "oro": 1}
