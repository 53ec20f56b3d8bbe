"""Schedule the Oro sync an integration's changes need, last (SPEC §4)."""

from __future__ import annotations

from reconciler.execute.context import Apply, IntegrationContext
from reconciler.model import SyncJob
from reconciler.plan.ops import SyncOp
from reconciler.plan.steps import SYNC_STEP


def schedule(apply: Apply, context: IntegrationContext, op: SyncOp) -> SyncJob:
    channel_id = apply.channel(context)
    return apply.journal.call(
        op.address,
        SYNC_STEP,
        {"call": "POST integrationsyncs", "connector": op.connector, "force": op.force},
        lambda: apply.oro.schedule_sync(channel_id, op.connector, op.force),
    )


def describe(op: SyncOp, job: SyncJob) -> str:
    what = f"connector {op.connector}" if op.connector else "all connectors"
    if not job.already_active:
        return f"sync scheduled ({what}{', forced' if op.force else ''}): job {job.id}"
    # Oro scheduled nothing: the sync already waiting or running keeps its own options.
    detail = f"a sync was already {job.status} (job {job.id}); nothing else was scheduled"
    if op.force:
        detail += (
            "; it imports data fields only if a day passed since the last import: run "
            f"`reconciler sync {op.integration} --connector datafield --force` after it"
        )
    return detail
