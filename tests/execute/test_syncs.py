"""execute/syncs.py: the sync an integration's changes need is scheduled last, and the
"owed" journal entry written before its first change is settled once it is."""

from __future__ import annotations

from conftest import Lab, desired, field, integration

SYNC = "integration.emea.sync"


def test_the_sync_is_owed_before_the_first_change_and_settled_after_it(lab: Lab) -> None:
    lab.converge(desired())
    lab.finish_syncs()
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


def test_a_sync_already_waiting_is_reported_with_how_to_force_the_import(lab: Lab) -> None:
    """Oro schedules nothing while a sync of the integration is new or running, and that one
    keeps its own options (oro-bundle ScheduleIntegrationSync): the forced data-field import
    asked for is not made, and the result says how to make it."""
    lab.converge(desired())  # its sync is left waiting
    state = desired(integration(data_fields=(field("LOYALTY"),)))

    result = lab.converge(state)

    (sync,) = [r for r in result.results if r.address == SYNC]
    assert (sync.status, sync.detail) == (
        "succeeded",
        "a sync was already new (job 1); nothing else was scheduled; it imports data fields "
        "only if a day passed since the last import: run `reconciler sync emea --connector "
        "datafield --force` after it",
    )
