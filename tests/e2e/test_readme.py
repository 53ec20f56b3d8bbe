"""The README's main job, as a new user runs it: plan, apply, plan against the embedded sandbox."""

from __future__ import annotations

import re
import stat
from pathlib import Path

import pytest

from reconciler.cli import main

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples" / "integrations"


def test_readme_starts_with_the_two_commands() -> None:
    blocks = re.findall(
        r"```sh\n(.*?)\n```", (REPO / "README.md").read_text(encoding="utf-8"), re.S
    )
    assert blocks[0] == (
        "python3 -m venv .venv && .venv/bin/pip install -q -e . && "
        ".venv/bin/reconciler plan --sandbox examples/integrations && "
        ".venv/bin/reconciler apply --sandbox examples/integrations --auto-approve && "
        ".venv/bin/reconciler plan --sandbox examples/integrations"
    )
    assert blocks[1] == (
        "python3 -m venv .venv && .venv/bin/pip install -q -e '.[test]' && .venv/bin/pytest -q"
    )
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert "pip install -q -e '.[test]' && .venv/bin/pytest -q" in ci


def test_sandbox_plan_apply_plan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    config = str(EXAMPLES)
    assert main(["plan", "--sandbox", config, "--detailed-exitcode"]) == 2
    planned = capsys.readouterr().out
    assert "  + integration.emea  # (not in state)\n" in planned
    assert planned.endswith(
        "Plan: 25 to create, 0 to update, 0 to replace, 0 to delete, 0 to adopt; "
        "3 syncs to schedule.\n"
    )
    assert main(["apply", "--sandbox", config, "--auto-approve"]) == 0
    applied = capsys.readouterr().out
    assert applied.count("sync scheduled") == 3
    assert applied.endswith("Apply finished: 30 succeeded, 0 failed, 0 skipped.\n")
    assert main(["plan", "--sandbox", config, "--detailed-exitcode"]) == 0
    assert capsys.readouterr().out == "No changes. Live systems match the configuration.\n"
    # The sandbox keeps its world and its own state under .reconciler/sandbox/, private.
    sandbox = tmp_path / ".reconciler" / "sandbox"
    for name in ("state.db", "world.json"):
        assert stat.S_IMODE((sandbox / name).stat().st_mode) == 0o600
    assert not (tmp_path / ".reconciler" / "state.db").exists()
    assert main(["state", "list", "--sandbox"]) == 0
    assert "integration.emea\n" in capsys.readouterr().out


def test_sandbox_seed_option_seeds_the_embedded_world(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    seed = (REPO / "examples" / "sandbox-seed.yaml").read_text(encoding="utf-8")
    custom = tmp_path / "seed.yaml"
    custom.write_text(seed.replace("username: mkt.ops,", "username: someone.else,"), "utf-8")
    assert "someone.else" in custom.read_text(encoding="utf-8")
    code = main(["plan", "--sandbox", "--sandbox-seed", str(custom), str(EXAMPLES)])
    assert code == 3
    err = capsys.readouterr().err
    assert "owners.yaml:" in err
    assert "error: spec.username: Oro user 'mkt.ops' does not exist" in err


def test_a_saved_sandbox_plan_is_applied_to_the_sandbox(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["plan", "--sandbox", str(EXAMPLES), "--out", "plan.json"]) == 0
    assert "Apply it with: reconciler apply plan.json" in capsys.readouterr().out
    assert main(["apply", "plan.json"]) == 0
    assert capsys.readouterr().out.endswith("Apply finished: 30 succeeded, 0 failed, 0 skipped.\n")
