from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

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
