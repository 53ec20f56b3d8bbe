"""kill -9 at every remote write of an apply, then a re-run converges with no duplicate.

The sandbox server's hooks kill the apply process either while a write is in flight (the
intent is journaled; the request is on its way) or just after the emulator committed it (the
change is made, the client never hears back: the hard case). tests/reliability/ adds a moment
where the request is dropped before the emulator sees it. The next apply must adopt
what exists and create the rest, never twice.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from sandbox_env import World

from reconciler.sandbox.core import Request, Response

WRITES = ("POST", "PUT", "PATCH", "DELETE")

SMALL_ESTATE = """\
apiVersion: reconciler/v1
kind: Owner
metadata: {name: marketing-ops}
spec: {username: mkt.ops, organization: ACME}
---
apiVersion: reconciler/v1
kind: Integration
metadata: {name: emea}
spec:
  owner: marketing-ops
  connection:
    username: apiuser-emea@apiconnector.com
    password: {env: DOTMAILER_EMEA_PASSWORD}
  dataFields:
    - {name: LOYALTY_TIER, type: String, default: bronze}
    - {name: POINTS, type: Numeric, default: 0}
  addressBooks:
    - {name: Newsletter EMEA, marketingList: EMEA subscribers}
    - {name: Leads EMEA, marketingList: EMEA leads}
---
apiVersion: reconciler/v1
kind: DataFieldMapping
metadata: {name: contacts}
spec:
  integrations: [emea]
  entity: contact
  fields:
    - {dataField: FIRSTNAME, entityFields: [firstName]}
    - {dataField: LOYALTY_TIER, entityFields: [loyaltyTier]}
"""


def _is_write(request: Request) -> bool:
    return request.method in WRITES and not request.path.startswith("/oauth2-token")


def _apply_process(world: World, config: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, **world.env}
    return subprocess.Popen(
        [sys.executable, "-m", "reconciler", "apply", str(config), "--auto-approve"],
        cwd=world.workdir,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _kill_at(world: World, config: Path, n: int, moment: str) -> bool:
    """Run an apply and kill -9 it at its n-th write; True when it was killed."""
    seen = {"writes": 0}
    process: dict[str, subprocess.Popen[bytes]] = {}

    def hook(request: Request, *_: Response) -> None:
        if not _is_write(request):
            return
        seen["writes"] += 1
        if seen["writes"] == n:
            os.kill(process["p"].pid, signal.SIGKILL)

    if moment == "before":
        world.server.before_app = hook
    else:
        world.server.after_app = hook
    try:
        process["p"] = _apply_process(world, config)
        code = process["p"].wait(timeout=120)
    finally:
        world.server.before_app = world.server.after_app = None
    if code == -signal.SIGKILL:
        return True
    assert code == 0
    return False


def _assert_no_duplicates(world: World) -> dict[str, int]:
    dotmailer, oro = world.sandbox.dotmailer, world.sandbox.oro
    assert oro is not None
    account = dotmailer.account("apiuser-emea@apiconnector.com")
    books = Counter(str(b["name"]).casefold() for b in account.books.values())
    fields = Counter(name.upper() for name in account.data_fields)
    tables = oro.tables
    channels = Counter(c["a"]["name"] for c in tables["integrationchannels"].values())
    oro_fields = Counter(
        (f["r"]["channel"], f["a"]["name"].upper()) for f in tables["dotmailerdatafields"].values()
    )
    oro_books = Counter(
        (b["r"]["channel"], b["a"]["originId"]) for b in tables["dotmaileraddressbooks"].values()
    )
    mappings = Counter(
        (m["r"]["channel"], m["a"]["entity"]) for m in tables["dotmailerdatafieldmappings"].values()
    )
    for counter in (books, fields, channels, oro_fields, oro_books, mappings):
        duplicates = {key: count for key, count in counter.items() if count > 1}
        assert duplicates == {}
    return {
        "books": len(books),
        "fields": len(fields),
        "channels": len(channels),
        "oro_fields": len(oro_fields),
        "oro_books": len(oro_books),
        "mappings": len(mappings),
    }


@pytest.mark.slow
@pytest.mark.parametrize("moment", ["before", "after"])
def test_kill_9_at_every_write_then_rerun_converges_without_duplicates(
    world: World, capsys: pytest.CaptureFixture[str], moment: str
) -> None:
    config = world.workdir / "small"
    config.mkdir()
    (config / "estate.yaml").write_text(SMALL_ESTATE, encoding="utf-8")
    data = world.sandbox.data_dir
    assert data is not None
    initial = (data / "world.json").read_bytes()
    killed = 0
    n = 1
    while _kill_at(world, config, n, moment):
        killed += 1
        resumed = world.cli("apply", str(config), "--auto-approve", capsys=capsys)
        assert resumed.code == 0, resumed.out + resumed.err
        runs = world.cli("state", "runs", "--format", "json", capsys=capsys)
        assert [r["status"] for r in json.loads(runs.out)][:2] == ["ok", "abandoned"]
        plan = world.cli("plan", str(config), "--detailed-exitcode", capsys=capsys)
        assert (plan.code, plan.out) == (0, "No changes. Live systems match the configuration.\n")
        counts = _assert_no_duplicates(world)
        assert counts == {
            "books": 4,  # the two declared plus the built-in "All Contacts" and "Test"
            "fields": 7,  # five built-ins plus the two declared
            "channels": 1,
            "oro_fields": 3,  # the two declared plus FIRSTNAME, recorded for the mapping
            "oro_books": 2,
            "mappings": 1,
        }
        # Start the next round from nothing: the seeded world and no state.
        _reset(world, initial)
        n += 1
    # Every write of a full apply was a kill point (the last round ran to the end).
    assert killed == n - 1 >= 10


def _reset(world: World, initial: bytes) -> None:
    """Back to the seeded world and an empty state (a new file, so the sandbox reloads it)."""
    data = world.sandbox.data_dir
    assert data is not None
    (data / "world.json.new").write_bytes(initial)
    os.replace(data / "world.json.new", data / "world.json")
    world.forget_state()


def test_ctrl_c_mid_apply_exits_130_and_the_next_run_finishes(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    config = world.workdir / "small"
    config.mkdir()
    (config / "estate.yaml").write_text(SMALL_ESTATE, encoding="utf-8")
    seen = {"writes": 0}
    process: dict[str, subprocess.Popen[bytes]] = {}

    def interrupt(request: Request, *_: Response) -> None:
        if _is_write(request):
            seen["writes"] += 1
            if seen["writes"] == 5:
                os.kill(process["p"].pid, signal.SIGINT)

    world.server.after_app = interrupt
    try:
        process["p"] = _apply_process(world, config)
        code = process["p"].wait(timeout=120)
    finally:
        world.server.after_app = None
    assert code == 130
    resumed = world.cli("apply", str(config), "--auto-approve", capsys=capsys)
    assert resumed.code == 0, resumed.out + resumed.err
    plan = world.cli("plan", str(config), "--detailed-exitcode", capsys=capsys)
    assert plan.code == 0
    _assert_no_duplicates(world)
    runs = world.cli("state", "runs", "--format", "json", capsys=capsys)
    statuses = [run["status"] for run in json.loads(runs.out)]
    assert statuses[:2] == ["ok", "interrupted"]
