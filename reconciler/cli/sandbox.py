"""``reconciler sandbox serve|reset``: the dotmailer and Oro emulators on one loopback port, and
starting their world again (SPEC §6, docs/sandbox.md)."""

from __future__ import annotations

import shlex
import signal
import time
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

import click

from reconciler.cli.common import env_option
from reconciler.errors import EXIT_OK

if TYPE_CHECKING:  # the emulators load only when a sandbox command runs (fast --help)
    from reconciler.sandbox.embedded import Credentials
    from reconciler.sandbox.world import Sandbox

SANDBOX_DIR = Path(".reconciler") / "sandbox"  # reconciler.sandbox.embedded.SANDBOX_DIR

_RATE = click.FloatRange(0.0, 1.0)


@click.group("sandbox")
def group() -> None:
    """Local emulators of the dotmailer and Oro APIs."""


@group.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True,
              help="Port to listen on (0: any free port).")  # fmt: skip
@click.option("--seed", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Seed YAML for a new world (default: the packaged default seed).")  # fmt: skip
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path),
              default=SANDBOX_DIR, show_default=True,
              help="Where the world is kept (an existing world keeps the seed it was made "
                   "from; `sandbox reset` removes it).")  # fmt: skip
@click.option("--oro-mode", type=click.Choice(["stock", "extended"]), default="extended",
              show_default=True, help="Stock Oro, or Oro with the extended contract.")  # fmt: skip
@click.option(
    "--latency-ms", type=click.FloatRange(0.0), default=0.0, help="Added to every answer."
)
@click.option("--error-rate", type=_RATE, default=0.0, help="Share of requests answered 503.")
@click.option("--timeout-rate", type=_RATE, default=0.0,
              help="Share of requests that hang, then close without an answer.")  # fmt: skip
@click.option("--drop-rate", type=_RATE, default=0.0,
              help="Share of requests carried out, then closed without an answer.")  # fmt: skip
@click.option("--fault-path", "fault_paths", multiple=True, metavar="PREFIX",
              help="Limit the faults to paths starting with PREFIX (repeatable).")  # fmt: skip
@click.option("--config", "config_path", type=click.Path(exists=True, path_type=Path),
              default=None,
              help="Also print the password variables this configuration reads.")  # fmt: skip
def serve(
    host: str,
    port: int,
    seed: Path | None,
    data_dir: Path,
    oro_mode: str,
    latency_ms: float,
    error_rate: float,
    timeout_rate: float,
    drop_rate: float,
    fault_paths: tuple[str, ...],
    config_path: Path | None,
) -> int:
    """Serve the sandbox until Ctrl-C (which stops it cleanly, exit code 0).

    It prints the variables that point reconciler at it, with the seed's sandbox-only
    credentials; with --config, also each integration's password variable.
    """
    from reconciler.sandbox.core import Faults
    from reconciler.sandbox.embedded import world_seed
    from reconciler.sandbox.world import WORLD_FILE, Sandbox

    sandbox = Sandbox.open(data_dir, seed, oro_mode=oro_mode)
    record, credentials = world_seed(sandbox, seed)
    variables = _exports(sandbox, credentials, config_path)
    faults = Faults(
        latency_ms=latency_ms,
        error_rate=error_rate,
        timeout_rate=timeout_rate,
        drop_after_commit_rate=drop_rate,
        paths=fault_paths,
    )
    server = sandbox.serve(host, port, faults)
    url = server.url
    exports = [(name, url if value is None else value) for name, value in variables]
    click.echo(f"Sandbox serving on {url}")
    click.echo(f"  dotmailer v2  {url}/v2/  (regions r2, r3: {url}/r2/v2/, {url}/r3/v2/)")
    for username in sorted(sandbox.dotmailer.accounts):
        account = sandbox.dotmailer.account(username)
        click.echo(f"    {username}  {account.region}  {account.rate_limit.mode}")
    if sandbox.oro is not None:
        click.echo(
            f"  Oro           {url}/admin/api/  (token: {url}/oauth2-token, mode {oro_mode})"
        )
    click.echo(f"  seed          {record.path}")
    click.echo(f"  world         {(data_dir / WORLD_FILE).resolve()}")
    click.echo("Point reconciler at it (sandbox-only credentials, from the seed):")
    for name, value in exports:
        click.echo(f"  export {name}={shlex.quote(value)}")
    if config_path is None:
        click.echo("  # --config DIR adds the password variables of your integrations")
    click.echo("Press Ctrl-C to stop.")

    def on_term(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    # Ctrl-C works even when started in the background with SIGINT ignored; SIGTERM likewise.
    previous_int = signal.signal(signal.SIGINT, signal.default_int_handler)
    previous = signal.signal(signal.SIGTERM, on_term)
    try:
        while True:
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        signal.signal(signal.SIGINT, previous_int)
        server.stop()
    click.echo("Sandbox stopped.")
    return 0


def _exports(
    sandbox: Sandbox, credentials: Credentials, config_path: Path | None
) -> list[tuple[str, str | None]]:
    """The variables to export, in order; None stands for the server's URL (not known yet)."""
    from reconciler.config import load_desired_state
    from reconciler.model import SecretSource
    from reconciler.sandbox.embedded import SANDBOX_OAUTH_SECRET

    exports: list[tuple[str, str | None]] = [("RECONCILER_DOTMAILER_API_URL", None)]
    if sandbox.oro is not None:
        client_id, secret = credentials.oro_client
        exports += [
            ("RECONCILER_ORO_URL", None),
            ("RECONCILER_ORO_API_BASE", sandbox.oro.api_base),
            ("RECONCILER_ORO_CLIENT_ID", client_id),
            ("RECONCILER_ORO_CLIENT_SECRET", secret),
        ]
    if config_path is None:
        return exports
    desired, _ = load_desired_state(config_path, connects=False)
    secrets: dict[str, str] = {}
    for integration in desired.integrations:
        password = integration.connection.password
        if password.source == SecretSource.ENV:
            # An account the seed does not have answers 401, as a wrong password would.
            secrets[password.ref] = credentials.passwords.get(integration.connection.username, "")
        oauth = integration.oauth
        if oauth is not None and oauth.client_secret.source == SecretSource.ENV:
            secrets[oauth.client_secret.ref] = SANDBOX_OAUTH_SECRET  # never checked
    return exports + sorted(secrets.items())


@group.command("reset")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path),
              default=SANDBOX_DIR, show_default=True,
              help="The sandbox directory whose world to remove.")  # fmt: skip
@env_option()
def reset(data_dir: Path, environment: str | None) -> int:
    """Remove the sandbox world and the embedded sandbox's state beside it.

    With --env NAME (or RECONCILER_ENV), the world of that environment and its state
    (docs/environments.md); the other environments' worlds are kept.

    The next `--sandbox` run (or `sandbox serve`) starts a new world from the seed it is given
    (--sandbox-seed / --seed; the packaged seed by default). Stop a running `sandbox serve`
    on this directory first.
    """
    from reconciler.config.loader import display_path
    from reconciler.sandbox.embedded import reset_sandbox

    removed = reset_sandbox(data_dir, environment)
    where = display_path(data_dir)
    if environment is not None:
        where = f"{where} (environment {environment})"
    if not removed:
        click.echo(f"No sandbox world in {where}; nothing to reset.")
        return EXIT_OK
    click.echo(f"Removed the sandbox world in {where}:")
    for path in removed:
        click.echo(f"  {path.name}")
    return EXIT_OK
