"""What ``plan`` and ``apply`` exit, as the README's table says (issue 11 item 7).

0 planned (or no changes), 2 with ``--detailed-exitcode`` when there are changes, 3 when apply
would refuse the plan: ``plan`` shows and saves it first (so the PR comment can show it), then
exits 3, like Terraform's plan on a ``prevent_destroy``; ``apply`` refuses it before any change.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sandbox_env import World

from reconciler.plan.saved import read_plan_file


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def converge(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    applied = world.cli("apply", str(world.config), "--auto-approve", capsys=capsys)
    assert applied.code == 0, applied.out + applied.err


def test_a_gated_replace_exits_3_until_it_is_allowed(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    converge(world, capsys)
    edit(
        world.config / "emea.yaml",
        "{name: LIFETIME_VALUE, type: Numeric",
        "{name: LIFETIME_VALUE, type: String",
    )
    config = str(world.config)
    refused = "error: apply refuses this plan: 1 replace needs --allow-replace or replaceOnChange: "
    for flags in ((), ("--detailed-exitcode",)):
        planned = world.cli("plan", config, "--out", "plan.json", *flags, capsys=capsys)
        assert (planned.code, planned.err) == (3, refused + "true (marked in the plan)\n")
        assert planned.out.endswith(
            "Plan: 0 to create, 0 to update, 1 to replace, 0 to delete, 0 to adopt; 1 sync to "
            "schedule; 1 destructive, 0 blocked, 1 gated.\n\nSaved the plan to plan.json.\n"
        )
    # The plan was saved for the comment; apply refuses it as plan said.
    saved = read_plan_file(Path("plan.json")).plan
    assert [(op.action, op.address) for op in saved.changes] == [
        ("replace", "integration.emea.data_field.LIFETIME_VALUE"),
        ("sync", "integration.emea.sync"),
    ]
    applied = world.cli("apply", "plan.json", capsys=capsys)
    assert applied.code == 3
    assert applied.err.startswith("error: apply refused: the plan has operations that need a")
    allowed = ("--allow-replace", "LIFETIME_VALUE")
    assert world.cli("plan", config, *allowed, capsys=capsys).code == 0
    planned = world.cli("plan", config, *allowed, "--detailed-exitcode", capsys=capsys)
    assert (planned.code, planned.err) == (2, "")
    assert planned.out.endswith("; 1 destructive, 0 blocked, 0 gated.\n")


def test_a_blocked_delete_exits_3_and_a_prune_delete_exits_2(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    converge(world, capsys)
    edit(
        world.config / "emea.yaml", "    - {name: LAST_ORDER_DATE", "    # - {name: LAST_ORDER_DATE"
    )
    edit(world.config / "reconciler.yaml", "maxDeletes: 10", "maxDeletes: 0")
    config = str(world.config)
    blocked = world.cli("plan", config, "--detailed-exitcode", capsys=capsys)
    assert (blocked.code, blocked.err) == (
        3,
        "error: apply refuses this plan: 1 operation is blocked (marked in the plan)\n",
    )
    assert (
        "      # BLOCKED: 1 deletes exceed the cap of 0 per run (prune.maxDeletes)\n" in blocked.out
    )
    assert blocked.out.endswith("; 1 destructive, 1 blocked, 0 gated.\n")
    edit(world.config / "reconciler.yaml", "maxDeletes: 0", "maxDeletes: 10")
    pruned = world.cli("plan", config, "--detailed-exitcode", capsys=capsys)
    assert (pruned.code, pruned.err) == (2, "")
    assert pruned.out.endswith(
        "Plan: 0 to create, 0 to update, 0 to replace, 1 to delete, 0 to adopt; 1 sync to "
        "schedule; 1 destructive, 0 blocked, 0 gated.\n"
    )
