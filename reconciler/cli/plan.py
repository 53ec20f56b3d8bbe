"""``reconciler plan``: refresh, compare, render; optionally save the plan."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from reconciler.cli.common import (
    decision_options,
    is_tty,
    make_session_options,
    progress,
    selector_option,
    session_options,
)
from reconciler.errors import EXIT_CHANGES, EXIT_OK

if TYPE_CHECKING:
    from reconciler.plan.compare import PlanOptions


def plan_options(
    session: Any, *, allow_replace: tuple[str, ...], allow_empty: bool, refresh_only: bool = False
) -> PlanOptions:
    from reconciler.plan.compare import PlanOptions

    settings = session.desired.settings
    return PlanOptions(
        prune=settings.prune,
        max_deletes=settings.max_deletes,
        allow_empty=allow_empty,
        allow_replace=frozenset(allow_replace),
        integrations=session.options.integrations,
        refresh_only=refresh_only,
    )


@click.command("plan")
@click.argument("path", type=click.Path(exists=True, path_type=Path), default=".")
@click.option(
    "--out",
    "out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Save the plan to FILE for `reconciler apply FILE`.",
)
@click.option(
    "--detailed-exitcode",
    is_flag=True,
    help="Exit 2 when there are changes, 0 when there are none.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "markdown"]),
    default="text",
    show_default=True,
)
@click.option("--refresh-only", is_flag=True, help="Only show drift; plan no changes.")
@decision_options
@selector_option
@session_options
def command(
    path: Path,
    out: Path | None,
    detailed_exitcode: bool,
    fmt: str,
    refresh_only: bool,
    allow_replace: tuple[str, ...],
    allow_empty: bool,
    **kwargs: Any,
) -> int:
    """Show what apply would change."""
    from reconciler.plan.render import render
    from reconciler.plan.saved import write_plan_file
    from reconciler.session import open_session

    with open_session(make_session_options(path, **kwargs)) as session:
        progress("Refreshing live state…")
        options = plan_options(
            session, allow_replace=allow_replace, allow_empty=allow_empty, refresh_only=refresh_only
        )
        plan, _ = session.plan(options)
    if out is not None:
        write_plan_file(out, plan, options, sandbox=bool(kwargs.get("sandbox")))
    click.echo(render(plan, fmt, color=is_tty() and fmt == "text"), nl=False)  # type: ignore[arg-type]
    if out is not None and fmt == "text":
        click.echo(f"\nSaved the plan to {out}. Apply it with: reconciler apply {out}")
    changed = plan.has_changes or (refresh_only and bool(plan.drift))
    return EXIT_CHANGES if detailed_exitcode and changed else EXIT_OK
