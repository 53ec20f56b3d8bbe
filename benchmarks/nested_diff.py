"""Benchmark the nested comparisons deepdiff makes (reconciler/plan/nested.py): the stale-plan
check and ``ci compare`` between a saved plan and a re-plan, and the detail rows of a rendering.

    .venv/bin/python benchmarks/nested_diff.py [--ops N]

A plan of N update ops (a third each mappings with structured fields, data fields, address
books) is compared with an equal re-plan (every object unchanged: the common case at merge time)
and with one in which every op moved. For the unchanged case the figure to read is the cost over
the plain equality test the stale check made before deepdiff was used (``baseline``): deepdiff
must cost nothing there, since equal values never reach it. Best of 3, wall time.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from dataclasses import replace

from deepdiff import DeepDiff

from reconciler.ci import compare_plans
from reconciler.errors import StalePlanError
from reconciler.plan import nested
from reconciler.plan.ops import AnyOp, FieldChange, Plan, UpdateOp, address, paired_ops
from reconciler.plan.render import render_text
from reconciler.plan.saved import check_not_stale, op_to_dict, plan_from_dict, plan_to_dict
from reconciler.plan.specs import AddressBookSpec, DataFieldSpec, MappedField, MappingSpec
from reconciler.plan.steps import (
    AddressBookStep,
    AddressBookWork,
    DataFieldStep,
    DataFieldWork,
    MappingStep,
    MappingWork,
)

LINEAGE = "6f1c0c52-0000-4000-8000-000000000001"
CONTACT = "Oro\\Bundle\\ContactBundle\\Entity\\Contact"


def mapping(index: int, extra: str) -> UpdateOp:
    def spec(fullname: tuple[str, ...]) -> MappingSpec:
        fields = [MappedField(f"F{n:02d}", (f"field{n}",)) for n in range(8)]
        return MappingSpec.make(CONTACT, 20, (*fields, MappedField("FULLNAME", fullname)))

    before, after = spec(("firstName",)), spec(("firstName", extra))
    b, a = before.values(), after.values()
    return UpdateOp(
        address=address("mapping", f"i{index:05d}", "contact"),
        kind="mapping",
        integration=f"i{index:05d}",
        reason="config_changed",
        before=b,
        changes=(FieldChange("field.FULLNAME", b["field.FULLNAME"], a["field.FULLNAME"]),),
        remote_fingerprint=f"sha256:{index}",
        work=MappingWork(after, (MappingStep.ORO_UPDATE,)),
    )


def data_field(index: int, notes: str) -> UpdateOp:
    after = DataFieldSpec("TIER", "String", "Private", "bronze", notes)
    return UpdateOp(
        address=address("data_field", f"i{index:05d}", "TIER"),
        kind="data_field",
        integration=f"i{index:05d}",
        reason="config_changed",
        before={**after.values(), "notes": "old"},
        changes=(FieldChange("notes", "old", notes),),
        remote_fingerprint=f"sha256:{index}",
        work=DataFieldWork(after, (DataFieldStep.ORO_UPDATE,)),
    )


def book(index: int, visibility: str) -> UpdateOp:
    after = AddressBookSpec("News", visibility, "EMEA subscribers", False)
    return UpdateOp(
        address=address("address_book", f"i{index:05d}", "News"),
        kind="address_book",
        integration=f"i{index:05d}",
        reason="config_changed",
        before={**after.values(), "visibility": "Private"},
        changes=(FieldChange("visibility", "Private", visibility),),
        remote_fingerprint=f"sha256:{index}",
        work=AddressBookWork(after, (AddressBookStep.DOTMAILER_UPDATE,)),
    )


def make_plan(count: int, *, moved: bool) -> Plan:
    ops: list[AnyOp] = []
    for index in range(count):
        match index % 3:
            case 0:
                ops.append(mapping(index, "middleName" if moved else "lastName"))
            case 1:
                ops.append(data_field(index, "moved" if moved else "set by us"))
            case _:
                ops.append(book(index, "Public"))
    if moved:
        ops = [replace(op, remote_fingerprint=op.remote_fingerprint + "x") for op in ops]
    return Plan(
        ops=tuple(ops),
        config_digest="sha256:c",
        state_lineage=LINEAGE,
        state_serial=7,
        created_at="2026-11-26T21:00:00Z",
    )


CALLS = [0]


class CountedDeepDiff(DeepDiff):  # type: ignore[misc]
    """deepdiff as nested.py calls it, counted: the figure that says what unchanged costs."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        CALLS[0] += 1
        super().__init__(*args, **kwargs)


def best(func: Callable[[], object], rounds: int = 3) -> tuple[float, int]:
    """The best wall time of ``rounds`` runs, and the deepdiff calls of one run."""
    times = []
    for _ in range(rounds):
        CALLS[0] = 0
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return min(times), CALLS[0]


def baseline(saved: Plan, fresh: Plan) -> None:
    """The stale check's op comparison before deepdiff: equality of the saved forms only."""
    for _, a, b in paired_ops(saved, fresh):
        assert a is not None and b is not None
        if a.remote_fingerprint != b.remote_fingerprint or op_to_dict(a) != op_to_dict(b):
            raise AssertionError("the plans are equal")


def stale(saved: Plan, fresh: Plan, expect_moved: bool) -> None:
    try:
        check_not_stale(saved, fresh, LINEAGE, 7)
    except StalePlanError:
        assert expect_moved
    else:
        assert not expect_moved


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ops", type=int, default=10_000)
    count = parser.parse_args().ops
    nested.DeepDiff = CountedDeepDiff  # type: ignore[misc]
    saved = make_plan(count, moved=False)
    same = plan_from_dict(plan_to_dict(saved))  # equal values, other objects: a re-plan
    moved = make_plan(count, moved=True)
    rows = [
        ("stale check, unchanged: baseline (== only)", best(lambda: baseline(saved, same))),
        ("stale check, unchanged: with deepdiff paths", best(lambda: stale(saved, same, False))),
        ("stale check, every op moved", best(lambda: stale(saved, moved, True))),
        ("ci compare, unchanged", best(lambda: compare_plans(saved, same))),
        ("ci compare, every op moved", best(lambda: compare_plans(saved, moved))),
        ("render text (nested detail rows)", best(lambda: render_text(saved))),
    ]
    width = max(len(name) for name, _ in rows)
    print(f"{count:,} ops (a third of them mappings of 9 mapped fields)")
    for name, (seconds, calls) in rows:
        print(
            f"  {name:<{width}}  {seconds * 1000:8.1f} ms  {seconds / count * 1e6:7.1f} µs/op"
            f"  {calls:>6,} deepdiff calls"
        )


if __name__ == "__main__":
    main()
