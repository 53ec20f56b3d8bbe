"""The embedded sandbox behind ``--sandbox``: the emulators of both APIs on a loopback port,
persisted under ``.reconciler/sandbox/`` so a fresh clone can run plan -> apply -> plan with no
account anywhere (SPEC §6). It knows the sandbox-only credentials, so no secret is needed."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SANDBOX_DIR = Path(".reconciler") / "sandbox"
SANDBOX_STATE_URL = "sqlite:///.reconciler/sandbox/state.db"
# Sandbox-only OAuth client secret: the sandbox never checks it, so no env variable is needed.
SANDBOX_OAUTH_SECRET = "sandbox-oauth-client-secret"


@dataclass
class EmbeddedSandbox:
    url: str
    passwords: Mapping[str, str]  # dotmailer username -> sandbox password
    oro_client: tuple[str, str]
    server: Any

    def stop(self) -> None:
        self.server.stop()


def sandbox_dir(environment: str | None) -> Path:
    """Where the embedded sandbox keeps its world: one world per environment, as each
    environment is its own Oro (``.reconciler/sandbox/environments/NAME/``)."""
    return SANDBOX_DIR if environment is None else SANDBOX_DIR / "environments" / environment


def start_sandbox(
    seed_path: Path | None, base_dir: Path, environment: str | None = None
) -> EmbeddedSandbox:
    """Open (or create) the sandbox world of ``environment`` under ``base_dir`` and serve it
    on loopback."""
    from reconciler.sandbox.world import DEFAULT_SEED, Sandbox, load_seed

    seed = seed_path or DEFAULT_SEED
    data = load_seed(seed)
    world = Sandbox.open(base_dir / sandbox_dir(environment), seed)
    server = world.serve("127.0.0.1", 0)
    accounts = (data.get("dotmailer") or {}).get("accounts") or []
    clients = (data.get("oro") or {}).get("clients") or [{"id": "ci", "secret": ""}]
    return EmbeddedSandbox(
        url=server.url,
        passwords={str(a["username"]): str(a["password"]) for a in accounts},
        oro_client=(str(clients[0]["id"]), str(clients[0]["secret"])),
        server=server,
    )
