"""kill -9 at every journaled call of a 30-operation apply, then a re-run converges.

The apply of the examples (3 integrations: 25 objects to create, 3 syncs, 2 owners to read; 57
journaled calls) is killed once per call index with the "after" moment (the emulator committed
the change, the client never hears back: the hard case) and at every STRIDE-th index with the
"before" moment (the intent is journaled, the request never reaches the emulator). After each
kill, one more apply must finish, a plan must find nothing to do, no remote object may exist
twice, the live objects must be exactly those of an uninterrupted apply, and the state must
record exactly the objects an uninterrupted apply records.
"""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

import pytest
from conftest import open_lab
from harness import TALLY, JournaledCalls, KillPoint, Lab, Launcher

from reconciler.sandbox.core import Request, Response

STRIDE = 5
SCENARIO = "kill -9 (every journaled call)"
APPLY = ("apply", "integrations", "--auto-approve")


def _reference(lab: Lab) -> tuple[int, Counter[tuple[str, ...]], list[str]]:
    """An uninterrupted apply: how many journaled calls it makes, what it leaves live and in
    state. The server's count of journaled calls must equal the journal the apply wrote."""
    journaled = JournaledCalls(lab.integrations)
    calls = {"n": 0}

    def count(request: Request, _: Response) -> None:
        calls["n"] += journaled(request)

    lab.server.after_app = count
    try:
        applied = lab.run(*APPLY)
    finally:
        lab.server.after_app = None
    assert applied.code == 0, applied.err
    assert applied.out.endswith("Apply finished: 30 succeeded, 0 failed, 0 skipped.\n")
    store = lab.state()
    try:
        # Every remote call, not the "sync owed" marker each integration's ops start with.
        journal = [e for e in store.dump().journal if e.step != "sync.owed"]
        addresses = sorted(store.read().objects)
    finally:
        store.close()
    assert calls["n"] == len(journal) >= 25
    assert lab.synced() == ["amer", "apac", "emea"]
    return calls["n"], lab.census(), addresses


def _kill_and_resume(
    lab: Lab, point: KillPoint, expected: Counter[tuple[str, ...]], addresses: list[str]
) -> None:
    lab.reset()
    killed = lab.run(*APPLY, kill=point)
    assert killed.code == -9, f"{point}: the apply ended with {killed.code} before the kill"
    TALLY.add(SCENARIO, faults=1)
    resumed = lab.run(*APPLY)
    assert resumed.code == 0, f"{point}: {resumed.err}"
    lab.converged(expected)
    # The integrations the killed apply changed were synced, whether or not it got that far.
    assert lab.synced() == ["amer", "apac", "emea"], point
    store = lab.state()
    try:
        assert sorted(store.read().objects) == addresses, point
    finally:
        store.close()


@pytest.mark.slow
def test_kill_9_at_every_journaled_call_then_a_rerun_converges(
    tmp_path: Path, launchers: list[Launcher]
) -> None:
    with ExitStack() as stack:
        labs = [
            stack.enter_context(open_lab(tmp_path / f"lane{i}", launcher, SCENARIO))
            for i, launcher in enumerate(launchers)
        ]
        total, expected, addresses = _reference(labs[0])
        points = [KillPoint(i, "after") for i in range(1, total + 1)]
        points += [KillPoint(i, "before") for i in range(1, total + 1, STRIDE)]
        # Every index is covered by "after"; the last index is a kill point too.
        assert {p.index for p in points} == set(range(1, total + 1))

        def lane(lab: Lab, share: list[KillPoint]) -> list[str]:
            failures = []
            for point in share:
                try:
                    _kill_and_resume(lab, point, expected, addresses)
                except AssertionError as exc:
                    failures.append(f"{point}: {exc}")
            return failures

        with ThreadPoolExecutor(len(labs)) as pool:
            shares = [points[i :: len(labs)] for i in range(len(labs))]
            failures = [f for result in pool.map(lane, labs, shares) for f in result]
        assert failures == []


def test_a_scoped_apply_after_a_kill_leaves_another_integrations_resume_to_it(lab: Lab) -> None:
    """Killed before its last sync reached Oro, the apply owes one integration its sync. An
    apply of another integration (--integration) must not settle that debt for it."""
    lab.scenario = SCENARIO
    kill = KillPoint(3, "before", only="POST /admin/api/integrationsyncs")
    assert lab.run(*APPLY, kill=kill).code == -9
    TALLY.add(SCENARIO, faults=1)
    store = lab.state()
    try:
        [owed] = [e.address for e in store.pending_journal() if e.step == "sync.owed"]
    finally:
        store.close()
    [unsynced] = sorted({"amer", "apac", "emea"} - set(lab.synced()))
    assert owed == f"integration.{unsynced}.sync"
    other = "amer" if unsynced != "amer" else "apac"
    yaml = lab.config / f"{other}.yaml"
    text = yaml.read_text(encoding="utf-8")
    yaml.write_text(
        text.replace("  dataFields:\n", "  dataFields:\n    - {name: EXTRA, type: String}\n", 1),
        encoding="utf-8",
    )
    scoped = lab.run(*APPLY, "--integration", other)
    assert scoped.code == 0, scoped.err
    plan = lab.run("plan", "integrations", "--detailed-exitcode", "--integration", unsynced)
    assert plan.code == 2, plan.out
    assert f"> integration.{unsynced}.sync  # (apply interrupted)" in plan.out
    resumed = lab.run(*APPLY)
    assert resumed.code == 0, resumed.err
    lab.converged()
    assert lab.synced() == ["amer", "apac", "emea"]
