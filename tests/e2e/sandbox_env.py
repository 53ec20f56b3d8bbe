"""End-to-end helpers: a real sandbox server on loopback, the real CLI, a copy of the examples.

Runs point the tool at the sandbox through the same RECONCILER_* variables a user would set,
with secret values in environment variables, so the whole path (config, secrets, clients,
state, apply) is exercised over real HTTP.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from reconciler.cli import main
from reconciler.sandbox.core import SandboxServer
from reconciler.sandbox.world import Sandbox

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples" / "integrations"

# The secret values of a run: the scan tests look for them in every output and file.
SECRETS = {
    "DOTMAILER_EMEA_PASSWORD": "sandbox-emea-pw",
    "DOTMAILER_AMER_PASSWORD": "sandbox-amer-pw",
    "DOTMAILER_APAC_PASSWORD": "sandbox-apac-pw",
    "DOTMAILER_APAC_OAUTH_SECRET": "apac-oauth-client-secret-e2e",
    "RECONCILER_ORO_CLIENT_SECRET": "sandbox-oro-secret",
}


@dataclass
class Run:
    code: int
    out: str
    err: str


@dataclass
class World:
    """The test's sandbox, its server, the config copy and the environment of a run."""

    sandbox: Sandbox
    server: SandboxServer
    config: Path
    workdir: Path
    env: dict[str, str]
    outputs: list[str] = field(default_factory=list)

    def cli(self, *args: str, capsys: pytest.CaptureFixture[str]) -> Run:
        code = main(list(args))
        captured = capsys.readouterr()
        self.outputs += [captured.out, captured.err]
        return Run(code, captured.out, captured.err)
