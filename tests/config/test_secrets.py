from __future__ import annotations

import os
from pathlib import Path

import pytest

from reconciler.config import resolve_secret
from reconciler.config.secrets import DOTMAILER_PASSWORD
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
    assert resolve_secret(ref, tmp_path, environ={}) == "pw-from-file"
    absolute = SecretRef(SecretSource.FILE, str(tmp_path / "secrets" / "emea"))
    assert resolve_secret(absolute, tmp_path, environ={}) == "pw-from-file"


def test_missing_or_empty_file_is_a_secret_error(tmp_path: Path) -> None:
    missing = SecretRef(SecretSource.FILE, "secrets/emea", WHERE)
    with pytest.raises(SecretError) as caught:
        resolve_secret(missing, tmp_path, environ={})
    assert str(caught.value) == (
        f"emea.yaml:14:15: secret {{file: secrets/emea}}: {tmp_path}/secrets/emea does not exist"
    )
    (tmp_path / "empty").write_text("\n", encoding="utf-8")
    with pytest.raises(SecretError) as caught:
        resolve_secret(SecretRef(SecretSource.FILE, "empty"), tmp_path, environ={})
    assert str(caught.value) == f"secret {{file: empty}}: {tmp_path}/empty is empty"


def test_literal_is_returned_as_is_and_never_described(tmp_path: Path) -> None:
    ref = SecretRef(SecretSource.LITERAL, "hunter2hunter2")
    assert resolve_secret(ref, tmp_path) == "hunter2hunter2"
    assert ref.describe() == "(literal)"


# -- where a file secret may be read from (SPEC §8) -------------------------------------


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """A git checkout with the config in integrations/ and a token in .git/config, as
    actions/checkout leaves it."""
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "config").write_text(
        '[http "https://github.com/"]\n\textraheader = AUTHORIZATION: basic Z2hzX3Rva2Vu\n',
        encoding="utf-8",
    )
    config = tmp_path / "integrations"
    (config / "secrets").mkdir(parents=True)
    (config / "secrets" / "emea").write_text("pw-from-file\n", encoding="utf-8")
    return config


def _refusal(ref: SecretRef, base_dir: Path, environ: dict[str, str] | None = None) -> str:
    with pytest.raises(SecretError) as caught:
        resolve_secret(ref, base_dir, environ=environ or {})
    assert caught.value.exit_code == 3
    return str(caught.value)


def test_a_file_in_the_checkouts_git_directory_is_refused(checkout: Path) -> None:
    root = checkout.parent
    ref = SecretRef(SecretSource.FILE, "../.git/config", WHERE)
    assert _refusal(ref, checkout) == (
        f"emea.yaml:14:15: secret {{file: ../.git/config}}: {root}/.git/config is inside a "
        ".git directory; secrets are never read from one"
    )
    # Listing the checkout in RECONCILER_SECRET_DIRS does not open its .git.
    absolute = SecretRef(SecretSource.FILE, f"{root}/.git/config")
    assert _refusal(absolute, checkout, {"RECONCILER_SECRET_DIRS": str(root)}) == (
        f"secret {{file: {root}/.git/config}}: {root}/.git/config is inside a .git "
        "directory; secrets are never read from one"
    )


def test_a_symlink_in_the_config_directory_into_git_is_refused(checkout: Path) -> None:
    (checkout / "secrets" / "apac").symlink_to(checkout.parent / ".git" / "config")
    ref = SecretRef(SecretSource.FILE, "secrets/apac")
    assert _refusal(ref, checkout) == (
        f"secret {{file: secrets/apac}}: {checkout}/secrets/apac "
        f"(resolved: {checkout.parent}/.git/config) is inside a .git directory; "
        "secrets are never read from one"
    )


def test_a_git_directory_inside_the_config_directory_is_refused(checkout: Path) -> None:
    (checkout / ".git").mkdir()
    (checkout / ".git" / "token").write_text("ghs_token_value\n", encoding="utf-8")
    assert _refusal(SecretRef(SecretSource.FILE, ".git/token"), checkout) == (
        f"secret {{file: .git/token}}: {checkout}/.git/token is inside a .git directory; "
        "secrets are never read from one"
    )


def test_a_file_outside_the_config_directory_needs_reconciler_secret_dirs(
    checkout: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    runner = tmp_path_factory.mktemp("runner")
    (runner / "emea").write_text("pw-from-the-runner\n", encoding="utf-8")
    ref = SecretRef(SecretSource.FILE, str(runner / "emea"), WHERE)
    assert _refusal(ref, checkout) == (
        f"emea.yaml:14:15: secret {{file: {runner}/emea}}: {runner}/emea is outside the config "
        f"directory {checkout} and RECONCILER_SECRET_DIRS; list its directory in "
        "RECONCILER_SECRET_DIRS to read secrets from there"
    )
    elsewhere = str(checkout.parent / "elsewhere")
    listed = {"RECONCILER_SECRET_DIRS": f"{elsewhere}{os.pathsep}{os.pathsep}{runner}"}
    assert resolve_secret(ref, checkout, environ=listed) == "pw-from-the-runner"


def test_a_symlink_out_of_the_config_directory_is_judged_by_its_target(
    checkout: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    runner = tmp_path_factory.mktemp("runner")
    (runner / "emea").write_text("pw-from-the-runner\n", encoding="utf-8")
    (checkout / "secrets" / "linked").symlink_to(runner / "emea")
    ref = SecretRef(SecretSource.FILE, "secrets/linked")
    assert _refusal(ref, checkout) == (
        f"secret {{file: secrets/linked}}: {checkout}/secrets/linked (resolved: {runner}/emea) "
        f"is outside the config directory {checkout} and RECONCILER_SECRET_DIRS; list its "
        "directory in RECONCILER_SECRET_DIRS to read secrets from there"
    )
    listed = {"RECONCILER_SECRET_DIRS": str(runner)}
    assert resolve_secret(ref, checkout, environ=listed) == "pw-from-the-runner"


# -- a value too short or long to be the credential ------------------------------------


@pytest.mark.parametrize("value", ["1234567", "x" * 256])
def test_a_dotmailer_password_outside_8_to_255_characters_is_refused(
    tmp_path: Path, value: str
) -> None:
    ref = SecretRef(SecretSource.ENV, "DOTMAILER_EMEA_PASSWORD", WHERE)
    with pytest.raises(SecretError) as caught:
        resolve_secret(
            ref, tmp_path, environ={"DOTMAILER_EMEA_PASSWORD": value}, length=DOTMAILER_PASSWORD
        )
    assert str(caught.value) == (
        "emea.yaml:14:15: secret {env: DOTMAILER_EMEA_PASSWORD}: a dotmailer password is "
        "8–255 characters, and this value is not"
    )
    assert caught.value.exit_code == 3


@pytest.mark.parametrize("value", ["12345678", "x" * 255])
def test_a_dotmailer_password_of_8_to_255_characters_is_accepted(
    tmp_path: Path, value: str
) -> None:
    (tmp_path / "pw").write_text(value + "\n", encoding="utf-8")
    ref = SecretRef(SecretSource.FILE, "pw")
    assert resolve_secret(ref, tmp_path, environ={}, length=DOTMAILER_PASSWORD) == value
