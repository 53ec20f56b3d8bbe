from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.config import load_settings
from reconciler.config.settings import apply_env_overrides, check_credential_settings, in_ci
from reconciler.errors import ConfigError, Location
from reconciler.model import SecretRef, SecretSource, Settings

SETTINGS = """apiVersion: reconciler/v1
state: postgresql://ci@db/reconciler
oro:
  url: https://crm.example.com
  apiBase: /api
  clientId: ci
  clientSecret: {file: oro-secret}
dotmailer: {apiUrl: "http://127.0.0.1:8080"}
prune: {enabled: true, maxDeletes: 3}
concurrency: 2
timeouts: {requestSeconds: 30}
"""


def test_no_reconciler_yaml_means_defaults(tmp_path: Path) -> None:
    assert load_settings(tmp_path, environ={}) == Settings()


def test_every_setting_is_read(tmp_path: Path) -> None:
    (tmp_path / "reconciler.yaml").write_text(SETTINGS, encoding="utf-8")
    assert load_settings(tmp_path, environ={}) == Settings(
        state="postgresql://ci@db/reconciler",
        oro_url="https://crm.example.com",
        oro_api_base="/api",
        oro_client_id="ci",
        oro_client_secret=SecretRef(SecretSource.FILE, "oro-secret"),
        dotmailer_api_url="http://127.0.0.1:8080",
        prune=True,
        max_deletes=3,
        concurrency=2,
        timeout_seconds=30.0,
    )


def test_environment_overrides_the_file(tmp_path: Path) -> None:
    (tmp_path / "reconciler.yaml").write_text(SETTINGS, encoding="utf-8")
    environ = {
        "RECONCILER_STATE": "sqlite:///other.db",
        "RECONCILER_ORO_URL": "https://oro.test",
        "RECONCILER_ORO_API_BASE": "/admin/api",
        "RECONCILER_ORO_CLIENT_ID": "other",
        "RECONCILER_ORO_CLIENT_SECRET": "value-never-kept",
        "RECONCILER_DOTMAILER_API_URL": "http://127.0.0.1:9",
        "RECONCILER_PRUNE": "no",
        "RECONCILER_MAX_DELETES": "0",
        "RECONCILER_CONCURRENCY": "16",
        "RECONCILER_TIMEOUT": "5.5",
        "RECONCILER_UNRELATED": "x",
    }
    settings = load_settings(tmp_path / "reconciler.yaml", environ=environ)
    assert settings == Settings(
        state="sqlite:///other.db",
        oro_url="https://oro.test",
        oro_api_base="/admin/api",
        oro_client_id="other",
        oro_client_secret=SecretRef(SecretSource.ENV, "RECONCILER_ORO_CLIENT_SECRET"),
        dotmailer_api_url="http://127.0.0.1:9",
        prune=False,
        max_deletes=0,
        concurrency=16,
        timeout_seconds=5.5,
    )
    assert "value-never-kept" not in repr(settings)


def test_empty_variables_are_ignored() -> None:
    assert apply_env_overrides(Settings(), {"RECONCILER_STATE": "", "RECONCILER_PRUNE": ""}) == (
        Settings()
    )


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        (
            "RECONCILER_CONCURRENCY",
            "0",
            'RECONCILER_CONCURRENCY must be an integer from 1 to 64 (got "0")',
        ),
        (
            "RECONCILER_MAX_DELETES",
            "ten",
            'RECONCILER_MAX_DELETES must be an integer from 0 or more (got "ten")',
        ),
        ("RECONCILER_PRUNE", "maybe", 'RECONCILER_PRUNE must be true or false (got "maybe")'),
        (
            "RECONCILER_TIMEOUT",
            "-1",
            'RECONCILER_TIMEOUT must be a number of seconds above 0 (got "-1")',
        ),
    ],
)
def test_invalid_environment_values_are_config_errors(name: str, value: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        apply_env_overrides(Settings(), {name: value})
    assert str(caught.value) == message


def test_an_invalid_reconciler_yaml_raises_with_its_diagnostics(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "reconciler.yaml").write_text("concurrency: many\nprune: {enable: true}\n")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError) as caught:
        load_settings(Path("."), environ={})
    assert str(caught.value) == "reconciler.yaml is invalid"
    assert [str(d) for d in caught.value.diagnostics] == [
        "reconciler.yaml:1:14: error: concurrency: expected an integer, got a string",
        "reconciler.yaml:2:9: error: prune.enable: "
        'unknown field "enable" (did you mean "enabled"?)',
    ]


# -- SPEC §8: where the settings that carry or receive credentials may come from ----------


