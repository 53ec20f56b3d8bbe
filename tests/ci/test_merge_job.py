"""The reusable workflow's merge-job script, run for real: bash, the installed CLI, and the
sandbox emulators on 127.0.0.1 standing in for Oro and dotmailer."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from reconciler.sandbox.world import DEFAULT_SEED, Sandbox

REPO = Path(__file__).resolve().parents[2]
WORKFLOW = REPO / ".github" / "workflows" / "reconcile.yml"

pytestmark = pytest.mark.slow


def _apply_step() -> str:
    steps = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))["jobs"]["apply"]["steps"]
    (script,) = [step["run"] for step in steps if step.get("name") == "Apply"]
    assert isinstance(script, str)
    return script


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """The job's environment: the examples checked out, the sandbox as the live systems."""
    world = Sandbox.open(tmp_path / "sandbox", DEFAULT_SEED)
    server = world.serve("127.0.0.1", 0)
    shutil.copytree(REPO / "examples" / "integrations", tmp_path / "integrations")
    (tmp_path / "reviewed").mkdir()  # where the job downloads the reviewed plan artifact
    monkeypatch.chdir(tmp_path)
    bin_dir = str(Path(sys.executable).parent)
    try:
        yield {
            **os.environ,
            "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
            "RECONCILER_ORO_URL": server.url,
            "RECONCILER_ORO_CLIENT_ID": "ci",
            "RECONCILER_ORO_CLIENT_SECRET": "sandbox-oro-secret",
            "RECONCILER_DOTMAILER_API_URL": server.url,
            "RECONCILER_STATE": f"sqlite:///{tmp_path / 'state.db'}",
            "DOTMAILER_EMEA_PASSWORD": "sandbox-emea-pw",
            "DOTMAILER_AMER_PASSWORD": "sandbox-amer-pw",
            "DOTMAILER_APAC_PASSWORD": "sandbox-apac-pw",
            "DOTMAILER_APAC_OAUTH_SECRET": "apac-oauth-secret-1",
            "CONFIG_DIR": "integrations",
            "LOCK_TIMEOUT": "5",
            "REQUIRE": "true",
        }
    finally:
        server.stop()


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        list(args), env=env, capture_output=True, text=True, timeout=120, check=False
    )


def _merge_job(env: dict[str, str], found: bool) -> subprocess.CompletedProcess[str]:
    # GitHub runs `run:` scripts with `bash --noprofile --norc -eo pipefail {0}`.
    return _run(
        {**env, "FOUND": "true" if found else "false"},
        "bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", _apply_step(),
    )  # fmt: skip


def _edit(file: Path, old: str, new: str) -> None:
    text = file.read_text(encoding="utf-8")
    assert old in text
    file.write_text(text.replace(old, new), encoding="utf-8")


def test_a_stale_plan_with_the_reviewed_operations_is_applied(env: dict[str, str]) -> None:
    reviewed = _run(env, "reconciler", "plan", "integrations", "--out", "reviewed/plan.json")
    assert reviewed.returncode == 0, reviewed.stderr
    # Merged with another change that alters no operation: the plan is stale, the ops the same.
    _edit(Path("integrations/emea.yaml"), "region: r1", "region: eu-r1")
    job = _merge_job(env, found=True)
    assert job.returncode == 0, job.stderr
    assert job.stderr == (
        "error: the saved plan is stale; make a new plan:\n"
        "  the configuration changed since the plan was made\n"
    )
    assert "The new plan makes the same 28 operations as the reviewed plan.\n" in job.stdout
    assert re.search(r"\nApply finished: \d+ succeeded, 0 failed, 0 skipped\.\n$", job.stdout)
    after = _run(env, "reconciler", "plan", "integrations", "--detailed-exitcode")
    assert (after.returncode, after.stdout) == (
        0,
        "No changes. Live systems match the configuration.\n",
    )


def test_a_plan_whose_operations_changed_is_not_applied(env: dict[str, str]) -> None:
    first = _run(env, "reconciler", "apply", "integrations", "--auto-approve")
    assert first.returncode == 0, first.stderr
    emea = Path("integrations/emea.yaml")
    _edit(
        emea,
        "{name: Newsletter EMEA, visibility: Private",
        "{name: Newsletter EMEA, visibility: Public",
    )
    reviewed = _run(env, "reconciler", "plan", "integrations", "--out", "reviewed/plan.json")
    assert reviewed.returncode == 0, reviewed.stderr
    # Another merge landed first and changed what the plan must do.
    _edit(emea, "{name: Leads EMEA, visibility: Private", "{name: Leads EMEA, visibility: Public")
    job = _merge_job(env, found=True)
    assert job.returncode == 5
    assert job.stderr.endswith(
        "error: the new plan differs from the reviewed plan (reviewed/plan.json); "
        "review it again:\n"
        '  integration.emea.address_book["Leads EMEA"]: only in the new plan (update)\n'
    )
    assert "Apply finished" not in job.stdout
    pending = _run(env, "reconciler", "plan", "integrations", "--detailed-exitcode")
    assert pending.returncode == 2  # nothing was applied


def test_without_a_reviewed_plan_nothing_is_applied(env: dict[str, str]) -> None:
    job = _merge_job(env, found=False)
    assert (job.returncode, job.stdout, job.stderr) == (
        5,
        "::error::No reviewed plan to apply; nothing was changed (see docs/ci.md, stale plans).\n",
        "",
    )
