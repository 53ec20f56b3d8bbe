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


def sandbox_dir(environment: str | None) -> Path:
    """Where the embedded sandbox keeps its world: one world per environment, as each
    environment is its own Oro (``.reconciler/sandbox/environments/NAME/``)."""
    return SANDBOX_DIR if environment is None else SANDBOX_DIR / "environments" / environment


def start_sandbox(
    seed_path: Path | None, base_dir: Path, environment: str | None = None
) -> EmbeddedSandbox:
    """Open (or create) the sandbox world of ``environment`` under ``base_dir`` and serve it
    on loopback."""
    from reconciler.sandbox.world import Sandbox

    world = Sandbox.open(base_dir / sandbox_dir(environment), seed_path)
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
    from reconciler.sandbox.world import DEFAULT_SEED, SeedRecord, load_seed, reset_command

    record = world.seed
    path = Path(record.path) if record is not None else given or DEFAULT_SEED
    if record is not None and (not path.is_file() or SeedRecord.of(path) != record):
        assert world.data_dir is not None  # only a world on disk records its seed
        raise ConfigError(
            f"the sandbox world in {display_path(world.data_dir)} was made from {record.path}, "
            "which has changed or is gone since, so its credentials are unknown; "
            f"`{reset_command(world.data_dir)}` starts a new world"
        )
    return record or SeedRecord.of(path), Credentials.of(load_seed(path))


def reset_sandbox(data_dir: Path, environment: str | None = None) -> list[Path]:
    """Remove the world of ``environment`` kept under ``data_dir`` (the sandbox directory) and
    the embedded sandbox's state of that environment beside it: ``environments/NAME/`` and
    ``state.NAME.db`` with one, the world in ``data_dir`` and ``state.db`` without."""
    from reconciler.sandbox.world import remove_world

    world_dir = data_dir if environment is None else data_dir / "environments" / environment
    removed = remove_world(world_dir)
    for name in STATE_FILES:
        if environment is not None:
            stem, _, suffix = name.partition(".")
            name = f"{stem}.{environment}.{suffix}"
        path = data_dir / name
        if path.exists():
            path.unlink()
            removed.append(path)
    return removed
