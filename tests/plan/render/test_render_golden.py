"""Golden files: the exact text of every renderer for every op type and for a mixed plan.

The files under golden/ were written by hand first and read line by line; a change in output
must be a change in these files, reviewed like code.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from render_plans import SINGLE_OP_PLANS, mixed_plan

from reconciler import __version__
from reconciler.plan.ops import Plan
from reconciler.plan.render import render_json, render_markdown, render_text

GOLDEN = Path(__file__).parent / "golden"

RENDERERS: dict[str, Callable[[Plan], str]] = {
    "txt": render_text,
    "json": render_json,
    "md": render_markdown,
}
PLANS: dict[str, Plan] = {**SINGLE_OP_PLANS, "mixed": mixed_plan()}


def golden(name: str) -> str:
    # The JSON files hold a placeholder, so a version bump does not rewrite every golden file.
    text = (GOLDEN / name).read_text(encoding="utf-8")
    return text.replace(
        '"reconciler_version": "@VERSION@"', f'"reconciler_version": "{__version__}"'
    )


@pytest.mark.parametrize("ext", sorted(RENDERERS))
@pytest.mark.parametrize("case", sorted(PLANS))
def test_rendering_matches_golden_file(case: str, ext: str) -> None:
    assert RENDERERS[ext](PLANS[case]) == golden(f"{case}.{ext}")


def test_every_golden_file_is_used() -> None:
    expected = {f"{case}.{ext}" for case in PLANS for ext in RENDERERS}
    assert {path.name for path in GOLDEN.iterdir()} == expected


def test_every_op_type_has_a_golden_case() -> None:
    covered = {type(op).__name__ for case in SINGLE_OP_PLANS.values() for op in case.ops}
    assert covered == {
        "AdoptOp",
        "CreateOp",
        "DeleteOp",
        "ReadOp",
        "ReplaceOp",
        "SyncOp",
        "UpdateOp",
    }
