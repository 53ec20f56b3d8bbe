"""The StateStore contract, run against SQLite and PostgreSQL alike."""

from __future__ import annotations

import os
import re
import socket
import time
import uuid
from collections.abc import Callable

import pytest
from conftest import Backend, Child

from reconciler.errors import LockError, StaleStateError, StateError
from reconciler.state import (
    JournalEntry,
    LockInfo,
    ObjectRecord,
    RunRecord,
    Snapshot,
    current_user,
    fingerprint,
)

HOST = socket.gethostname()
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")


def record(address: str, **overrides: object) -> ObjectRecord:
    values: dict[str, object] = {
        "address": address,
        "kind": "data_field",
        "integration": "emea",
        "remote_ids": {"dotmailer": "LOYALTY", "oro": "12"},
        "applied": {"name": "LOYALTY", "type": "String", "default": "bronze", "tags": [1, 2]},
        "secret_fingerprints": {},
        "remote_fingerprint": "sha256:abc",
        "updated_at": "2026-11-26T21:00:00.000000Z",
    }
    values.update(overrides)
    return ObjectRecord(**values)  # type: ignore[arg-type]


def held_by(info: LockInfo, url: str, scope: str, timeout: str) -> str:
    return (
        f"state {url} is locked for {scope} by {info.user}@{HOST} pid {os.getpid()}, "
        f"since {info.started_at}, operation apply (lock {info.id} on {info.scope}, "
        f"heartbeat {info.heartbeat_at}); gave up after {timeout}s. Wait with --lock-timeout, "
        "or run `reconciler state unlock ID` if the holder is gone."
    )


def test_first_read_creates_an_empty_state_with_a_new_lineage(backend: Backend) -> None:
    store = backend.open()
    first = store.read()
    assert UUID.fullmatch(first.lineage)
    assert first == Snapshot(lineage=first.lineage, serial=0, objects={})
    assert backend.open().read() == first  # persisted, not re-created


def test_write_is_read_back_whole_and_bumps_the_serial(backend: Backend) -> None:
    store = backend.open()
    lineage = store.read().lineage
    owner = record("owner.ops", kind="owner", integration=None, remote_ids={"oro": "7"})
    secret = {"password": fingerprint(b"k" * 32, "hunter22")}
    integration = record("integration.emea", kind="integration", secret_fingerprints=secret)

    assert store.write(0, [owner, integration], []) == 1
    assert backend.open().read() == Snapshot(
        lineage=lineage,
        serial=1,
        objects={"integration.emea": integration, "owner.ops": owner},
    )


def test_upsert_replaces_and_removal_forgets(backend: Backend) -> None:
    store = backend.open()
    store.write(0, [record("a"), record("b")], [])
    changed = record("a", applied={"name": "A2"}, remote_fingerprint="sha256:new")

    assert store.write(1, [changed], ["b", "never-there"]) == 2
    assert store.read().objects == {"a": changed}


def test_a_stale_writer_fails_and_writes_nothing(backend: Backend) -> None:
    mine, theirs = backend.open(), backend.open()
    before = mine.read()
    theirs.write(0, [record("theirs")], [])
    after_theirs = theirs.read()

    with pytest.raises(StaleStateError) as caught:
        mine.write(before.serial, [record("mine")], ["theirs"])

    assert str(caught.value) == (
        f"state {mine.url} moved: expected serial 0, found 1 (lineage {before.lineage}); "
        "another run changed integration:emea since it was read. Run plan again."
    )
    assert mine.read() == after_theirs


def test_writers_of_different_integrations_do_not_make_each_other_stale(
    backend: Backend,
) -> None:
    emea, apac = backend.open(), backend.open()
    serial = emea.read().serial
    emea_record = record("integration.emea")
    apac_record = record("integration.apac", integration="apac")

    assert emea.write(serial, [emea_record], []) == 1
    assert apac.write(serial, [apac_record], []) == 2  # read at 0, but emea is not its scope
    assert apac.write(2, [], ["integration.apac"]) == 3
    assert emea.write(1, [emea_record], []) == 4
    assert emea.read().objects == {"integration.emea": emea_record}
    assert emea.scopes_written_since(0) == ["integration:apac", "integration:emea"]
    assert emea.scopes_written_since(3) == ["integration:emea"]
    assert emea.scopes_written_since(4) == []