@pytest.mark.parametrize(
    ("value", "ci"),
    [("true", True), ("1", True), ("yes", True), ("TRUE", True), ("", False), ("false", False),
     ("FALSE", False), ("0", False), (" ", False)],
)  # fmt: skip
def test_ci_is_any_value_but_empty_false_or_0(value: str, ci: bool) -> None:
    assert in_ci({"CI": value}) is ci
    assert in_ci({}) is False


def _file_settings(tmp_path: Path, text: str) -> Settings:
    (tmp_path / "reconciler.yaml").write_text(text, encoding="utf-8")
    return load_settings(tmp_path, environ={})


def _refusal(settings: Settings, environ: dict[str, str]) -> str:
    with pytest.raises(ConfigError) as caught:
        check_credential_settings(settings, environ)
    assert caught.value.exit_code == 3
    return str(caught.value)


def test_in_ci_every_credential_setting_of_the_file_must_be_pinned(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    settings = _file_settings(tmp_path, SETTINGS)
    assert _refusal(settings, {"CI": "true"}) == (
        "reconciler.yaml: CI is set, so credentials and the endpoints they go to are taken only "
        "from the environment: set RECONCILER_ORO_URL instead of oro.url, "
        "RECONCILER_ORO_CLIENT_ID instead of oro.clientId, RECONCILER_ORO_CLIENT_SECRET instead "
        "of oro.clientSecret, RECONCILER_DOTMAILER_API_URL instead of dotmailer.apiUrl"
    )
    pinned = {
        "CI": "true",
        "RECONCILER_ORO_URL": "https://oro.test",
        "RECONCILER_ORO_CLIENT_ID": "ci",
        "RECONCILER_ORO_CLIENT_SECRET": "s3cret-value",
    }
    assert _refusal(settings, pinned) == (
        "reconciler.yaml: CI is set, so credentials and the endpoints they go to are taken only "
        "from the environment: set RECONCILER_DOTMAILER_API_URL instead of dotmailer.apiUrl"
    )
    # Loopback is no exception in CI: a listener on the runner is as foreign as any host.
    check_credential_settings(settings, {**pinned, "RECONCILER_DOTMAILER_API_URL": "http://x/"})


def test_in_ci_a_file_without_credential_settings_passes(tmp_path: Path) -> None:
    settings = _file_settings(tmp_path, "apiVersion: reconciler/v1\nprune: {enabled: true}\n")
    check_credential_settings(settings, {"CI": "true"})


def test_outside_ci_the_file_may_name_its_oro_and_a_loopback_dotmailer_override(
    tmp_path: Path,
) -> None:
    for host in ("127.0.0.1:8080", "localhost", "[::1]:9"):
        text = SETTINGS.replace("http://127.0.0.1:8080", f"http://{host}")
        check_credential_settings(_file_settings(tmp_path, text), {"CI": "false"})


def test_outside_ci_another_dotmailer_override_must_come_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    text = SETTINGS.replace("http://127.0.0.1:8080", "https://dm.attacker.example/")
    settings = _file_settings(tmp_path, text)
    assert _refusal(settings, {}) == (
        "reconciler.yaml: dotmailer.apiUrl: an API URL override in the config is honoured only "
        "on a loopback address (a local emulator), not on dm.attacker.example; set "
        "RECONCILER_DOTMAILER_API_URL to use another"
    )
    check_credential_settings(settings, {"RECONCILER_DOTMAILER_API_URL": "https://dm.test/"})


def test_the_oro_client_secret_is_located_where_it_is_written(tmp_path: Path) -> None:
    """A secret that cannot be read is reported at its own line, also when an environment
    gives its own (the merged settings are one mapping; the position is the source's)."""
    (tmp_path / "reconciler.yaml").write_text(
        "apiVersion: reconciler/v1\n"
        "oro:\n"
        "  clientSecret: {env: ORO_SECRET}\n"
        "environments:\n"
        "  staging:\n"
        "    oro: {url: 'https://staging.example', clientSecret: {env: STAGING_SECRET}}\n"
        "  production: {}\n",
        encoding="utf-8",
    )
    file = tmp_path / "reconciler.yaml"
    located = {
        environment: load_settings(tmp_path, environ={}, environment=environment).oro_client_secret
        for environment in ("staging", "production")
    }
    assert located == {
        "staging": SecretRef(SecretSource.ENV, "STAGING_SECRET", Location(file, 6, 58)),
        "production": SecretRef(SecretSource.ENV, "ORO_SECRET", Location(file, 3, 17)),
    }
