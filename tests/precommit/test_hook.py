"""The repository's pre-commit hook, run by the real pre-commit (`try-repo`) with its defaults.

The repository under test is laid out as users have it: the config in a subdirectory, beside a
docker-compose.yml and another tool's manifests that also say `apiVersion`. try-repo installs
the hook from this checkout, uncommitted changes to tracked files included (a new file counts
once it is `git add`ed).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples" / "integrations"
COMPOSE = "services:\n  web:\n    image: nginx:1.27\n    ports: ['8080:80']\n"
MANIFEST = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n"


def _pre_commit() -> str:
    beside = Path(sys.executable).parent / "pre-commit"
    found = str(beside) if beside.is_file() else shutil.which("pre-commit")
    if found is None:
        pytest.skip("pre-commit is not installed: pip install -e '.[test]'")
    if shutil.which("git") is None:
        pytest.skip("git is not installed: apt-get install -y git")
    return found


@pytest.fixture(scope="session")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """pre-commit's store (the hook's virtualenv), shared by the tests of one run."""
    return tmp_path_factory.mktemp("pre-commit-home")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A git repository: integrations/ (the examples), docker-compose.yml, deploy/web.yaml."""
    shutil.copytree(EXAMPLES, tmp_path / "integrations")
    (tmp_path / "docker-compose.yml").write_text(COMPOSE, encoding="utf-8")
    (tmp_path / "deploy").mkdir()
    (tmp_path / "deploy" / "web.yaml").write_text(MANIFEST, encoding="utf-8")
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    return tmp_path


def _try_repo(project: Path, pre_commit_home: Path) -> tuple[int, str]:
    """`pre-commit try-repo REPO reconciler-validate --all-files --verbose` in ``project``."""
    command = _pre_commit()
    subprocess.run(["git", "add", "-A"], cwd=project, check=True)
    env = {
        **os.environ,
        "PRE_COMMIT_HOME": str(pre_commit_home),
        "PRE_COMMIT_COLOR": "never",
    }
    result = subprocess.run(
        [command, "try-repo", str(REPO), "reconciler-validate", "--all-files", "--verbose"],
        cwd=project, env=env, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    return result.returncode, result.stdout + result.stderr


def _hook_output(output: str) -> list[str]:
    """The hook's block of pre-commit's report, from its status line on."""
    lines = output.splitlines()
    (start,) = [i for i, line in enumerate(lines) if line.startswith("reconciler validate...")]
    block = lines[start:]
    block[0] = re.sub(r"\.{3,}", "...", block[0])
    return [line for line in block if not line.startswith("- duration:")]


def test_the_hook_passes_on_a_valid_repository_with_the_config_in_a_subdirectory(
    project: Path, pre_commit_home: Path
) -> None:
    code, output = _try_repo(project, pre_commit_home)
    assert (code, _hook_output(output)) == (
        0,
        [
            "reconciler validate...Passed",
            "- hook id: reconciler-validate",
            "",
            "integrations: 2 owners, 3 integrations, 3 mappings: valid (0 errors, 0 warnings)",
            "",
        ],
    )


def test_the_hook_fails_on_a_broken_document_naming_file_and_line(
    project: Path, pre_commit_home: Path
) -> None:
    emea = project / "integrations" / "emea.yaml"
    emea.write_text(
        emea.read_text(encoding="utf-8").replace("owner: marketing-ops", "owner: marketing"),
        encoding="utf-8",
    )
    owners = project / "integrations" / "owners.yaml"
    text = owners.read_text(encoding="utf-8")
    # The second document says another apiVersion: the file still belongs to the config.
    owners.write_text(
        text[: text.index("---")] + text[text.index("---") :].replace("reconciler/v1", "v1"),
        encoding="utf-8",
    )

    code, output = _try_repo(project, pre_commit_home)

    assert (code, _hook_output(output)) == (
        1,
        [
            "reconciler validate...Failed",
            "- hook id: reconciler-validate",
            "- exit code: 3",
            "",
            'integrations/apac.yaml:11:10: error: spec.owner: owner "crm-admins" is not declared '
            "(known owners: marketing-ops)",
            'integrations/emea.yaml:12:10: error: spec.owner: owner "marketing" is not declared '
            '(known owners: marketing-ops) (did you mean "marketing-ops"?)',
            'integrations/owners.yaml:12:13: error: apiVersion: unknown apiVersion "v1"; this '
            'version reads "reconciler/v1"',
            "integrations: 1 owner, 3 integrations, 3 mappings: invalid (3 errors, 0 warnings)",
            "",
        ],
    )
