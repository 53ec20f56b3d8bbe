"""The reusable workflow with environments (docs/environments.md): a job per environment, and one
sticky comment with a section per environment. The pull-request jobs' steps run for real, as
GitHub runs them, against two sandbox servers standing for staging and production."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from reconciler.sandbox.core import SandboxServer
from reconciler.sandbox.world import DEFAULT_SEED, Sandbox

REPO = Path(__file__).resolve().parents[2]
REUSABLE = REPO / ".github" / "workflows" / "reconcile.yml"
MATRIX = {
    "fail-fast": False,
    "matrix": {"environment": "${{ fromJSON(inputs.environments || '[\"\"]') }}"},
}
ENVIRONMENTS = ("production", "staging")
OVERLAY = """\
apiVersion: reconciler/v1
kind: Integration
metadata: {name: apac}
spec: {enabled: false}
"""
MARKERS = "<!-- reconciler-plan -->\n<!-- reconciler-plan: integrations -->"


def _jobs() -> dict[str, Any]:
    jobs = yaml.safe_load(REUSABLE.read_text(encoding="utf-8"))["jobs"]
    assert isinstance(jobs, dict)
    return jobs


def _script(job: str, step: str) -> str:
    found = [s["run"] for s in _jobs()[job]["steps"] if s.get("name") == step]
    assert len(found) == 1, (job, step)
    return str(found[0])


def _bash(script: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    # GitHub runs `run:` scripts with `bash --noprofile --norc -eo pipefail {0}`.
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
        env=env, cwd=cwd, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def test_every_job_of_an_environment_runs_once_per_environment() -> None:
    jobs = _jobs()
    assert {name: job.get("strategy") for name, job in jobs.items()} == {
        "validate": None,
        "plan": MATRIX,
        "comment": None,  # one sticky comment for every environment
        "apply": MATRIX,
        "drift": MATRIX,
        "drift-issue": MATRIX,
    }
    # The environment reaches reconciler as RECONCILER_ENV (empty: the config declares none).
    assert {
        name: job["env"].get("RECONCILER_ENV") for name, job in jobs.items() if "env" in job
    } == {
        "plan": "${{ matrix.environment }}",
        "comment": None,
        "apply": "${{ matrix.environment }}",
        "drift": "${{ matrix.environment }}",
        "drift-issue": None,
    }
    suffix = "${{ matrix.environment && format('-{0}', matrix.environment) || '' }}"
    assert jobs["apply"]["env"]["SUFFIX"] == suffix
    assert jobs["drift"]["env"]["ARTIFACT"] == "${{ inputs.artifact-prefix }}-drift" + suffix
    drift_issue = {s.get("name"): s for s in jobs["drift-issue"]["steps"]}
    assert drift_issue["Download the drift report"]["with"] == {
        "name": "${{ inputs.artifact-prefix }}-drift" + suffix
    }
    assert (
        'title="reconciler: live systems differ from the configuration ($WHERE)"'
        in (drift_issue["Open, update or close the drift issue"]["run"])
    )
    assert jobs["plan"]["concurrency"]["group"].endswith("-${{ matrix.environment }}")
    assert jobs["drift"]["concurrency"]["group"].endswith("-${{ matrix.environment }}")


@pytest.fixture
def two_environments(tmp_path: Path) -> Iterator[dict[str, SandboxServer]]:
    """The examples with two environments, checked out once per plan job, and a sandbox each."""
    worlds = {name: Sandbox.open(tmp_path / f"{name}-data", DEFAULT_SEED) for name in ENVIRONMENTS}
    servers = {name: world.serve("127.0.0.1", 0) for name, world in worlds.items()}
    for name in ENVIRONMENTS:
        config = tmp_path / "jobs" / name / "integrations"
        shutil.copytree(REPO / "examples" / "integrations", config)
        with (config / "reconciler.yaml").open("a", encoding="utf-8") as settings:
            settings.write("environments:\n  production: {}\n  staging: {}\n")
        (config / "environments" / "staging").mkdir(parents=True)
        (config / "environments" / "staging" / "apac.yaml").write_text(OVERLAY)
    try:
        yield servers
    finally:
        for server in servers.values():
            server.stop()


def _job_env(tmp_path: Path, name: str, server: SandboxServer) -> dict[str, str]:
    """What the plan job of environment ``name`` has: the variables and secrets of the GitHub
    environment reconciler-plan-NAME, and the job's own env block."""
    return {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "CI": "true",
        "GITHUB_OUTPUT": str(tmp_path / f"output-{name}"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / f"summary-{name}"),
        "RECONCILER_ORO_URL": server.url,
        "RECONCILER_ORO_CLIENT_ID": "ci",
        "RECONCILER_DOTMAILER_API_URL": server.url,
        "RECONCILER_ORO_CLIENT_SECRET": "sandbox-oro-secret",
        "RECONCILER_STATE": f"sqlite:///{tmp_path / 'state.db'}",  # one URL for every job
        "DOTMAILER_EMEA_PASSWORD": "sandbox-emea-pw",
        "DOTMAILER_AMER_PASSWORD": "sandbox-amer-pw",
        "DOTMAILER_APAC_PASSWORD": "sandbox-apac-pw",
        "DOTMAILER_APAC_OAUTH_SECRET": "apac-oauth-secret-1",
        "CONFIG_DIR": "integrations",
        "RECONCILER_ENV": name,
        "ARTIFACT": f"reconciler-plan-pr-7-{name}",
        "SECTIONS": str(len(ENVIRONMENTS)),  # strategy.job-total
        "RUN_URL": "https://github.com/acme/crm/actions/runs/4242",
        "HEAD_SHA": "0123456789abcdef0123456789abcdef01234567",
    }


