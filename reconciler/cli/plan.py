"""``reconciler plan``: refresh, compare, render; optionally save the plan.

Exit codes (README): 0 planned; 2 with ``--detailed-exitcode`` when there are changes; 3 when
apply would refuse the plan (a blocked op, or a replace that needs ``--allow-replace`` or
``replaceOnChange``), after the plan is shown and saved, as Terraform's plan fails on a
``prevent_destroy`` and Atlantis fails a plan's policy check: the pull request's check then
says a decision is needed before merge, not the apply after it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from reconciler.cli.common import (
    decision_options,
    github_annotations,
    is_tty,
    make_session_options,
    progress,
    saved_sandbox,
    selector_option,
    session_options,
)
from reconciler.errors import EXIT_CHANGES, EXIT_OK, ConfigError

if TYPE_CHECKING:
    from reconciler.plan.compare import PlanOptions
    from reconciler.plan.render.common import Risk


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
    type=click.Choice(["text", "json", "markdown", "mermaid", "github"]),
    default="text",
    show_default=True,
    help="github: the text plan, then a ::warning for each delete and replace and an ::error "
    "for each operation apply refuses, at the line of its document (config errors too).",
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
    from reconciler.plan.render.common import Risk
    from reconciler.plan.render.github import op_locations, plan_annotations
    from reconciler.plan.saved import write_plan_file
    from reconciler.session import open_session

    github = fmt == "github"
    annotate = github_annotations(force=github)
    with open_session(make_session_options(path, **kwargs)) as session:
        progress("Refreshing live state…")
        options = plan_options(
            session, allow_replace=allow_replace, allow_empty=allow_empty, refresh_only=refresh_only
        )
        plan, _ = session.plan(options)
        sandbox = saved_sandbox(session)
        locations = op_locations(session.desired) if annotate else {}
    if out is not None:
        write_plan_file(out, plan, options, sandbox=sandbox)
    shown = "text" if github else fmt
    click.echo(render(plan, shown, color=is_tty() and fmt == "text"), nl=False)  # type: ignore[arg-type]
    if annotate:
        # --format github: after the plan on stdout. Under GITHUB_ACTIONS otherwise: on stderr,
        # which the runner reads too, so stdout (often saved as the readable plan) stays as is.
        lines = plan_annotations(plan, locations, os.environ.get("GITHUB_WORKSPACE"))
        click.echo(lines, nl=False, err=not github)
    risk = Risk.of(plan)
    if out is not None and shown == "text":
        then = "" if risk.needs_decision else f" Apply it with: reconciler apply {out}"
        click.echo(f"\nSaved the plan to {out}.{then}")
    if risk.needs_decision:
        raise ConfigError(f"apply refuses this plan: {_decisions(risk)} (marked in the plan)")
    changed = plan.has_changes or (refresh_only and bool(plan.drift))
    return EXIT_CHANGES if detailed_exitcode and changed else EXIT_OK


def _decisions(risk: Risk) -> str:
    parts = []
    if risk.blocked:
        operations = "operation is" if risk.blocked == 1 else "operations are"
        parts.append(f"{risk.blocked} {operations} blocked")
    if risk.gated:
        replaces = "replace needs" if risk.gated == 1 else "replaces need"
        parts.append(f"{risk.gated} {replaces} --allow-replace or replaceOnChange: true")
    return " and ".join(parts)
