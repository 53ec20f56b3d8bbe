"""execute/journal.py: intent before the call, outcome after, and an outcome nobody heard
resolved by reading the list, so a create whose answer was lost is not made twice."""

from __future__ import annotations

from typing import Any

import httpx
from conftest import USERNAME, Lab, desired, field, integration

from reconciler.execute import Executor, OpResult
from reconciler.model import DesiredState
from reconciler.state.sqlite import SqliteStore

LOYALTY = "integration.emea.data_field.LOYALTY"


def test_a_create_whose_answer_was_lost_is_found_in_the_list(lab: Lab) -> None:
    lab.converge(desired())
    dropped: list[str] = []

    def drop_first_field_post(request: httpx.Request, _: httpx.Response) -> None:
        if request.method == "POST" and request.url.path == "/v2/data-fields" and not dropped:
            dropped.append(request.url.path)
            raise httpx.ReadError("connection dropped after the change", request=request)

    lab.wire.after_app = drop_first_field_post
    state = desired(integration(data_fields=(field("LOYALTY"),)))
    result = lab.converge(state)

    assert dropped == ["/v2/data-fields"]
    assert [r.status for r in result.results if r.address == LOYALTY] == ["succeeded"]
    assert list(lab.world.dotmailer.account(USERNAME).data_fields).count("LOYALTY") == 1
    entries = [e for e in lab.store.dump().journal if e.address == LOYALTY]
    assert [(e.step, e.outcome, e.resolution) for e in entries] == [
        ("dotmailer.create", "unknown", "found in the live list"),
        ("oro.create", "ok", None),
    ]
    assert lab.store.pending_journal() == []


def test_a_failed_call_is_journaled_failed_and_stops_its_integration(lab: Lab) -> None:
    lab.converge(desired())
    lab.world.dotmailer.account(USERNAME).settings.maxDataFields = 0
    state = desired(integration(data_fields=(field("LOYALTY"),)))

    result = lab.converge(state)

    assert [(r.address, r.status) for r in result.results] == [
        ("owner.ops", "succeeded"),
        (LOYALTY, "failed"),
        ("integration.emea.sync", "skipped"),
    ]
    assert [(e.step, e.outcome) for e in lab.store.dump().journal if e.address == LOYALTY] == [
        ("dotmailer.create", "failed")
    ]
    assert LOYALTY not in lab.store.read().objects


def _apply_watched(lab: Lab, state: DesiredState) -> list[tuple[str, str, list[Any], bool]]:
    """Apply ``state``; for each data-field op as it is reported: its address, status, the
    journal entries and whether its record exists, as another session on the state sees them."""
    plan, live = lab.plan(state)
    other = SqliteStore(lab.store.path)
    seen: list[tuple[str, str, list[Any], bool]] = []

    def on_result(result: OpResult) -> None:
        if ".data_field." not in result.address:
            return
        entries = [(e.step, e.outcome) for e in other.dump().journal if e.address == result.address]
        seen.append(
            (result.address, result.status, entries, result.address in other.read().objects)
        )

    Executor(
        plan=plan,
        desired=state,
        world=live,
        store=lab.store,
        oro=lab.oro,
        dotmailer_for=lab.dotmailer_for,
        secrets=lab.secrets(),
        run_id=lab.store.begin_run("apply", user="test", git_sha=None, plan_digest=None),
        serial=lab.store.read().serial,
        on_result=on_result,
    ).run()
    other.close()
    return seen


def test_an_op_is_reported_only_once_its_outcomes_and_record_are_committed(lab: Lab) -> None:
    """Outcomes are queued, not waited for (journal.py); before an op is reported its queued
    outcomes are committed: another session on the state sees them, and the record."""
    lab.converge(desired())
    state = desired(integration(data_fields=(field("LOYALTY"), field("TIER"))))

    made = [("dotmailer.create", "ok"), ("oro.create", "ok")]
    assert _apply_watched(lab, state) == [
        (LOYALTY, "succeeded", made, True),
        ("integration.emea.data_field.TIER", "succeeded", made, True),
    ]


def test_a_failed_op_is_reported_once_its_failed_outcome_is_committed(lab: Lab) -> None:
    """A failed call's outcome is queued and nothing else of its op waits after it: the
    executor waits for it before it reports the failure."""
    lab.converge(desired())
    lab.world.dotmailer.account(USERNAME).settings.maxDataFields = 0
    state = desired(integration(data_fields=(field("LOYALTY"),)))

    assert _apply_watched(lab, state) == [
        (LOYALTY, "failed", [("dotmailer.create", "failed")], False),
    ]
