"""A corrupt or truncated state file, and a stale saved plan: exit 5, one clear message, and
nothing written (the state file keeps its bytes, no request reaches a live system)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from harness import TALLY, Lab

from reconciler.sandbox.core import Request
from reconciler.state.tables import SCHEMA_VERSION

APPLY = ("apply", "integrations", "--auto-approve")
EMEA = ("apiuser-emea@apiconnector.com", "sandbox-emea-pw")


def _applied(lab: Lab) -> bytes:
    """Converge, then return the state file's bytes (checkpointed: no -wal file beside it)."""
    applied = lab.run(*APPLY)
    assert applied.code == 0, applied.err
    assert not lab.workdir.joinpath("state.db-wal").exists()
    return lab.state_path.read_bytes()


def _truncated_half(path: Path, data: bytes) -> str:
    path.write_bytes(data[: len(data) // 2])
    page_size = int.from_bytes(data[16:18], "big")
    pages = int.from_bytes(data[28:32], "big")
    return (
        f"state file {path} is truncated: {len(data) // 2} bytes, its header says "
        f"{pages} pages of {page_size} bytes"
    )


def _not_sqlite(content: bytes) -> Callable[[Path, bytes], str]:
    def corrupt(path: Path, data: bytes) -> str:
        path.write_bytes(content(data) if callable(content) else content)
        return f"{path} is not a reconciler state file (not an SQLite database)"

    return corrupt


def _other_database(path: Path, data: bytes) -> str:
    path.unlink()
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
    db.close()
    return (
        f"{path} is an SQLite database but not a reconciler state file (no reconciler_meta table)"
    )


def _future_version(path: Path, data: bytes) -> str:
    db = sqlite3.connect(path)
    with db:
        db.execute("UPDATE reconciler_meta SET value = '99' WHERE key = 'schema_version'")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    return (
        f"state file {path} has schema version 99, newer than this reconciler understands "
        f"({SCHEMA_VERSION}); upgrade reconciler"
    )


CORRUPTIONS: dict[str, Callable[[Path, bytes], str]] = {
    "truncated to half": _truncated_half,
    "truncated inside the header": _not_sqlite(lambda data: data[:50]),  # type: ignore[arg-type]
    "empty": _not_sqlite(b""),
    "a JSON file": _not_sqlite(b'{"version": 4, "serial": 7, "resources": []}\n'),
    "another SQLite database": _other_database,
    "a newer schema version": _future_version,
}


@pytest.mark.parametrize("case", sorted(CORRUPTIONS))
def test_corrupt_state_exits_5_and_writes_nothing(lab: Lab, case: str) -> None:
    lab.scenario = "corrupt state file"
    data = _applied(lab)
    message = CORRUPTIONS[case](lab.state_path, data)
    corrupt = lab.state_path.read_bytes()
    requests = lab.requests
    for command in (APPLY, ("plan", "integrations")):
        run = lab.run(*command)
        TALLY.add(lab.scenario, faults=1)
        assert (run.code, run.out, run.err) == (5, "", f"error: {message}\n"), command
        assert lab.state_path.read_bytes() == corrupt
        assert sorted(p.name for p in lab.workdir.glob("state.db*")) == ["state.db"]
    assert lab.requests == requests


# --- stale saved plans ------------------------------------------------------------------------


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _book_id(lab: Lab, name: str) -> int:
    response = httpx.get(f"{lab.server.url}/v2/address-books", auth=EMEA)
    response.raise_for_status()
    return next(int(b["id"]) for b in response.json() if b["name"] == name)


def stale(*moved: str) -> str:
    """The whole message of ``apply`` refusing a stale plan: what moved, one line each."""
    return "".join(
        ["error: the saved plan is stale; make a new plan:\n", *(f"  {m}\n" for m in moved)]
    )


def _config_edited(lab: Lab) -> str:
    _edit(lab.config / "emea.yaml", "name: Leads EMEA", "name: EMEA Leads")
    return stale(
        "the configuration changed since the plan was made",
        'integration.emea.address_book["EMEA Leads"]: now needs update',
    )


def _live_changed(lab: Lab) -> str:
    book = _book_id(lab, "Leads EMEA")
    httpx.put(
        f"{lab.server.url}/v2/address-books/{book}",
        json={"name": "Leads EMEA", "visibility": "Public"},
        auth=EMEA,
    ).raise_for_status()
    return stale('integration.emea.address_book["Leads EMEA"]: now needs update')


def _state_moved(lab: Lab) -> str:
    store = lab.state()
    try:
        serial = store.read().serial
    finally:
        store.close()
    applied = lab.run(*APPLY)  # another run applied the change first
    assert applied.code == 0, applied.err
    store = lab.state()
    try:
        now = store.read().serial
    finally:
        store.close()
    return stale(
        f"the state moved from serial {serial} to {now} (integration:emea)",
        'integration.emea.address_book["EMEA Newsletter"]: no longer needs update',
        "integration.emea.sync: no longer needs sync",
        "owner.marketing-ops: no longer needs read",
    )


def _plan_tampered(lab: Lab) -> str:
    _edit(lab.workdir / "plan.json", '"EMEA Newsletter"', '"EMEA Newsletters"')
    return "error: plan.json: the saved plan was edited after it was written\n"


STALE: dict[str, Callable[[Lab], str]] = {
    "config edited": _config_edited,
    "live object changed": _live_changed,
    "state moved": _state_moved,
    "plan file edited": _plan_tampered,
}


@pytest.mark.parametrize("case", sorted(STALE))
def test_stale_plan_exits_5_and_changes_nothing(lab: Lab, case: str) -> None:
    lab.scenario = "stale plan"
    _applied(lab)
    _edit(lab.config / "emea.yaml", "name: Newsletter EMEA", "name: EMEA Newsletter")
    saved = lab.run("plan", "integrations", "--out", "plan.json")
    assert saved.code == 0, saved.err
    moved = STALE[case](lab)  # the whole message apply must give
    store = lab.state()
    try:
        before = store.read()
    finally:
        store.close()
    writes: list[str] = []

    def record(request: Request) -> None:
        if request.method != "GET" and request.path != "/oauth2-token":
            writes.append(f"{request.method} {request.path}")

    lab.server.before_app = record
    try:
        refused = lab.run("apply", "plan.json")
    finally:
        lab.server.before_app = None
    TALLY.add(lab.scenario, faults=1)
    assert (refused.code, refused.out, refused.err) == (5, "", moved)
    assert writes == []
    store = lab.state()
    try:
        assert store.read() == before
    finally:
        store.close()
