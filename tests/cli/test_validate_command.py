from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from reconciler.cli import main

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples" / "integrations"


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the examples, with the working directory at tmp_path."""
    shutil.copytree(EXAMPLES, tmp_path / "integrations")
    monkeypatch.chdir(tmp_path)
    return tmp_path / "integrations"


def _edit(file: Path, old: str, new: str) -> None:
    text = file.read_text(encoding="utf-8")
    assert old in text
    file.write_text(text.replace(old, new), encoding="utf-8")


def test_the_examples_are_valid(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(REPO)
    assert main(["validate", "examples/integrations"]) == 0
    assert capsys.readouterr().out == (
        "examples/integrations: 2 owners, 3 integrations, 3 mappings: "
        "valid (0 errors, 0 warnings)\n"
    )


def test_path_defaults_to_the_working_directory(
    config: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(config)
    assert main(["validate"]) == 0
    assert capsys.readouterr().out == (
        ".: 2 owners, 3 integrations, 3 mappings: valid (0 errors, 0 warnings)\n"
    )


def test_errors_are_listed_sorted_with_a_summary_and_exit_3(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _edit(config / "emea.yaml", "owner: marketing-ops", "owner: marketing")
    _edit(config / "amer.yaml", "visibility: Public, market", "visibility: Secret, market")
    _edit(config / "apac.yaml", "default: 100", "default: 99.5")
    assert main(["validate", "integrations"]) == 3
    assert capsys.readouterr().out == (
        "integrations/amer.yaml:21:43: error: spec.addressBooks[0].visibility: "
        '"Secret" is not one of Private, Public\n'
        "integrations/apac.yaml:22:46: warning: spec.dataFields[2].default: "
        "Oro sends a Numeric default as an integer: 99.5 becomes 99\n"
        'integrations/emea.yaml:12:10: error: spec.owner: owner "marketing" is not declared '
        '(known owners: crm-admins, marketing-ops) (did you mean "marketing-ops"?)\n'
        "integrations: 2 owners, 3 integrations, 3 mappings: invalid (2 errors, 1 warning)\n"
    )


def test_warnings_alone_exit_0(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _edit(config / "apac.yaml", "default: 100", "default: 99.5")
    assert main(["validate", "integrations"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == (
        "integrations: 2 owners, 3 integrations, 3 mappings: valid (0 errors, 1 warning)"
    )


def test_json_format_lists_the_same_diagnostics(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _edit(config / "emea.yaml", "LOYALTY_TIER, type: String", "LOYALTY_TIER, type: Strng")
    _edit(config / "apac.yaml", "default: 100", "default: 99.5")
    assert main(["validate", "integrations", "--format", "json"]) == 3
    assert json.loads(capsys.readouterr().out) == [
        {
            "file": "integrations/apac.yaml",
            "line": 22,
            "column": 46,
            "severity": "warning",
            "path": "spec.dataFields[2].default",
            "message": "Oro sends a Numeric default as an integer: 99.5 becomes 99",
            "rule": "datafield.default.truncated",
        },
        {
            "file": "integrations/emea.yaml",
            "line": 17,
            "column": 34,
            "severity": "error",
            "path": "spec.dataFields[0].type",
            "message": '"Strng" is not one of String, Numeric, Date, Boolean '
            '(did you mean "String"?)',
            "rule": "datafield.type",
        },
    ]


def test_json_format_of_a_valid_config_is_an_empty_list(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["validate", "integrations", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == []


def test_literal_secrets_need_the_flag(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _edit(config / "amer.yaml", "{env: DOTMAILER_AMER_PASSWORD}", "amer-password-1")
    assert main(["validate", "integrations"]) == 3
    out = capsys.readouterr().out
    assert out == (
        "integrations/amer.yaml:14:15: error: spec.connection.password: a literal secret is not "
        "allowed here; use {env: NAME} or {file: PATH}, or pass --allow-literal-secrets\n"
        "integrations: 2 owners, 3 integrations, 3 mappings: invalid (1 error, 0 warnings)\n"
    )
    assert main(["validate", "integrations", "--allow-literal-secrets"]) == 0
    assert "amer-password-1" not in out + capsys.readouterr().out


def test_a_missing_path_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["validate", "nowhere"]) == 64
    assert capsys.readouterr().err == "error: nowhere: no such file or directory\n"


def test_validate_needs_no_secret_values(
    config: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("DOTMAILER_EMEA_PASSWORD", "DOTMAILER_AMER_PASSWORD", "DOTMAILER_APAC_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    assert main(["validate", "integrations"]) == 0
    capsys.readouterr()


@pytest.fixture
def repository(config: Path) -> Path:
    """The examples in integrations/ of a repository that holds other YAML too."""
    root = config.parent
    (root / "docker-compose.yml").write_text("services:\n  web:\n    image: nginx\n")
    (root / "deploy").mkdir()
    (root / "deploy" / "web.yaml").write_text("apiVersion: apps/v1\nkind: Deployment\n")
    (config / "notes.yaml").write_text("todo: [rename the EMEA books]\n")
    return root


def test_find_validates_the_config_in_a_subdirectory_and_ignores_other_yaml(
    repository: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["validate", "--find"]) == 0
    assert capsys.readouterr().out == (
        "integrations: 2 owners, 3 integrations, 3 mappings: valid (0 errors, 0 warnings)\n"
    )


def test_without_find_every_yaml_file_below_the_path_is_config(
    repository: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["validate", "integrations"]) == 3
    assert capsys.readouterr().out == (
        'integrations/notes.yaml:1:1: error: (document): missing apiVersion "reconciler/v1"\n'
        "integrations/notes.yaml:1:1: error: (document): missing kind; expected one of "
        "DataFieldMapping, Integration, Owner\n"
        "integrations: 2 owners, 3 integrations, 3 mappings: invalid (2 errors, 0 warnings)\n"
    )


def test_find_validates_each_config_apart_and_fails_when_one_is_invalid(
    repository: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copytree(repository / "integrations", repository / "staging")
    _edit(repository / "staging" / "emea.yaml", "owner: marketing-ops", "owner: marketing")
    assert main(["validate", "--find", "--format", "text"]) == 3
    assert capsys.readouterr().out == (
        "integrations: 2 owners, 3 integrations, 3 mappings: valid (0 errors, 0 warnings)\n"
        'staging/emea.yaml:12:10: error: spec.owner: owner "marketing" is not declared '
        '(known owners: crm-admins, marketing-ops) (did you mean "marketing-ops"?)\n'
        "staging: 2 owners, 3 integrations, 3 mappings: invalid (1 error, 0 warnings)\n"
    )
    assert main(["validate", "--find", "--format", "json"]) == 3
    assert [d["file"] for d in json.loads(capsys.readouterr().out)] == ["staging/emea.yaml"]


ANNOTATIONS = (
    "::error file=integrations/amer.yaml,line=21,col=43::spec.addressBooks[0].visibility: "
    '"Secret" is not one of Private, Public\n'
    "::warning file=integrations/apac.yaml,line=22,col=46::spec.dataFields[2].default: "
    "Oro sends a Numeric default as an integer: 99.5 becomes 99\n"
    "integrations: 2 owners, 3 integrations, 3 mappings: invalid (1 error, 1 warning)\n"
)


@pytest.fixture
def broken(config: Path) -> Path:
    _edit(config / "amer.yaml", "visibility: Public, market", "visibility: Secret, market")
    _edit(config / "apac.yaml", "default: 100", "default: 99.5")
    return config


def test_github_format_prints_workflow_commands_and_the_summary(
    broken: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["validate", "integrations", "--format", "github"]) == 3
    assert capsys.readouterr().out == ANNOTATIONS


def test_github_actions_makes_github_the_default_format(
    broken: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    assert main(["validate", "integrations"]) == 3
    assert capsys.readouterr().out == ANNOTATIONS
    assert main(["validate", "integrations", "--format", "text"]) == 3
    assert capsys.readouterr().out.splitlines()[0] == (
        "integrations/amer.yaml:21:43: error: spec.addressBooks[0].visibility: "
        '"Secret" is not one of Private, Public'
    )


def test_annotations_name_files_from_the_workspace_root(
    broken: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_WORKSPACE", str(broken.parent))
    monkeypatch.chdir(broken)  # a step with `working-directory: integrations`
    assert main(["validate"]) == 3
    assert capsys.readouterr().out == ANNOTATIONS.replace("\nintegrations: ", "\n.: ")


def test_the_reusable_workflow_validates_with_annotations() -> None:
    workflow = yaml.safe_load((REPO / ".github" / "workflows" / "reconcile.yml").read_text())
    steps = {step.get("name"): step for step in workflow["jobs"]["validate"]["steps"]}
    assert steps["Validate"]["run"] == 'reconciler validate "$CONFIG_DIR" --format github'


STAGING_OVERLAY = """\
apiVersion: reconciler/v1
kind: Integration
metadata: {name: emea}
spec:
  dataFields:
    - {name: LEAD_SOURCE, $remove: true}
    - {name: STAGING_TRACE, type: Strng}
