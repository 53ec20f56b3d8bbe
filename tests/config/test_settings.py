from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.config import load_settings
from reconciler.config.settings import apply_env_overrides
from reconciler.errors import ConfigError
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