@pytest.mark.parametrize(
    ("upserts", "removals", "what"),
    [
        ([record("owner.ops", integration=None)], [], "changed integration:apac"),
        ([], ["integration.apac"], "changed integration:apac"),
        ([], [], "wrote it"),
    ],
    ids=["whole-config-object", "removal-in-the-moved-scope", "nothing"],
)
def test_a_write_conflicting_with_a_newer_scope_is_stale(
    backend: Backend, upserts: list[ObjectRecord], removals: list[str], what: str
) -> None:
    store = backend.open()
    lineage = store.read().lineage
    store.write(0, [record("integration.apac", integration="apac")], [])

    with pytest.raises(StaleStateError) as caught:
        store.write(0, upserts, removals)
    assert str(caught.value) == (
        f"state {store.url} moved: expected serial 0, found 1 (lineage {lineage}); "
        f"another run {what} since it was read. Run plan again."
    )


def test_a_second_locker_on_the_same_scope_gets_a_lock_error_naming_the_holder(
    backend: Backend,
) -> None:
    first, second = backend.open(), backend.open()
    with first.lock("integration:emea", operation="apply", timeout=0) as held:
        with (
            pytest.raises(LockError) as caught,
            second.lock("integration:emea", operation="apply", timeout=0.1),
        ):
            pass
        assert str(caught.value) == held_by(held, second.url, "integration:emea", "0.1")
        assert second.locks() == [held]
    assert second.locks() == []


def test_the_lock_records_its_holder(backend: Backend) -> None:
    store = backend.open()
    url = "https://ci.example/runs/1"
    with store.lock("*", operation="apply", timeout=0, run_url=url) as held:
        assert held == LockInfo(
            id=held.id,
            scope="*",
            user=current_user(),
            host=HOST,
            pid=os.getpid(),
            run_url=url,
            started_at=held.started_at,
            heartbeat_at=held.heartbeat_at,
            operation="apply",
        )
        assert UUID.fullmatch(held.id)


