"""plan names every missing secret variable at once (issue 13 item 3), sorted, each at the
file:line that references it, as validate names every problem; before any connection."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sandbox_env import EXAMPLES

from reconciler.cli import main


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(EXAMPLES, tmp_path / "integrations")
    monkeypatch.chdir(tmp_path)
    # Nothing listens here: the secrets are checked before any request is sent.
    monkeypatch.setenv("RECONCILER_ORO_URL", "http://127.0.0.1:1")
    monkeypatch.setenv("RECONCILER_ORO_CLIENT_ID", "ci")
    return tmp_path


def test_plan_lists_every_missing_secret(
    config: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DOTMAILER_APAC_PASSWORD", "set-and-long-enough")
    monkeypatch.setenv("DOTMAILER_EMEA_PASSWORD", "")
    assert main(["plan", "integrations"]) == 3
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (
        "integrations/amer.yaml:14:15: error: {env: DOTMAILER_AMER_PASSWORD}: environment "
        "variable DOTMAILER_AMER_PASSWORD is not set\n"
        "integrations/apac.yaml:17:19: error: {env: DOTMAILER_APAC_OAUTH_SECRET}: environment "
        "variable DOTMAILER_APAC_OAUTH_SECRET is not set\n"
        "integrations/emea.yaml:15:15: error: {env: DOTMAILER_EMEA_PASSWORD}: environment "
        "variable DOTMAILER_EMEA_PASSWORD is empty\n"
        "integrations/reconciler.yaml:8:17: error: {env: RECONCILER_ORO_CLIENT_SECRET}: "
        "environment variable RECONCILER_ORO_CLIENT_SECRET is not set\n"
        "error: 4 secrets cannot be read: {env: DOTMAILER_AMER_PASSWORD}, "
        "{env: DOTMAILER_APAC_OAUTH_SECRET}, {env: DOTMAILER_EMEA_PASSWORD}, "
        "{env: RECONCILER_ORO_CLIENT_SECRET}\n"
    )


def test_a_scoped_plan_names_only_the_secrets_in_scope(
    config: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("RECONCILER_ORO_CLIENT_SECRET", "oro-secret")
    assert main(["plan", "integrations", "--integration", "emea"]) == 3
    assert capsys.readouterr().err == (
        "error: integrations/emea.yaml:15:15: secret {env: DOTMAILER_EMEA_PASSWORD}: "
        "environment variable DOTMAILER_EMEA_PASSWORD is not set\n"
    )


def test_under_github_actions_the_missing_secrets_are_annotations(
    config: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("RECONCILER_ORO_CLIENT_SECRET", "oro-secret")
    monkeypatch.setenv("DOTMAILER_APAC_PASSWORD", "set-and-long-enough")
    monkeypatch.setenv("DOTMAILER_APAC_OAUTH_SECRET", "set")
    assert main(["plan", "integrations"]) == 3
    assert capsys.readouterr().err == (
        "::error file=integrations/amer.yaml,line=14,col=15::{env: DOTMAILER_AMER_PASSWORD}: "
        "environment variable DOTMAILER_AMER_PASSWORD is not set\n"
        "::error file=integrations/emea.yaml,line=15,col=15::{env: DOTMAILER_EMEA_PASSWORD}: "
        "environment variable DOTMAILER_EMEA_PASSWORD is not set\n"
        "error: 2 secrets cannot be read: {env: DOTMAILER_AMER_PASSWORD}, "
        "{env: DOTMAILER_EMEA_PASSWORD}\n"
    )
