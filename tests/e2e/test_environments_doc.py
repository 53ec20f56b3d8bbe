"""docs/environments.md starts with a runnable example on the embedded sandbox: it runs as
written, with the real CLI, and does what the page says."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sandbox_env import EXAMPLES, REPO

NO_CHANGES = "No changes. Live systems match the configuration.\n"


@pytest.mark.slow
def test_the_docs_example_runs_as_written(tmp_path: Path) -> None:
    # docs/environments.md starts with it: run on the embedded sandbox from a checkout.
    text = (REPO / "docs" / "environments.md").read_text(encoding="utf-8")
    block = re.findall(r"```sh\n(.*?)\n```", text, re.S)[0]
    shutil.copytree(EXAMPLES, tmp_path / "examples" / "integrations")
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("RECONCILER_")},
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    env.pop("CI", None)
    result = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", block],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert (result.returncode, result.stderr) == (0, "")
    lines = result.stdout.splitlines()
    assert lines[:2] == [
        "shop (environment production): 2 owners, 3 integrations, 3 mappings: valid (0 errors, "
        "0 warnings)",
        "shop (environment staging): 2 owners, 3 integrations, 3 mappings: valid (0 errors, "
        "0 warnings)",
    ]
    # staging: one create more, one sync less (apac is disabled); production the other way.
    assert [line for line in lines if line.startswith("Apply finished:")] == [
        "Apply finished: 30 succeeded, 0 failed, 0 skipped.",
    ] * 2
    assert lines[-2:] == [NO_CHANGES.rstrip("\n")] * 2
    sandbox = tmp_path / ".reconciler" / "sandbox"
    assert sorted(p.relative_to(sandbox).as_posix() for p in sandbox.rglob("*.json")) == [
        "environments/production/world.json",
        "environments/staging/world.json",
    ]

    # `sandbox reset --env staging` removes staging's world and state, and nothing of production.
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["reconciler", *args], cwd=tmp_path, env=env, capture_output=True, text=True,
            timeout=120, check=False,
        )  # fmt: skip

    staging_files = sorted(p.name for p in sandbox.glob("state.staging.db*"))
    reset = run("sandbox", "reset", "--env", "staging")
    assert (reset.returncode, reset.stderr) == (0, "")
    assert reset.stdout == (
        "Removed the sandbox world in .reconciler/sandbox (environment staging):\n"
        "  world.json\n" + "".join(f"  {name}\n" for name in staging_files)
    )
    assert not list(sandbox.glob("state.staging.db*"))
    assert (sandbox / "environments" / "production" / "world.json").is_file()
    assert (sandbox / "state.production.db").is_file()
    again = run("plan", "shop", "--sandbox", "--env", "production", "--detailed-exitcode")
    assert (again.returncode, again.stdout) == (0, NO_CHANGES)
    fresh = run("plan", "shop", "--sandbox", "--env", "staging", "--detailed-exitcode")
    assert fresh.returncode == 2
    assert "Plan: 26 to create, 0 to update" in fresh.stdout