"""


@pytest.fixture
def environments(config: Path) -> Path:
    """The examples with two environments; staging's overlay has a typo and removes a field
    that a base mapping still maps."""
    with (config / "reconciler.yaml").open("a", encoding="utf-8") as settings:
        settings.write("environments:\n  staging: {}\n  production: {}\n")
    (config / "environments" / "staging").mkdir(parents=True)
    (config / "environments" / "staging" / "emea.yaml").write_text(STAGING_OVERLAY)
    return config


def test_every_environment_is_validated_at_the_overlays_own_line(
    environments: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["validate", "integrations"]) == 3
    assert capsys.readouterr().out == (
        "integrations/environments/staging/emea.yaml:7:35: error: spec.dataFields[1].type: "
        '"Strng" is not one of String, Numeric, Date, Boolean (did you mean "String"?)\n'
        "integrations/mappings.yaml:29:19: error: spec.fields[2].dataField: data field "
        '"LEAD_SOURCE" is neither declared on integration "emea" nor built in '
        "(environment staging)\n"
        "integrations (environment production): 2 owners, 3 integrations, 3 mappings: valid "
        "(0 errors, 0 warnings)\n"
        "integrations (environment staging): 2 owners, 3 integrations, 3 mappings: invalid "
        "(2 errors, 0 warnings)\n"
    )
    assert main(["validate", "integrations", "--env", "production"]) == 0
    assert capsys.readouterr().out == (
        "integrations (environment production): 2 owners, 3 integrations, 3 mappings: valid "
        "(0 errors, 0 warnings)\n"
    )
    assert main(["validate", "integrations", "--format", "github", "--find"]) == 3
    assert capsys.readouterr().out.splitlines()[:2] == [
        "::error file=integrations/environments/staging/emea.yaml,line=7,col=35::"
        'spec.dataFields[1].type: "Strng" is not one of String, Numeric, Date, Boolean (did you '
        'mean "String"?)',
        "::error file=integrations/mappings.yaml,line=29,col=19::spec.fields[2].dataField: data "
        'field "LEAD_SOURCE" is neither declared on integration "emea" nor built in (environment '
        "staging)",
    ]


def test_an_environment_the_config_does_not_declare_is_a_usage_error(
    environments: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RECONCILER_ENV", "qa")
    assert main(["validate", "integrations"]) == 64
    assert capsys.readouterr().err == (
        'error: no environment "qa" in integrations/reconciler.yaml (it declares production, '
        "staging)\n"
    )
