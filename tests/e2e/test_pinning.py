"""SPEC §8, issue 11 item 1: in CI, credentials go only to endpoints the environment pins.

The real CLI runs in a subprocess with ``CI=true`` on a config whose reconciler.yaml points its
Oro URL and dotmailer API URL at a listener started here (a real socket that records every
connection), as a pull request could. The listener must never hear from the tool, and the
sandbox it is pinned to (through the environment) only when the run is allowed.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from sandbox_env import EXAMPLES, SECRETS, fast_seed, run_environment

from reconciler.sandbox.core import SandboxServer
from reconciler.sandbox.world import Sandbox

PLAN_LINE = (
    "Plan: 25 to create, 0 to update, 0 to replace, 0 to delete, 0 to adopt; 3 syncs to schedule.\n"
)
REFUSED_IN_CI = (
    "error: integrations/reconciler.yaml: CI is set, so credentials and the endpoints they go "
    "to are taken only from the environment: set RECONCILER_ORO_URL instead of oro.url, "
    "RECONCILER_ORO_CLIENT_ID instead of oro.clientId, RECONCILER_DOTMAILER_API_URL instead "
    "of dotmailer.apiUrl\n"
)


class Listener:
    """A TCP listener on 127.0.0.1 that records every connection and what it was sent, and
    answers 401 so that a client which did reach it fails at once."""

    def __init__(self) -> None:
        self._socket = socket.create_server(("127.0.0.1", 0))
        self._socket.settimeout(0.05)
        self.url = f"http://127.0.0.1:{self._socket.getsockname()[1]}"
        self.received: list[bytes] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self._socket.accept()
            except TimeoutError:
                continue
            with connection:
                connection.settimeout(2.0)
                try:
                    self.received.append(connection.recv(65536))
                    connection.sendall(b"HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n")
                except OSError:
                    self.received.append(b"")

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._socket.close()


@dataclass
class Checkout:
    """A git checkout as a pull request's plan job sees it, beside the sandbox and listener."""

    root: Path
    config: Path
    listener: Listener
    sandbox: Sandbox
    server: SandboxServer
    base_env: dict[str, str]

    def pinned_env(self) -> dict[str, str]:
        """The runner's environment: endpoints and secrets pinned to the sandbox."""
        return {**self.base_env, **run_environment(self.server.url, self.root)}

    def set_password(self, secret: str) -> None:
        path = self.config / "emea.yaml"
        text = path.read_text(encoding="utf-8")
        path.write_text(
            text.replace("password: {env: DOTMAILER_EMEA_PASSWORD}", f"password: {secret}"),
            encoding="utf-8",
        )

    def plan(self, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "reconciler", "plan", "integrations", *args],
            cwd=self.root,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )


@pytest.fixture
def checkout(tmp_path: Path) -> Iterator[Checkout]:
    root = tmp_path / "checkout"
    (root / ".git").mkdir(parents=True)
    # Where actions/checkout keeps the job's GitHub token.
    (root / ".git" / "config").write_text(
        '[http "https://github.com/"]\n\textraheader = AUTHORIZATION: basic eC1hY2Nlc3M6Z2hz\n',
        encoding="utf-8",
    )
    config = root / "integrations"
    shutil.copytree(EXAMPLES, config)
    listener = Listener()
    settings = config / "reconciler.yaml"
    settings.write_text(
        settings.read_text(encoding="utf-8").replace(
            "  apiBase: /admin/api\n",
            f"  apiBase: /admin/api\n  url: {listener.url}\n  clientId: stolen\n",
        )
        + f"dotmailer:\n  apiUrl: {listener.url}/\n",
        encoding="utf-8",
    )
    seed_file = tmp_path / "seed.yaml"
    seed_file.write_text(yaml.safe_dump(fast_seed()), encoding="utf-8")
    sandbox = Sandbox.open(tmp_path / "sandbox-data", seed_file)
    server = sandbox.serve("127.0.0.1", 0)
    base_env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "CI": "true",
        "RECONCILER_LOG_DIR": str(tmp_path / "logs"),
        **{
            name: value for name, value in SECRETS.items() if name != "RECONCILER_ORO_CLIENT_SECRET"
        },
    }
    try:
        yield Checkout(root, config, listener, sandbox, server, base_env)
    finally:
        server.stop()
        listener.close()


def test_a_config_naming_its_own_endpoints_is_refused_in_ci_before_any_request(
    checkout: Checkout,
) -> None:
    checkout.set_password("{file: ../.git/config}")
    env = {
        **checkout.base_env,
        "RECONCILER_ORO_CLIENT_SECRET": SECRETS["RECONCILER_ORO_CLIENT_SECRET"],
    }
    run = checkout.plan(env, "--detailed-exitcode")
    assert (run.returncode, run.stdout, run.stderr) == (3, "", REFUSED_IN_CI)
    assert checkout.listener.received == []
    # Loopback is no exception, and neither is any other CI value than false/0.
    run = checkout.plan({**env, "CI": "1"})
    assert (run.returncode, run.stderr) == (3, REFUSED_IN_CI)
    assert checkout.listener.received == []


