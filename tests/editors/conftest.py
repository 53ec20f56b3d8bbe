"""The real yaml-language-server, installed with npm into .ci/node (as .ci/run does)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
NODE_PREFIX = REPO / ".ci" / "node"
INSTALL = ["npm", "install", "--prefix", str(NODE_PREFIX)]


def _pinned_version() -> str:
    manifest = json.loads((NODE_PREFIX / "package.json").read_text(encoding="utf-8"))
    version: str = manifest["dependencies"]["yaml-language-server"]
    return version


def _installed_version() -> str | None:
    manifest = NODE_PREFIX / "node_modules" / "yaml-language-server" / "package.json"
    if not manifest.is_file():
        return None
    version: str = json.loads(manifest.read_text(encoding="utf-8"))["version"]
    return version


@pytest.fixture(scope="session")
def language_server_command() -> list[str]:
    """``node …/yaml-language-server --stdio``, installing the pinned version when missing."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.skip(
            "node and npm are not installed: apt-get install -y nodejs npm "
            "(then `npm install --prefix .ci/node` installs yaml-language-server)"
        )
    if _installed_version() != _pinned_version():
        subprocess.run(INSTALL, check=True, capture_output=True, timeout=600)
    assert _installed_version() == _pinned_version()
    server = NODE_PREFIX / "node_modules" / "yaml-language-server" / "bin" / "yaml-language-server"
    return [node, str(server), "--stdio"]
