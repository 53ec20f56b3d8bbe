"""The embedded sandbox behind ``--sandbox``: the emulators of both APIs on a loopback port,
persisted under ``.reconciler/sandbox/`` so a fresh clone can run plan -> apply -> plan with no
account anywhere (SPEC §6). It knows the sandbox-only credentials, so no secret is needed: they
are the seed's that the world was made from, whichever seed a later run is given or not."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from reconciler.sandbox.world import Sandbox, SeedRecord

SANDBOX_DIR = Path(".reconciler") / "sandbox"
SANDBOX_STATE_URL = "sqlite:///.reconciler/sandbox/state.db"
STATE_FILES = ("state.db", "state.db-wal", "state.db-shm")
# Sandbox-only OAuth client secret: the sandbox never checks it, so no env variable is needed.
SANDBOX_OAUTH_SECRET = "sandbox-oauth-client-secret"


@dataclass(frozen=True)
class Credentials:
    """The sandbox-only credentials of a seed: dotmailer passwords and the Oro client."""

    passwords: Mapping[str, str]  # dotmailer username -> sandbox password
    oro_client: tuple[str, str]

    @classmethod
    def of(cls, seed: Mapping[str, Any]) -> Credentials:
        accounts = (seed.get("dotmailer") or {}).get("accounts") or []
        clients = (seed.get("oro") or {}).get("clients") or [{"id": "ci", "secret": ""}]
        return cls(
            passwords={str(a["username"]): str(a.get("password", "")) for a in accounts},
            oro_client=(str(clients[0]["id"]), str(clients[0]["secret"])),
        )


@dataclass
class EmbeddedSandbox:
    url: str
    passwords: Mapping[str, str]  # dotmailer username -> sandbox password
    oro_client: tuple[str, str]
    seed: SeedRecord  # the seed the world was made from
    server: Any

    def stop(self) -> None:
        self.server.stop()


def start_sandbox(seed_path: Path | None, base_dir: Path) -> EmbeddedSandbox:
    """Open (or create) the sandbox world under ``base_dir`` and serve it on loopback."""
    from reconciler.sandbox.world import Sandbox

    world = Sandbox.open(base_dir / SANDBOX_DIR, seed_path)
    seed, credentials = world_seed(world, seed_path)
    server = world.serve("127.0.0.1", 0)
    return EmbeddedSandbox(
        url=server.url,
        passwords=credentials.passwords,
        oro_client=credentials.oro_client,
        seed=seed,
        server=server,
    )


def world_seed(world: Sandbox, given: Path | None) -> tuple[SeedRecord, Credentials]:
    """The seed ``world`` was made from and its credentials; refused when that file has
    changed or is gone since. A world older than the record is taken to be of the seed given
    (the packaged one without)."""
    from reconciler.config.loader import display_path
    from reconciler.errors import ConfigError
    from reconciler.sandbox.world import DEFAULT_SEED, SeedRecord, load_seed

    record = world.seed
    path = Path(record.path) if record is not None else given or DEFAULT_SEED
    if record is not None and (not path.is_file() or SeedRecord.of(path) != record):
        where = display_path(world.data_dir) if world.data_dir is not None else "memory"
        raise ConfigError(
            f"the sandbox world in {where} was made from {record.path}, which has "
            "changed or is gone since, so its credentials are unknown; "
            f"`reconciler sandbox reset --data-dir {where}` starts a new world"
        )
    return record or SeedRecord.of(path), Credentials.of(load_seed(path))


def reset_sandbox(data_dir: Path) -> list[Path]:
    """Remove the world in ``data_dir`` and the embedded sandbox's state beside it."""
    from reconciler.sandbox.world import remove_world

    removed = remove_world(data_dir)
    for name in STATE_FILES:
        path = data_dir / name
        if path.exists():
            path.unlink()
            removed.append(path)
    return removed
