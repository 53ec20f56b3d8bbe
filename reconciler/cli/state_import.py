"""``reconciler state import ADDR ID``: bind a declared address to an existing live object."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from reconciler.cli.common import config_option, make_session_options, session_options
from reconciler.errors import EXIT_OK


@click.command("import")
@click.argument("address")
@click.argument("remote_id", metavar="ID")
@config_option
@session_options
def command(address: str, remote_id: str, config_path: Path, **kwargs: Any) -> int:
    """Record that ADDRESS is the live object ID (dotmailer book id, Oro id, or field name)."""
    from reconciler.importer import import_object
    from reconciler.session import open_session

    with open_session(make_session_options(config_path, **kwargs)) as session:
        record = import_object(session, address, remote_id)
    ids = ", ".join(f"{k}={v}" for k, v in sorted(record.remote_ids.items()))
    click.echo(f"Imported {record.address} ({ids}). Run `reconciler plan` to see what differs.")
    return EXIT_OK
