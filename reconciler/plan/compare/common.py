"""What every kind's compare shares: the result of planning a part, and the field-level diff.

Each kind's module returns a :class:`Planned` (its ops, drift and warnings) rather than
appending to one shared accumulator; ``build_plan`` adds them up.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from reconciler.errors import Location
from reconciler.plan.ops import AnyOp, CreateOp, Drift, FieldChange
from reconciler.plan.specs import Values
from reconciler.plan.steps import Kind, Work
from reconciler.state import ObjectRecord


@dataclass(frozen=True)
class PlanProblem:
    """A plan error that points at the YAML (a missing owner, an unknown marketing list)."""

    location: Location | None
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.location}: " if self.location else ""
        return f"{where}error: {self.path}: {self.message}"


def sorted_problems(problems: Iterable[PlanProblem]) -> list[PlanProblem]:
    def key(problem: PlanProblem) -> tuple[str, int, int, str]:
        loc = problem.location
        return (
            (loc.file, loc.line, loc.column, problem.message)
            if loc
            else ("", 0, 0, problem.message)
        )

    return sorted(problems, key=key)


@dataclass(frozen=True)
class Planned:
    """What planning one part of the config produced."""

    ops: tuple[AnyOp, ...] = ()
    drift: tuple[Drift, ...] = ()
    warnings: tuple[str, ...] = ()
    problems: tuple[PlanProblem, ...] = ()  # the plan cannot be made (build_plan raises)

    def __add__(self, other: Planned) -> Planned:
        return Planned.total((self, other))

    @staticmethod
    def total(parts: Iterable[Planned]) -> Planned:
        ops: list[AnyOp] = []
        drift: list[Drift] = []
        warnings: list[str] = []
        problems: list[PlanProblem] = []
        for part in parts:
            ops += part.ops
            drift += part.drift
            warnings += part.warnings
            problems += part.problems
        return Planned(tuple(ops), tuple(drift), tuple(warnings), tuple(problems))


def changes(
    before: Mapping[str, object] | None, after: Mapping[str, object], keys: Iterable[str]
) -> tuple[FieldChange, ...]:
    result = []
    for key in sorted(keys):
        old = None if before is None else before.get(key)
        new = after.get(key)
        if old != new:
            result.append(FieldChange(key, old, new))
    return tuple(result)


def drift(
    addr: str,
    integration: str,
    record: ObjectRecord | None,
    live_values: Values | None,
    desired_values: Values,
) -> tuple[Drift, ...]:
    """Live differs from last-applied: someone changed it outside reconciler."""
    if record is None or live_values is None:
        return ()
    found = tuple(
        FieldChange(key, record.applied.get(key), live_values.get(key))
        for key in sorted(set(record.applied) | set(live_values))
        if record.applied.get(key) != live_values.get(key)
    )
    if not found:
        return ()
    reverted = any(desired_values.get(c.field) != c.after for c in found)
    return (Drift(addr, integration, found, reverted),)


def reason(
    record: ObjectRecord | None, desired_values: Values, changed: Sequence[FieldChange]
) -> str:
    if record is None:
        return "not_in_state"
    if not changed:
        return "missing_remote"  # nothing differs: one side of the object is gone
    if any(
        record.applied.get(c.field) == desired_values.get(c.field)
        for c in changed
        if not c.sensitive
    ):
        return "drift"
    return "config_changed"


def create(
    addr: str,
    integration: str,
    record: ObjectRecord | None,
    work: Work,
    *,
    secret_changes: tuple[FieldChange, ...] = (),
    sensitive: tuple[str, ...] = (),
    remote_ids: Mapping[str, str] | None = None,
    previous_address: str | None = None,
) -> CreateOp:
    """A create of a declared object that is not live (recreated when it is in state)."""
    wanted = work.spec.values()
    return CreateOp(
        address=addr,
        kind=work.kind,
        integration=integration,
        reason="missing_remote" if record is not None else "not_in_state",
        work=work,
        after=wanted,  # what the op would show anyway: the work's values, made once
        changes=changes(None, wanted, wanted) + secret_changes,
        sensitive=sensitive,
        remote_ids=dict(remote_ids or {}),
        previous_address=previous_address,
    )


KIND_ORDER: dict[Kind, int] = {
    Kind.OWNER: 0,
    Kind.INTEGRATION: 1,
    Kind.DATA_FIELD: 2,
    Kind.ADDRESS_BOOK: 3,
    Kind.MAPPING: 4,
}
