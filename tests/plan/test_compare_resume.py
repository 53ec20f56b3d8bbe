"""compare.build_plan after an interrupted apply: the integrations it left journal entries
pending for get the sync the killed run never scheduled (found by tests/reliability)."""

from __future__ import annotations

from test_compare import FP, converged_live, converged_state, desired, integration, world

from reconciler.model import DataField
from reconciler.plan.compare import PlanOptions, build_plan, in_integration
from reconciler.plan.ops import SyncOp


def _plan(interrupted: list[str], **changes: object) -> tuple[SyncOp, ...]:
    plan = build_plan(
        desired(integration(**changes)),
        world(converged_live()),
        converged_state(),
        FP,
        PlanOptions(prune=True),
        interrupted=interrupted,
    )
    return tuple(op for op in plan.ops if isinstance(op, SyncOp))


def test_a_pending_entry_schedules_a_full_forced_sync_and_nothing_else() -> None:
    plan = build_plan(
        desired(),
        world(converged_live()),
        converged_state(),
        FP,
        PlanOptions(prune=True),
        interrupted=["integration.emea.sync"],
    )
    assert plan.ops == (
        SyncOp(
            address="integration.emea.sync",
            kind="sync",
            integration="emea",
            reason="apply_interrupted",
            after={"connector": None, "force": True},
            connector=None,
            force=True,
        ),
    )
    assert plan.has_changes


def test_entries_of_other_integrations_or_none_schedule_nothing() -> None:
    assert _plan([]) == ()
    # "integration.emea" is a prefix of this address, but it is another integration's.
    assert _plan(["integration.emea-2.data_field.LOYALTY"]) == ()


def test_no_sync_when_the_integration_does_not_sync_on_change() -> None:
    assert _plan(["integration.emea.mapping.contact"], sync_on_change=False) == ()


def test_a_config_change_keeps_its_own_sync() -> None:
    notes = (DataField("LOYALTY", "String", "Private", "bronze", "tier"),)
    [sync] = _plan(["integration.emea.sync"], data_fields=notes)
    assert (sync.reason, sync.connector, sync.force) == ("config_changed", "datafield", True)


def test_in_integration_covers_its_own_addresses_only() -> None:
    assert [
        in_integration(a, "emea")
        for a in (
            "integration.emea",
            "integration.emea.sync",
            'integration.emea.address_book["Leads EMEA"]',
            "integration.emea-2",
            "integration.emea-2.sync",
            "owner.emea",
        )
    ] == [True, True, True, False, False, False]
