"""execute/journal.py: intent before the call, outcome after, and an outcome nobody heard
resolved by reading the list, so a create whose answer was lost is not made twice."""

from __future__ import annotations

import httpx
from conftest import USERNAME, Lab, desired, field, integration

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
