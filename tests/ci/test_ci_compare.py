"""``reconciler ci compare``: same operations (0) or the differences (5), semantically."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from ci_plans import (
    create_field,
    moved,
    plan,
    replace_field,
    sample_plan,
    save,
    sync,
    update_integration,
)

from reconciler.ci import compare_plans
from reconciler.cli import main
from reconciler.plan.ops import FieldChange


@pytest.fixture(autouse=True)
def _workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


def test_plans_made_at_other_times_against_other_serials_are_the_same(
    capsys: pytest.CaptureFixture[str],
) -> None:
    reviewed = sample_plan()
    fresh_ops = tuple(
        replace(op, reason="drift", remote_fingerprint="new", remote_ids={"oro": "99"})
        for op in reviewed.ops
    )
    later = moved(
        reviewed,
        ops=fresh_ops,
        created_at="2026-11-27T08:00:00Z",
        git_sha="fedcba9876543210fedcba9876543210fedcba98",
        state_serial=9,
        state_lineage="6f1c0c52-0000-4000-8000-000000000002",
        config_digest="sha256:other",
    )
    save(Path("reviewed.json"), reviewed)
    save(Path("new.json"), later)
    assert main(["ci", "compare", "reviewed.json", "new.json"]) == 0
    assert capsys.readouterr() == (
        "The new plan makes the same 5 operations as the reviewed plan.\n",
        "",
    )


def test_differences_are_listed_and_exit_5(capsys: pytest.CaptureFixture[str]) -> None:
    reviewed = plan(
        create_field("LOYALTY_TIER", default="bronze"),
        update_integration(FieldChange("name", "EMEA", "EMEA shop")),
        replace_field("SCORE", allowed=True),
        sync("emea"),
    )
    new = plan(
        create_field("LOYALTY_TIER", default="silver"),
        update_integration(
            FieldChange("name", "EMEA", "EMEA shop"),
            FieldChange("password", None, None, sensitive=True),
        ),
        replace_field("SCORE", allowed=False),
        create_field("NEW_FIELD"),
    )
    save(Path("reviewed.json"), reviewed)
    save(Path("new.json"), new)
    assert main(["ci", "compare", "reviewed.json", "new.json"]) == 5
    assert capsys.readouterr() == (
        "",
        "error: the new plan differs from the reviewed plan (reviewed.json); review it again:\n"
        "  integration.emea: field password: unchanged in the reviewed plan, "
        "(sensitive) changes in the new plan\n"
        "  integration.emea.data_field.LOYALTY_TIER: field default: "
        'null -> "bronze" in the reviewed plan, null -> "silver" in the new plan\n'
        "  integration.emea.data_field.NEW_FIELD: only in the new plan (create)\n"
        "  integration.emea.data_field.SCORE: replace allowed: "
        "yes in the reviewed plan, no in the new plan\n"
        "  integration.emea.sync: only in the reviewed plan (sync)\n",
    )


def test_a_changed_action_is_one_line() -> None:
    reviewed = plan(replace_field("SCORE", allowed=True))
    new = plan(create_field("SCORE"))
    assert compare_plans(reviewed, new) == (
        "integration.emea.data_field.SCORE: action: replace in the reviewed plan, "
        "create in the new plan",
    )
    assert compare_plans(reviewed, reviewed) == ()


def test_an_edited_plan_file_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    save(Path("reviewed.json"), sample_plan())
    path = save(Path("new.json"), sample_plan())
    path.write_text(path.read_text().replace('"bronze"', '"gold"'), encoding="utf-8")
    assert main(["ci", "compare", "reviewed.json", "new.json"]) == 5
    assert capsys.readouterr() == (
        "",
        "error: new.json: the saved plan was edited after it was written\n",
    )