@pytest.mark.parametrize("where", ["git", "outside"])
def test_a_file_secret_outside_the_config_or_in_git_is_refused_before_any_request(
    checkout: Checkout, tmp_path: Path, where: str
) -> None:
    if where == "git":
        checkout.set_password("{file: ../.git/config}")
        reason = (
            f"{checkout.root}/.git/config is inside a .git directory; secrets are never read "
            "from one"
        )
    else:
        (tmp_path / "elsewhere").write_text("sandbox-emea-pw\n", encoding="utf-8")
        checkout.set_password(f"{{file: {tmp_path}/elsewhere}}")
        reason = (
            f"{tmp_path}/elsewhere is outside the config directory {checkout.config} and "
            "RECONCILER_SECRET_DIRS; list its directory in RECONCILER_SECRET_DIRS to read "
            "secrets from there"
        )
    run = checkout.plan(checkout.pinned_env(), "--detailed-exitcode")
    written = "../.git/config" if where == "git" else f"{tmp_path}/elsewhere"
    assert (run.returncode, run.stdout, run.stderr) == (
        3,
        "",
        f"error: integrations/emea.yaml:15:15: secret {{file: {written}}}: {reason}\n",
    )
    assert checkout.listener.received == []
    assert checkout.sandbox.requests == {}


def test_with_the_environment_pinning_the_endpoints_the_plan_runs(checkout: Checkout) -> None:
    (checkout.config / "secrets").mkdir()
    (checkout.config / "secrets" / "emea").write_text("sandbox-emea-pw\n", encoding="utf-8")
    checkout.set_password("{file: secrets/emea}")
    run = checkout.plan(checkout.pinned_env(), "--detailed-exitcode")
    assert (run.returncode, run.stderr) == (2, ""), run.stdout
    assert run.stdout.endswith(PLAN_LINE)
    assert checkout.listener.received == []
    assert sorted(checkout.sandbox.requests) == ["dotmailer", "oro"]


def test_the_embedded_sandbox_keeps_working_in_ci(checkout: Checkout) -> None:
    run = checkout.plan(checkout.base_env, "--sandbox", "--detailed-exitcode")
    assert (run.returncode, run.stderr) == (2, ""), run.stdout
    assert run.stdout.endswith(PLAN_LINE)
    assert checkout.listener.received == []


def test_outside_ci_the_config_names_its_oro_and_a_loopback_emulator(checkout: Checkout) -> None:
    settings = checkout.config / "reconciler.yaml"
    text = settings.read_text(encoding="utf-8").replace(checkout.listener.url, checkout.server.url)
    text = text.replace("clientId: stolen", "clientId: ci")
    settings.write_text(text, encoding="utf-8")
    env = {
        **checkout.base_env,
        "CI": "false",
        "RECONCILER_ORO_CLIENT_SECRET": SECRETS["RECONCILER_ORO_CLIENT_SECRET"],
        "RECONCILER_STATE": f"sqlite:///{checkout.root / 'state.db'}",
    }
    run = checkout.plan(env, "--detailed-exitcode")
    assert (run.returncode, run.stderr) == (2, ""), run.stdout
    assert run.stdout.endswith(PLAN_LINE)
    assert sorted(checkout.sandbox.requests) == ["dotmailer", "oro"]
    # Any other dotmailer override must come from the environment, CI or not.
    settings.write_text(
        text.replace(f"apiUrl: {checkout.server.url}/", "apiUrl: https://dm.attacker.example/"),
        encoding="utf-8",
    )
    run = checkout.plan(env)
    assert (run.returncode, run.stdout, run.stderr) == (
        3,
        "",
        "error: integrations/reconciler.yaml: dotmailer.apiUrl: an API URL override in the "
        "config is honoured only on a loopback address (a local emulator), not on "
        "dm.attacker.example; set RECONCILER_DOTMAILER_API_URL to use another\n",
    )


def test_a_password_too_short_for_dotmailer_is_refused_before_any_request(
    checkout: Checkout,
) -> None:
    # Issue 11 item 8: oroinc/OroCRMDotmailerBundle Resources/config/validation.yml gives the
    # transport password Length 8..255; a shorter value is no credential, and never sent.
    env = {**checkout.pinned_env(), "DOTMAILER_EMEA_PASSWORD": "xist"}
    run = checkout.plan(env, "--detailed-exitcode")
    assert (run.returncode, run.stdout, run.stderr) == (
        3,
        "",
        "error: integrations/emea.yaml:15:15: secret {env: DOTMAILER_EMEA_PASSWORD}: a dotmailer "
        "password is 8–255 characters, and this value is not\n",
    )
    assert checkout.sandbox.requests == {}
    assert checkout.listener.received == []
