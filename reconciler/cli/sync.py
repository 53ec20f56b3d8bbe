"""``reconciler sync NAME``: schedule an Oro sync for one integration, optionally wait for it."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import click

from reconciler.cli.common import config_option, make_session_options, session_options
from reconciler.errors import EXIT_OK, RemoteError, UsageError
from reconciler.model import DOTMAILER_CONNECTORS
from reconciler.progress import SYNC, current


@click.command("sync")
@click.argument("name")
@config_option
@click.option(
    "--connector",
    type=click.Choice(DOTMAILER_CONNECTORS),
    help="Only this connector; default: all of them.",
)
@click.option(
    "--force",
    is_flag=True,
    help="Run the data-field import now (Oro's datafields-force-sync; Oro skips it for a day "
    "after the last one otherwise).",
)
@click.option("--wait", is_flag=True, help="Wait for the job to finish; fail if it fails.")
@click.option(
    "--timeout", type=float, default=600.0, show_default=True, help="Seconds to wait with --wait."
)
@click.option("--poll-interval", type=float, default=2.0, show_default=True)
@session_options
def command(
    name: str,
    config_path: Path,
    connector: str | None,
    force: bool,
    wait: bool,
    timeout: float,
    poll_interval: float,
    **kwargs: Any,
) -> int:
    """Schedule an Oro sync for integration NAME."""
    from reconciler.session import open_session

    # Only Oro is called: scope the session to this integration so no other secret is read.
    kwargs["integrations"] = (name,)
    with open_session(make_session_options(config_path, **kwargs)) as session:
        channel = next((c for c in session.oro.list_integrations() if c.name == name), None)
        if channel is None:
            raise UsageError(f"integration {name!r} does not exist in Oro yet; apply it first")
        job = session.oro.schedule_sync(channel.id, connector, force)
        if job.already_active:
            click.echo(
                f"A sync of {name} was already {job.status}: job {job.id}; Oro scheduled "
                "nothing else (it runs with its own connector and options)"
            )
        else:
            click.echo(f"Scheduled sync of {name} ({connector or 'all connectors'}): job {job.id}")
        if not wait:
            return EXIT_OK
        deadline = time.monotonic() + timeout
        while not job.finished:
            if time.monotonic() > deadline:
                raise RemoteError(f"sync job {job.id} of {name} did not finish in {timeout:g} s")
            current().status(SYNC, f"job {job.id}: {job.status} ({job.progress:.0%})")
            time.sleep(poll_interval)
            job = session.oro.get_job(job.id)
        current().end(SYNC)
    if job.status != "success":
        raise RemoteError(f"sync job {job.id} of {name} ended {job.status}")
    click.echo(f"Sync job {job.id} of {name} succeeded.")
    return EXIT_OK
