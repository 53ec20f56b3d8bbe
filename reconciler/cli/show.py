"""``reconciler show PLANFILE``: a saved plan, rendered as ``plan`` rendered it, offline."""

from __future__ import annotations

from pathlib import Path

import click

from reconciler.cli.common import is_tty
from reconciler.errors import EXIT_OK
from reconciler.plan.render import render
from reconciler.plan.saved import read_plan_file


@click.command("show")
@click.argument("planfile", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "markdown"]),
    default="text",
    show_default=True,
)
def command(planfile: Path, fmt: str) -> int:
    """Show the plan saved in PLANFILE (by `plan --out`) without reading any live system.

    The output is what `plan --format FORMAT` printed when it saved the plan.
    """
    saved = read_plan_file(planfile)
    click.echo(render(saved.plan, fmt, color=is_tty() and fmt == "text"), nl=False)  # type: ignore[arg-type]
    return EXIT_OK
