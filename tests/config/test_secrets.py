from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.config import resolve_secret
from reconciler.errors import Location, SecretError
from reconciler.model import SecretRef, SecretSource

WHERE = Location("emea.yaml", 14, 15)


def test_env_reference_reads_the_variable(tmp_path: Path) -> None:
    ref = SecretRef(SecretSource.ENV, "DOTMAILER_EMEA_PASSWORD", WHERE)
    assert resolve_secret(ref, tmp_path, environ={"DOTMAILER_EMEA_PASSWORD": "pw-1"}) == "pw-1"


def test_env_reference_defaults_to_the_process_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOTMAILER_EMEA_PASSWORD", "from-env")
    ref = SecretRef(SecretSource.ENV, "DOTMAILER_EMEA_PASSWORD")
    assert resolve_secret(ref, tmp_path) == "from-env"


@pytest.mark.parametrize(
    ("environ", "state"), [({}, "not set"), ({"DOTMAILER_EMEA_PASSWORD": ""}, "empty")]
)
def test_unset_or_empty_variable_is_a_secret_error_naming_the_reference(
    tmp_path: Path, environ: dict[str, str], state: str
) -> None:
    ref = SecretRef(SecretSource.ENV, "DOTMAILER_EMEA_PASSWORD", WHERE)
    with pytest.raises(SecretError) as caught:
        resolve_secret(ref, tmp_path, environ=environ)
    assert str(caught.value) == (
        "emea.yaml:14:15: secret {env: DOTMAILER_EMEA_PASSWORD}: environment variable "
        f"DOTMAILER_EMEA_PASSWORD is {state}"
    )
    assert caught.value.exit_code == 3


def test_file_reference_is_relative_to_the_config_directory(tmp_path: Path) -> None:
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / "emea").write_text("pw-from-file\n", encoding="utf-8")
    ref = SecretRef(SecretSource.FILE, "secrets/emea")
    assert resolve_secret(ref, tmp_path) == "pw-from-file"
    absolute = SecretRef(SecretSource.FILE, str(tmp_path / "secrets" / "emea"))
    assert resolve_secret(absolute, Path("/nowhere")) == "pw-from-file"


def test_missing_or_empty_file_is_a_secret_error(tmp_path: Path) -> None:
    missing = SecretRef(SecretSource.FILE, "secrets/emea", WHERE)
    with pytest.raises(SecretError) as caught:
        resolve_secret(missing, tmp_path)
    assert str(caught.value) == (
        f"emea.yaml:14:15: secret {{file: secrets/emea}}: {tmp_path}/secrets/emea does not exist"
    )
    (tmp_path / "empty").write_text("\n", encoding="utf-8")
    with pytest.raises(SecretError) as caught:
        resolve_secret(SecretRef(SecretSource.FILE, "empty"), tmp_path)
    assert str(caught.value) == f"secret {{file: empty}}: {tmp_path}/empty is empty"


def test_literal_is_returned_as_is_and_never_described(tmp_path: Path) -> None:
    ref = SecretRef(SecretSource.LITERAL, "hunter2hunter2")
    assert resolve_secret(ref, tmp_path) == "hunter2hunter2"
    assert ref.describe() == "(literal)"
