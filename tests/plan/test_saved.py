"""The plan file: its own envelope version, the sandbox seed it records, what it refuses."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path

import pytest

from reconciler.errors import StalePlanError
from reconciler.plan.compare import PlanOptions
from reconciler.plan.ops import CreateOp, DeleteOp, FieldChange, Plan, UpdateOp
from reconciler.plan.saved import (
    PLAN_FILE_VERSION,
    SandboxSeed,
    SavedPlan,
    check_sandbox_seed,
    op_to_dict,
    plan_digest,
    read_plan_file,
    write_plan_file,
)

OPTIONS = PlanOptions(prune=True, max_deletes=10, allow_empty=False, allow_replace=frozenset())
PLAN = Plan(
    ops=(), config_path="config", config_digest="sha256:c", created_at="2026-11-26T21:00:00Z"
)
SEED = SandboxSeed("/work/seed.yaml", "ab" * 32)


def test_the_envelope_has_its_own_version_and_records_the_sandbox_seed(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    write_plan_file(path, PLAN, OPTIONS, sandbox=SEED)
    document = json.loads(path.read_text(encoding="utf-8"))
    assert sorted(document) == ["digest", "kind", "options", "plan", "sandbox", "version"]
    assert (document["kind"], document["version"], PLAN_FILE_VERSION) == ("reconciler-plan", 4, 4)
    assert document["sandbox"] == {"seed": "/work/seed.yaml", "sha256": "ab" * 32}
    assert "format_version" not in document["plan"]  # the JSON plan's version is not this one
    assert read_plan_file(path) == SavedPlan(PLAN, OPTIONS, SEED)
    write_plan_file(path, PLAN, OPTIONS)
    assert json.loads(path.read_text(encoding="utf-8"))["sandbox"] is None
    assert read_plan_file(path).sandbox is None


def test_a_file_of_another_envelope_version_is_refused_naming_both(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    write_plan_file(path, PLAN, OPTIONS)
    document = json.loads(path.read_text(encoding="utf-8"))
    document["version"] = 2
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(StalePlanError) as info:
        read_plan_file(path)
    assert str(info.value) == (
        f"{path}: the saved plan is plan-file format 2; "
        "this reconciler reads format 4. Make a new plan with this version."
    )


def test_a_changed_sandbox_seed_makes_the_plan_stale() -> None:
    check_sandbox_seed(SEED, SandboxSeed("/elsewhere/seed.yaml", SEED.sha256))  # same bytes
    with pytest.raises(StalePlanError) as info:
        check_sandbox_seed(SEED, SandboxSeed(SEED.path, "cd" * 32))
    assert str(info.value) == (
        "the saved plan is stale; make a new plan:\n"
        "  the sandbox seed /work/seed.yaml changed since the plan was made"
    )


def test_the_digest_is_that_of_the_whole_json_text_fed_one_op_at_a_time() -> None:
    """plan_digest streams op by op (the apply's memory peak at 1,000 integrations was the
    whole plan as dicts and text at once) but hashes the same text as before, so a plan file
    written by an earlier version still verifies."""
    loyalty = {"name": "LOYALTY", "type": "String", "visibility": "Private", "default": "é"}
    emea = {"kind": "data_field", "integration": "emea"}
    plan = dataclasses.replace(
        PLAN,
        ops=(
            CreateOp(address="integration.emea.data_field.LOYALTY", reason="not_in_state",
                     after=loyalty, **emea),
            UpdateOp(address="integration.emea.data_field.LOYALTY", reason="config_changed",
                     changes=(FieldChange("visibility", "Private", "Public"),),
                     remote_ids={"dotmailer": "4711"}, **emea),
            DeleteOp(address="integration.emea.data_field.OLD", reason="removed_from_config",
                     before={**loyalty, "name": "OLD"}, **emea),
        ),
    )  # fmt: skip
    ops = [op_to_dict(op) for op in plan.ops]
    options = {"prune": True, "allow_replace": ["b", "a"], "integrations": []}

    def sha(content: object) -> str:
        text = json.dumps(content, sort_keys=True, default=str)
        return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()

    assert plan_digest(plan) == sha(ops)
    assert plan_digest(plan, options) == sha({"ops": ops, "options": options})
    assert plan_digest(PLAN) == sha([])
    assert plan_digest(PLAN, options) == sha({"ops": [], "options": options})
    assert plan_digest(plan) != plan_digest(dataclasses.replace(plan, ops=plan.ops[:2]))
