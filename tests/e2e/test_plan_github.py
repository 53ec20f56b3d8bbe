"""GitHub annotations for plan (issue 13 item 6): ``plan --format github`` prints the text plan
and then a ``::warning`` per delete and replace and an ``::error`` per operation apply refuses,
each at the line of its document; under GITHUB_ACTIONS the same lines go to stderr and stdout
stays the text plan; config errors are annotations in both cases. The annotation syntax is
GitHub's workflow commands (actions/toolkit packages/core/src/command.ts)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sandbox_env import EXAMPLES

from reconciler.cli import main

REFUSAL = (
    "error: apply refuses this plan: 1 replace needs --allow-replace or replaceOnChange: true "
    "(marked in the plan)\n"
)
ANNOTATIONS = (
    "::error file=integrations/emea.yaml,line=18,col=7::"
    "integration.emea.data_field.LIFETIME_VALUE: replace destroys the values stored on "
    "contacts; apply refuses it without replaceOnChange: true on the field or --allow-replace "
    "LIFETIME_VALUE\n"
    "::warning file=integrations/emea.yaml,line=3,col=1::"
    'integration.emea.address_book["Leads EMEA"]: delete (not in the configuration)\n'
    "::warning file=integrations/emea.yaml,line=3,col=1::"
    "integration.emea.data_field.NEWSLETTER_OPT_IN: delete (not in the configuration)\n"
)


@pytest.fixture
def risky(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The examples applied to the embedded sandbox, then edited: a field deleted, a book
    deleted, a field's type changed (a replace, which needs a decision)."""
    config = tmp_path / "integrations"
    shutil.copytree(EXAMPLES, config)
    monkeypatch.chdir(tmp_path)
    assert main(["apply", "integrations", "--sandbox", "--auto-approve"]) == 0
    emea = config / "emea.yaml"
    lines = [
        line.replace("{name: LIFETIME_VALUE, type: Numeric", "{name: LIFETIME_VALUE, type: String")
        for line in emea.read_text(encoding="utf-8").splitlines(keepends=True)
        if "NEWSLETTER_OPT_IN" not in line and "{name: Leads EMEA" not in line
    ]
    emea.write_text("".join(lines), encoding="utf-8")
    return config


def test_format_github_prints_the_plan_then_its_annotations(
    risky: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert main(["plan", "integrations", "--sandbox"]) == 3
    text = capsys.readouterr()
    assert text.err == REFUSAL
    assert "Plan: 0 to create, 0 to update, 1 to replace, 2 to delete" in text.out
    assert main(["plan", "integrations", "--sandbox", "--format", "github"]) == 3
    github = capsys.readouterr()
    assert (github.out, github.err) == (text.out + ANNOTATIONS, REFUSAL)


def test_under_github_actions_stdout_is_the_text_plan_and_stderr_annotates(
    risky: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert main(["plan", "integrations", "--sandbox"]) == 3
    text = capsys.readouterr()
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    assert main(["plan", "integrations", "--sandbox"]) == 3
    actions = capsys.readouterr()
    assert (actions.out, actions.err) == (text.out, ANNOTATIONS + REFUSAL)


def test_the_workspace_makes_the_files_relative(
    risky: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    monkeypatch.setenv("GITHUB_WORKSPACE", str(risky.parent))
    assert main(["plan", str(risky), "--sandbox", "--format", "github"]) == 3
    out = capsys.readouterr().out
    assert out.endswith(ANNOTATIONS)


def test_an_unchanged_plan_has_no_annotation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copytree(EXAMPLES, tmp_path / "integrations")
    monkeypatch.chdir(tmp_path)
    assert main(["apply", "integrations", "--sandbox", "--auto-approve"]) == 0
    capsys.readouterr()
    assert main(["plan", "integrations", "--sandbox", "--format", "github"]) == 0
    assert capsys.readouterr().out == "No changes. Live systems match the configuration.\n"


def test_config_errors_of_plan_are_annotations(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "integrations"
    shutil.copytree(EXAMPLES, config)
    monkeypatch.chdir(tmp_path)
    emea = config / "emea.yaml"
    emea.write_text(
        emea.read_text(encoding="utf-8").replace("type: Numeric", "type: Number"),
        encoding="utf-8",
    )
    assert main(["plan", "integrations", "--sandbox"]) == 3
    text = capsys.readouterr().err
    assert text.startswith("integrations/emea.yaml:18:")
    for args, env in ((["--format", "github"], None), ([], "true")):
        if env:
            monkeypatch.setenv("GITHUB_ACTIONS", env)
        assert main(["plan", "integrations", "--sandbox", *args]) == 3
        annotated = capsys.readouterr()
        assert annotated.out == ""
        first, _, rest = annotated.err.partition("\n")
        assert first.startswith("::error file=integrations/emea.yaml,line=18,col=")
        assert rest == text.partition("\n")[2]  # the summary line is the same