def test_the_run_url_comes_from_ci_variables(
    backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_SERVER_URL", "https://github.com")
    monkeypatch.setenv("GITHUB_REPOSITORY", "acme/crm")
    monkeypatch.setenv("GITHUB_RUN_ID", "991")
    with backend.open().lock("*", operation="apply", timeout=0) as held:
        assert held.run_url == "https://github.com/acme/crm/actions/runs/991"


def test_different_integrations_both_proceed(backend: Backend) -> None:
    first, second = backend.open(), backend.open()
    with (
        first.lock("integration:emea", operation="apply", timeout=0) as emea,
        second.lock("integration:apac", operation="apply", timeout=0) as apac,
    ):
        assert first.locks() == sorted([emea, apac], key=lambda i: i.scope)


@pytest.mark.parametrize(
    ("held_scope", "wanted_scope"), [("*", "integration:emea"), ("integration:emea", "*")]
)
def test_whole_config_and_integration_locks_exclude_each_other(
    backend: Backend, held_scope: str, wanted_scope: str
) -> None:
    first, second = backend.open(), backend.open()
    with first.lock(held_scope, operation="apply", timeout=0) as held:
        with (
            pytest.raises(LockError) as caught,
            second.lock(wanted_scope, operation="apply", timeout=0),
        ):
            pass
        assert str(caught.value) == held_by(held, second.url, wanted_scope, "0")
    with second.lock(wanted_scope, operation="apply", timeout=0) as later:
        assert later.scope == wanted_scope


def test_a_waiting_locker_gets_the_lock_once_it_is_released(backend: Backend) -> None:
    first = backend.open()
    held = first.lock("*", operation="apply", timeout=0)
    held.__enter__()
    released: list[float] = []

    def sleep(seconds: float) -> None:
        released.append(seconds)
        held.__exit__(None, None, None)

    second = backend.open(sleep=sleep)
    with second.lock("*", operation="apply", timeout=30) as mine:
        assert mine.scope == "*"
    assert len(released) == 1


def test_an_invalid_scope_is_refused(backend: Backend) -> None:
    with (
        pytest.raises(StateError) as caught,
        backend.open().lock("emea", operation="apply", timeout=0),
    ):
        pass
    assert str(caught.value) == "invalid lock scope 'emea': use '*' or 'integration:<name>'"


def test_the_heartbeat_moves_while_the_lock_is_held(backend: Backend) -> None:
    store = backend.open(heartbeat_interval=0.02)
    with store.lock("*", operation="apply", timeout=0) as held:
        for _ in range(500):
            [now] = store.locks()
            if now.heartbeat_at != held.heartbeat_at:
                break
            time.sleep(0.01)  # polling for the next beat, not timing it
        assert now.heartbeat_at > held.heartbeat_at


def test_unlock_refuses_a_fresh_heartbeat_without_force(backend: Backend) -> None:
    holder, other = backend.open(), backend.open()
    with holder.lock("integration:emea", operation="apply", timeout=0) as held:
        with pytest.raises(LockError) as caught:
            other.unlock(held.id)
        message = str(caught.value)
        assert message.startswith(
            f"lock {held.id} on integration:emea is held by {held.holder()} and its heartbeat "
            f"is fresh ({held.heartbeat_at}); it is probably still running. Use --force to "
        )
        assert other.locks() == [held]


def test_forced_unlock_frees_the_scope(backend: Backend) -> None:
    holder, other = backend.open(), backend.open()
    with holder.lock("integration:emea", operation="apply", timeout=0) as held:
        assert other.unlock(held.id, force=True) == held
        with other.lock("integration:emea", operation="apply", timeout=10) as mine:
            assert other.locks() == [mine]


def test_unlock_of_an_unknown_id_says_so(backend: Backend) -> None:
    store = backend.open()
    with pytest.raises(LockError) as caught:
        store.unlock("no-such-lock")
    assert str(caught.value) == f"no lock no-such-lock in state {store.url}"


def test_a_killed_holder_does_not_keep_the_lock(
    backend: Backend, child: Callable[..., Child]
) -> None:
    holder = child(backend.url, "lock", "integration:emea")
    store = backend.open()
    [seen] = store.locks()
    assert seen.id == holder.said
    holder.kill()

    with store.lock("integration:emea", operation="apply", timeout=30) as mine:
        if backend.name == "sqlite":
            reason = f"pid {seen.pid} is no longer running on {HOST}"
        else:
            reason = "its database session has ended"
        assert mine.took_over == f"{seen.holder()} (lock {seen.id}; {reason})"
        assert store.locks() == [mine]


def test_a_journal_intent_survives_a_kill_between_intent_and_outcome(
    backend: Backend, child: Callable[..., Child]
) -> None:
    writer = child(backend.url, "journal")
    writer.kill()

    [pending] = backend.open().pending_journal()
    assert pending == JournalEntry(
        id=int(writer.said),
        run_id="run-1",
        address="integration.emea",
        step="create",
        intent={"name": "emea"},
        outcome=None,
        result=None,
        started_at=pending.started_at,
        finished_at=None,
    )


def test_journal_outcomes_and_resolution(backend: Backend) -> None:
    store = backend.open()
    ok = store.journal_intent("r", "a", "create", {"n": 1})
    unknown = store.journal_intent("r", "b", "delete", {"n": 2})
    failed = store.journal_intent("r", "c", "update", {"n": 3})
    open_ = store.journal_intent("r", "d", "create", {"n": 4})
    store.journal_outcome(ok, "ok", {"id": "9"})
    store.journal_outcome(unknown, "unknown", None)
    store.journal_outcome(failed, "failed", {"error": "HTTP 500"})

    assert [(e.id, e.outcome) for e in store.pending_journal()] == [
        (unknown, "unknown"),
        (open_, None),
    ]
    store.resolve_journal([unknown], "applied: found in the list")
    assert [e.id for e in store.pending_journal()] == [open_]
    resolved = next(e for e in store.dump().journal if e.id == unknown)
    assert resolved.resolution == "applied: found in the list"


def test_journal_rejects_an_unknown_outcome_or_entry(backend: Backend) -> None:
    store = backend.open()
    entry = store.journal_intent("r", "a", "create", {})
    with pytest.raises(StateError) as bad_outcome:
        store.journal_outcome(entry, "done", None)
    assert str(bad_outcome.value) == (
        "unknown journal outcome 'done': use one of ['ok', 'failed', 'unknown']"
    )
    with pytest.raises(StateError) as missing:
        store.journal_outcome(entry + 100, "ok", None)
    assert str(missing.value) == f"no journal entry {entry + 100} in state {store.url}"


def test_the_run_log_keeps_every_run_newest_first(backend: Backend) -> None:
    store = backend.open()
    first = store.begin_run("apply", user="alice", git_sha="abc123", plan_digest="sha256:p")
    store.end_run(first, "ok", {"create": 2, "failed": 0})
    second = store.begin_run("state rm", user="bob", git_sha=None, plan_digest=None)

    runs = backend.open().runs()
    assert [r.id for r in runs] == [second, first]
    assert runs[1] == RunRecord(
        id=first,
        command="apply",
        user="alice",
        git_sha="abc123",
        plan_digest="sha256:p",
        started_at=runs[1].started_at,
        finished_at=runs[1].finished_at,
        status="ok",
        summary={"create": 2, "failed": 0},
    )
    assert runs[0].status is None and runs[0].finished_at is None
    assert store.runs(limit=1) == runs[:1]


def test_the_secret_key_is_created_once_and_kept(backend: Backend) -> None:
    key = backend.open().secret_key()
    assert len(key) == 32
    assert backend.open().secret_key() == key


def test_the_environment_key_wins_and_is_never_stored(
    backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = uuid.uuid4().bytes + uuid.uuid4().bytes
    monkeypatch.setenv("RECONCILER_STATE_KEY", key.hex())
    store = backend.open()
    assert store.secret_key() == key
    assert store.dump().stored_key is None
