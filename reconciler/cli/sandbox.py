"""``reconciler sandbox serve``: the dotmailer and Oro emulators on one loopback port (SPEC §6)."""

from __future__ import annotations

import signal
import time
from pathlib import Path
from types import FrameType

import click

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
              default=Path(".reconciler/sandbox"), show_default=True,
              help="Where the world is kept; an existing world wins over --seed.")  # fmt: skip
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
) -> int:
    """Serve the sandbox until Ctrl-C (which stops it cleanly, exit code 0)."""
    from reconciler.sandbox.core import Faults
    from reconciler.sandbox.world import DEFAULT_SEED, WORLD_FILE, Sandbox

    sandbox = Sandbox.open(data_dir, seed, oro_mode=oro_mode)
    faults = Faults(
        latency_ms=latency_ms,
        error_rate=error_rate,
        timeout_rate=timeout_rate,
        drop_after_commit_rate=drop_rate,
        paths=fault_paths,
    )
    server = sandbox.serve(host, port, faults)
    url = server.url
    click.echo(f"Sandbox serving on {url}")
    click.echo(f"  dotmailer v2  {url}/v2/  (regions r2, r3: {url}/r2/v2/, {url}/r3/v2/)")
    for username in sorted(sandbox.dotmailer.accounts):
        account = sandbox.dotmailer.account(username)
        click.echo(f"    {username}  {account.region}  {account.rate_limit.mode}")
    if sandbox.oro is not None:
        click.echo(
            f"  Oro           {url}/admin/api/  (token: {url}/oauth2-token, mode {oro_mode})"
        )
    click.echo(f"  credentials   {(seed or DEFAULT_SEED).resolve()}")
    click.echo(f"  world         {(data_dir / WORLD_FILE).resolve()}")
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
