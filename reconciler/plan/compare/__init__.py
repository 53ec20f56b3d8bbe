"""Compare desired, live and state into a Plan. Pure: no I/O, no clock, no network.

The diff is set algebra on keys, iterated sorted (STYLE.md, alembic autogenerate):
create = desired - live, adopt = (desired & live) - state, delete = (state - desired) with prune,
update = the intersection where declared values differ. Only fields the YAML declares are
compared, so values Oro or dotmailer fill in on their own never make a perpetual diff (SPEC §4).

One module per kind (``integrations``, ``data_fields``, ``address_books``, ``mappings``,
``deletes``), each returning what it planned; ``order`` sorts the result and adds the syncs.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from reconciler.errors import ConfigError
from reconciler.model import DataFieldMapping, DesiredState, LiveWorld
from reconciler.plan.compare.address_books import plan_address_books
from reconciler.plan.compare.common import Planned, PlanProblem, sorted_problems
from reconciler.plan.compare.data_fields import plan_data_fields
from reconciler.plan.compare.deletes import declared_objects, guard_deletes, plan_deletes
from reconciler.plan.compare.entity_types import check_mapping_types
from reconciler.plan.compare.integrations import plan_integration
from reconciler.plan.compare.mappings import plan_mappings
from reconciler.plan.compare.order import (
    changed_integrations,
    dedupe,
    in_integration,
    order,
    sync_ops,
)
from reconciler.plan.compare.owners import check_marketing_lists, check_owners, read_op
from reconciler.plan.ops import CreateOp, Drift, FieldChange, Plan, address
from reconciler.plan.options import PlanOptions
from reconciler.plan.steps import Kind
from reconciler.state import Snapshot

__all__ = [
    "PlanOptions",
    "PlanProblem",
    "build_plan",
    "declared_objects",
    "in_integration",
]


def build_plan(
    desired: DesiredState,
    live: LiveWorld,
    state: Snapshot,
    secret_fingerprints: Mapping[str, Mapping[str, str]],
    options: PlanOptions | None = None,
    *,
    config_path: str = "",
    git_sha: str | None = None,
    created_at: str = "",
    interrupted: Collection[str] = (),
) -> Plan:
    """The plan that takes ``live`` to ``desired``; raises ConfigError for plan problems.

    ``secret_fingerprints`` maps an integration address to ``{field: keyed fingerprint}`` of
    the secret values the config references now. ``interrupted`` holds the addresses of the
    journal entries an interrupted apply left pending (``StateStore.pending_journal``).
    """
    options = options or PlanOptions()
    scope = set(options.integrations)
    integrations = [i for i in desired.integrations if not scope or i.name in scope]
    owners = {o.name: o for o in desired.owners}
    types, type_warnings = check_mapping_types(desired.mappings, integrations, live)
    problems = (
        check_owners(desired.owners, integrations, live)
        + check_marketing_lists(integrations, live)
        + types
    )
    if problems:
        raise ConfigError(
            f"the plan cannot be made: {len(problems)} problem(s) with the live systems",
            tuple(sorted_problems(problems)),
        )

    mappings: dict[str, list[DataFieldMapping]] = {}
    for mapping in desired.mappings:
        mappings.setdefault(mapping.integration, []).append(mapping)
    parts: list[Planned] = []
    for integration in sorted(integrations, key=lambda i: i.name):
        own = mappings.get(integration.name, [])
        world_part = live.integration(integration.name)
        fingerprints = secret_fingerprints.get(address(Kind.INTEGRATION, integration.name), {})
        head = plan_integration(integration, owners[integration.owner], live, state, fingerprints)
        head += plan_data_fields(integration, world_part, state, options, own, live)
        head += plan_address_books(integration, world_part, live, state, options.prune)
        head += plan_mappings(integration, own, world_part, state, head.ops)
        parts.append(head)
    planned = Planned.total(parts)
    if planned.problems:
        raise ConfigError(
            f"the plan cannot be made: {len(planned.problems)} problem(s) with the live systems",
            tuple(sorted_problems(planned.problems)),
        )
    moved = {op.previous_address for op in planned.ops if op.previous_address}
    deletes = plan_deletes(desired, state, scope, moved)
    guarded = guard_deletes(planned.ops + tuple(deletes), desired, live, options)

    # An object deleted by hand is drift too (a scheduled --refresh-only plan must see it).
    gone = tuple(
        Drift(op.address, op.integration, (FieldChange("exists", True, False),), True, gone=True)
        for op in guarded.ops
        if isinstance(op, CreateOp) and op.reason == "missing_remote"
    )
    changing = changed_integrations(guarded.ops)
    reads = [
        read_op(owners[i.owner], live)
        for i in integrations
        if i.name in changing and i.owner in owners
    ]
    ops = dedupe(reads) + order(guarded.ops)
    ops += sync_ops(integrations, guarded.ops, interrupted)
    if options.refresh_only:
        ops = []
    return Plan(
        ops=tuple(ops),
        drift=tuple(sorted(planned.drift + gone, key=lambda d: d.address)),
        warnings=tuple(sorted({*planned.warnings, *guarded.warnings, *type_warnings})),
        config_path=config_path,
        config_digest=desired.digest,
        git_sha=git_sha,
        state_lineage=state.lineage,
        state_serial=state.serial,
        created_at=created_at,
        refresh_only=options.refresh_only,
        integrations=tuple(sorted(scope)),
    )
