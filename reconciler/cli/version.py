"""``reconciler version``."""

from __future__ import annotations

import click

from reconciler import __version__


@click.command("version")
def command() -> int:
    """Print the version."""
    click.echo(f"reconciler {__version__}")
    return 0
