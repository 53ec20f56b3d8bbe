"""Execute a Plan op by op through the providers, journaling every remote call into state.

Order is the plan's (owners -> integrations -> data fields -> address books -> mappings ->
syncs; deletes in reverse). Integrations run concurrently (bounded); the ops of one integration
run in order, and after a failure the rest of that integration is skipped. Every remote call
writes its intent to the journal before it is made and its outcome after; the state record of an
object is written (compare-and-swap) as soon as its op finishes. A crash at any point leaves
the live systems and the state such that the next plan adopts what was made and redoes the rest,
never duplicating an object: creates are checked against the list before they are retried
(dotdigital-api-v2.md §4, "Idempotency: none").

Dispatch is one exhaustive ``match`` on the op's class and its work's type; each kind's module
runs its steps with an exhaustive ``match`` on its step enum (mypy checks both).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import assert_never

from reconciler.errors import ReconcilerError
from reconciler.execute import address_books, data_fields, integrations, mappings, syncs
from reconciler.execute.context import (
    Apply,
    DotmailerWriter,
    IntegrationContext,
    IntegrationSecrets,
    OpFailed,
    OroWriter,
)
from reconciler.model import DesiredState, Integration, LiveWorld
from reconciler.plan.ops import (
    AdoptOp,
    AnyOp,
    ChangeOp,
    CreateOp,
    DeleteOp,
    Plan,
    ReadOp,
    ReplaceOp,
    SyncOp,
    UpdateOp,
)
from reconciler.plan.steps import (
    SYNC_OWED_STEP,
    AddressBookWork,
    DataFieldWork,
    IntegrationWork,
    MappingWork,
)
from reconciler.progress import APPLY, current
from reconciler.state import StateStore

_log = logging.getLogger(__name__)

OK, FAILED, SKIPPED = "succeeded", "failed", "skipped"


@dataclass(frozen=True)
class OpResult:
    address: str
    action: str
    status: str  # succeeded | failed | skipped
    detail: str = ""


@dataclass(frozen=True)
class ApplyResult:
    results: tuple[OpResult, ...]
    serial: int
    jobs: Mapping[str, str] = field(default_factory=dict)  # integration -> sync job id

    def count(self, status: str) -> int:
        return sum(1 for r in self.results if r.status == status)

    @property
    def failed(self) -> bool:
        return self.count(FAILED) > 0


_DONE = {CreateOp: "created", UpdateOp: "updated", ReplaceOp: "replaced", AdoptOp: "adopted"}


class Executor:
    def __init__(
        self,
        *,
        plan: Plan,
        desired: DesiredState,
        world: LiveWorld,
        store: StateStore,
        oro: OroWriter,
        dotmailer_for: Callable[[Integration], DotmailerWriter],
        secrets: Mapping[str, IntegrationSecrets],
        run_id: str,
        serial: int,
        concurrency: int = 4,
        schedule_syncs: bool = True,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        on_result: Callable[[OpResult], None] | None = None,
    ) -> None:
        self.plan = plan
        self.apply = Apply(
            desired=desired,
            world=world,
            store=store,
            oro=oro,
            dotmailer_for=dotmailer_for,
            secrets=secrets,
            run_id=run_id,
            serial=serial,
            now=now,
        )
        self.concurrency = max(1, concurrency)
        self.schedule_syncs = schedule_syncs
        self.on_result = on_result
        self.jobs: dict[str, str] = {}
        self._cancel = threading.Event()

    def run(self) -> ApplyResult:
        """Every op, each reported to the progress observer as it ends."""
        observer = current()
        observer.begin(APPLY, len(self.plan.ops))
        try:
            return self._run()
        finally:
            observer.end(APPLY)

    def _run(self) -> ApplyResult:
        groups: dict[str, list[AnyOp]] = {}
        results: dict[str, OpResult] = {}
        for op in self.plan.ops:
            if isinstance(op, ReadOp):
                results[op.address] = self._result(op, OK, "resolved")
                continue
            groups.setdefault(op.integration or "", []).append(op)
        with ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix="apply") as pool:
            futures = [
                pool.submit(self._run_group, name, ops) for name, ops in sorted(groups.items())
            ]
            try:
                for future in futures:
                    for result in future.result():
                        results[result.address] = result
            except KeyboardInterrupt:
                self._cancel.set()
                raise
        ordered = tuple(results[op.address] for op in self.plan.ops if op.address in results)
        return ApplyResult(results=ordered, serial=self.apply.serial, jobs=dict(self.jobs))

    def cancel(self) -> None:
        self._cancel.set()

    def _result(self, op: AnyOp, status: str, detail: str = "") -> OpResult:
        result = OpResult(op.address, op.action, status, detail)
        current().advance(APPLY, failed=status == FAILED)
        if self.on_result is not None:
            self.on_result(result)
        return result

    def _run_group(self, name: str, ops: Sequence[AnyOp]) -> list[OpResult]:
        results: list[OpResult] = []
        context = self.apply.context(name)
        failed = False
        owed = self._owe_sync(ops)
        for op in ops:
            if self._cancel.is_set():
                results.append(self._result(op, SKIPPED, "interrupted"))
                continue
            if failed:
                results.append(
                    self._result(op, SKIPPED, "an earlier operation on this integration failed")
                )
                continue
            if isinstance(op, SyncOp) and not self.schedule_syncs:
                results.append(self._result(op, SKIPPED, "--no-sync"))
                continue
            try:
                detail = self._execute(op, context)
                self.apply.journal.flush()  # its outcomes committed before it is reported
            except (OpFailed, ReconcilerError) as exc:
                failed = True
                results.append(self._result(op, FAILED, self._failed(exc)))
                continue
            except Exception as exc:  # a bug must not abandon the other integrations
                _log.exception("unexpected error in %s", op.address)
                failed = True
                detail = self._failed(exc, f"unexpected {type(exc).__name__}: {exc}")
                results.append(self._result(op, FAILED, detail))
                continue
            if owed is not None and isinstance(op, SyncOp):
                self.apply.journal.settle(owed)  # before anything is reported: a kill -9 then
            results.append(self._result(op, OK, detail))  # leaves no debt for a sync made
        return results

    def _failed(self, exc: BaseException, detail: str | None = None) -> str:
        """A failed op's detail, once the outcomes it queued are committed (or say why not)."""
        detail = str(exc) if detail is None else detail
        try:
            self.apply.journal.flush()
        except ReconcilerError as flush_error:
            if str(flush_error) != str(exc):
                detail = f"{detail}; and its journal outcome was not saved: {flush_error}"
        return detail

    def _owe_sync(self, ops: Sequence[AnyOp]) -> int | None:
        """Journal, before an integration's first change, the sync its ops end with. An apply
        killed after its last write and before that sync leaves nothing else pending; this
        entry stays pending instead, and the next plan schedules the sync (compare.order)."""
        sync = next((op for op in ops if isinstance(op, SyncOp)), None)
        if sync is None or not self.schedule_syncs:
            return None
        intent = {"connector": sync.connector, "force": sync.force}
        return self.apply.journal.owe(sync.address, SYNC_OWED_STEP, intent)

    def _execute(self, op: AnyOp, context: IntegrationContext) -> str:
        if op.blocked:
            raise OpFailed(f"blocked: {op.blocked}")
        match op:
            case SyncOp():
                job = syncs.schedule(self.apply, context, op)
                self.jobs[context.name] = job.id
                return syncs.describe(op, job)
            case ReadOp():
                return "resolved"
            case DeleteOp():
                return self._delete(op, context)
            case ReplaceOp() if not op.allowed:
                raise OpFailed(
                    "replace refused: destroys the values stored on contacts; set "
                    f"replaceOnChange: true on the field or pass --allow-replace "
                    f"{(op.after or {}).get('name', op.address)}"
                )
            case CreateOp() | UpdateOp() | AdoptOp() | ReplaceOp():
                self._converge(op, context)
                return _DONE[type(op)]
            case _:
                assert_never(op)

    def _converge(self, op: ChangeOp, context: IntegrationContext) -> None:
        work = op.work
        match work:
            case IntegrationWork():
                integrations.converge(self.apply, context, op, work)
            case DataFieldWork():
                data_fields.converge(self.apply, context, op, work)
            case AddressBookWork():
                address_books.converge(self.apply, context, op, work)
            case MappingWork():
                mappings.converge(self.apply, context, op, work)
            case None:
                raise OpFailed("the operation carries nothing to apply (it was built by hand)")
            case _:
                assert_never(work)

    def _delete(self, op: DeleteOp, context: IntegrationContext) -> str:
        work = op.work
        match work:
            case IntegrationWork():
                return integrations.delete(self.apply, context, op, work)
            case DataFieldWork():
                return data_fields.delete(self.apply, context, op, work)
            case AddressBookWork():
                return address_books.delete(self.apply, context, op, work)
            case MappingWork():
                return mappings.delete(self.apply, context, op, work)
            case None:
                raise OpFailed("the operation carries nothing to apply (it was built by hand)")
            case _:
                assert_never(work)
