"""execute/syncs.py: the sync an integration's changes need is scheduled last, and the
"owed" journal entry written before its first change is settled once it is."""

from __future__ import annotations

from conftest import Lab, desired, field, integration

SYNC = "integration.emea.sync"


def test_the_sync_is_owed_before_the_first_change_and_settled_after_it(lab: Lab) -> None:
    lab.converge(desired())
    state = desired(integration(data_fields=(field("LOYALTY"),)))

    result = lab.converge(state)

    (scheduled,) = [r for r in result.results if r.address == SYNC]
    job_id = scheduled.detail.rsplit(" ", 1)[-1]
    assert scheduled.detail == f"sync scheduled (connector datafield, forced): job {job_id}"
    journal = lab.journal()
    assert journal[-4:] == [
        (SYNC, "sync.owed", "ok"),
        ("integration.emea.data_field.LOYALTY", "dotmailer.create", "ok"),
        ("integration.emea.data_field.LOYALTY", "oro.create", "ok"),
        (SYNC, "oro.sync", "ok"),
    ]
    assert lab.calls()[-1] == "POST /admin/api/integrationsyncs"
    assert lab.store.pending_journal() == []