@pytest.mark.slow
def test_the_pull_request_comment_has_a_section_per_environment(
    tmp_path: Path, two_environments: dict[str, SandboxServer]
) -> None:
    bodies = {}
    for name, server in two_environments.items():
        job = tmp_path / "jobs" / name
        env = _job_env(tmp_path, name, server)
        for step in ("Plan", "Comment body"):
            result = _bash(_script("plan", step), env, job)
            assert (name, step, result.returncode, result.stderr) == (name, step, 0, "")
        assert (tmp_path / f"output-{name}").read_text(encoding="utf-8") == "changes=true\n"
        bodies[name] = (job / "comment.md").read_text(encoding="utf-8")
        assert len(bodies[name]) <= 59000 // len(ENVIRONMENTS)
        # download-artifact puts each of several artifacts in a directory of its own.
        shutil.copytree(job, tmp_path / "comment" / "plan" / f"reconciler-plan-pr-7-{name}")
    head = {name: body.split("\n\n", 1)[0] for name, body in bodies.items()}
    assert head == {name: f"{MARKERS}\n<!-- reconciler-environment: {name} -->" for name in head}
    sections = {name: body.split("\n\n", 1)[1].rstrip("\n") for name, body in bodies.items()}
    assert {name: text.splitlines()[:3] for name, text in sections.items()} == {
        name: [
            f"## Environment <code>{name}</code>",
            "",
            "Commit <code>0123456</code> · [workflow run](<https://github.com/acme/crm/actions/"
            f"runs/4242>) · plan artifact <code>reconciler-plan-pr-7-{name}</code>: "
            "[<code>plan.txt</code> (readable) and <code>plan.json</code> (saved)](<https://"
            "github.com/acme/crm/actions/runs/4242#artifacts>)",
        ]
        for name in ENVIRONMENTS
    }
    # apac is disabled in staging: its integration is created disabled and not synced.
    assert (
        "| **Total** | **25** | **0** | **0** | **0** | **0** | **3** |" in sections["production"]
    )
    assert "| **Total** | **25** | **0** | **0** | **0** | **0** | **2** |" in sections["staging"]

    comment_job = tmp_path / "comment"
    env = {**os.environ, "PATH": _job_env(tmp_path, "", two_environments["staging"])["PATH"]}
    result = _bash(_script("comment", "Join the environments' comments"), env, comment_job)
    assert (result.returncode, result.stderr) == (0, "")
    assert (comment_job / "comment.md").read_text(encoding="utf-8") == (
        f"{MARKERS}\n\n{sections['production']}\n\n{sections['staging']}\n"
    )
    # Each environment's own state, though the jobs share one state URL.
    assert sorted(p.name for p in tmp_path.glob("state.*.db")) == [
        "state.production.db",
        "state.staging.db",
    ]


def test_one_artifact_is_posted_as_it_is(tmp_path: Path) -> None:
    # A config without environments: one plan job, whose artifact lands in plan/ itself.
    (tmp_path / "plan").mkdir()
    body = "<!-- reconciler-plan -->\n\nCommit <code>0123456</code>\n\n### reconciler plan\n"
    (tmp_path / "plan" / "comment.md").write_text(body, encoding="utf-8")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}/usr/bin:/bin"}
    result = _bash(_script("comment", "Join the environments' comments"), env, tmp_path)
    assert (result.returncode, result.stderr) == (0, "")
    assert (tmp_path / "comment.md").read_text(encoding="utf-8") == body
