from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.config import FoundConfig, find_configs
from reconciler.errors import UsageError

OWNER = "apiVersion: reconciler/v1\nkind: Owner\nmetadata: {name: ops}\n"


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")


def test_only_reconciler_files_belong_to_the_config_of_the_nearest_settings_file(
    tmp_path: Path,
) -> None:
    _write(tmp_path, {
        "docker-compose.yml": "services:\n  web:\n    image: nginx\n",
        "deploy/web.yaml": "apiVersion: apps/v1\nkind: Deployment\n",
        "integrations/reconciler.yaml": "state: sqlite:///s.db\n",  # no apiVersion: found by name
        "integrations/owners.yaml": OWNER,
        "integrations/notes.yaml": "todo: [rename the EMEA books]\n",
        "integrations/sub/emea.yml": "# header\n\"apiVersion\": 'reconciler/v1'\n",
        "teams/b/reconciler.yaml": "apiVersion: reconciler/v1\n",
        "teams/b/owners.yaml": "kind: Owner\n---\n  apiVersion: reconciler/v2\n",
        "strays/owner.yaml": "kind: Owner\napiVersion: reconciler/v1\n",
        "strays/mapping.yaml": "{apiVersion: reconciler/v1, kind: DataFieldMapping}\n",
        ".github/workflows/ci.yml": OWNER,
    })  # fmt: skip
    assert find_configs(tmp_path) == [
        FoundConfig(
            tmp_path, (tmp_path / "strays" / "mapping.yaml", tmp_path / "strays" / "owner.yaml")
        ),
        FoundConfig(
            tmp_path / "integrations",
            (
                tmp_path / "integrations" / "owners.yaml",
                tmp_path / "integrations" / "reconciler.yaml",
                tmp_path / "integrations" / "sub" / "emea.yml",
            ),
        ),
        FoundConfig(
            tmp_path / "teams" / "b",
            (
                tmp_path / "teams" / "b" / "owners.yaml",
                tmp_path / "teams" / "b" / "reconciler.yaml",
            ),
        ),
    ]


def test_a_file_broken_by_a_syntax_error_is_still_found(tmp_path: Path) -> None:
    _write(tmp_path, {"owners.yaml": OWNER + "spec: {username: [ops\n", "other.yaml": "a: [b\n"})
    assert find_configs(tmp_path) == [FoundConfig(tmp_path, (tmp_path / "owners.yaml",))]


def test_a_relative_path_gives_relative_roots(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write(tmp_path, {"integrations/reconciler.yaml": "", "integrations/owners.yaml": OWNER})
    monkeypatch.chdir(tmp_path)
    assert find_configs(Path(".")) == [
        FoundConfig(
            Path("integrations"),
            (Path("integrations/owners.yaml"), Path("integrations/reconciler.yaml")),
        )
    ]


def test_no_config_or_no_path_is_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write(tmp_path, {"docker-compose.yml": "services: {}\n"})
    monkeypatch.chdir(tmp_path)
    with pytest.raises(UsageError) as found:
        find_configs(Path("."))
    assert str(found.value) == (
        ".: no reconciler config found (no reconciler.yaml and no file whose documents say "
        "apiVersion: reconciler/v1)"
    )
    with pytest.raises(UsageError) as missing:
        find_configs(Path("nowhere"))
    assert str(missing.value) == "nowhere: no such file or directory"
