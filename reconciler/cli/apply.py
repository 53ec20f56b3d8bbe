"""``reconciler apply``: apply a fresh plan (after confirmation) or a saved, reviewed one."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from reconciler.cli.common import (
    decision_options,
    is_tty,
    make_session_options,
    progress,
    saved_sandbox,
    selector_option,
    session_options,
)
from reconciler.cli.plan import plan_options
from reconciler.errors import EXIT_APPLY_PARTIAL, EXIT_OK, UsageError

if TYPE_CHECKING:
    from reconciler.execute import ApplyResult, OpResult


def _is_plan_file(path: Path) -> bool:
    from reconciler.plan.saved import PLAN_FILE_KIND

    if not path.is_file():
        return False
    try:
        with path.open("rb") as fh:
            head = fh.read(4096)
    except OSError:
        return False
    return head.lstrip().startswith(b"{") and PLAN_FILE_KIND.encode() in head


def render_results(result: ApplyResult) -> str:
    """The closing table of an apply: one row per operation, then the counts."""
    from reconciler.execute import FAILED, SKIPPED

    rows = [("OPERATION", "ADDRESS", "RESULT", "DETAIL")] + [
        (r.action, r.address, r.status, r.detail) for r in result.results
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = [
        "  ".join(cell.ljust(widths[i]) if i < 3 else cell for i, cell in enumerate(row)).rstrip()
        for row in rows
    ]
    counts = (
        f"Apply finished: {result.count('succeeded')} succeeded, {result.count(FAILED)} failed, "
        f"{result.count(SKIPPED)} skipped."
    )
    return "\n".join([*lines, "", counts]) + "\n"


def _echo_result(result: OpResult) -> None:
    progress(f"  {result.status}: {result.action} {result.address}")


@click.command("apply")
@click.argument("target", type=click.Path(exists=True, path_type=Path), default=".")
@click.option("--auto-approve", is_flag=True, help="Apply without asking for confirmation.")
@decision_options
@click.option("--no-sync", is_flag=True, help="Do not schedule Oro syncs after the apply.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Format of the result table.",
)
@selector_option
@session_options
def command(
    target: Path,
    auto_approve: bool,
    allow_replace: tuple[str, ...],
    allow_empty: bool,
    no_sync: bool,
    fmt: str,
    **kwargs: Any,
) -> int:
    """Apply the configuration in TARGET (a directory) or a saved plan file."""
    from reconciler.plan.render import render
    from reconciler.plan.saved import check_not_stale, check_sandbox_seed, read_plan_file
    from reconciler.session import open_session

    saved = None
    config_path = target
    if _is_plan_file(target):
        if allow_replace or allow_empty or kwargs.get("selector"):
            raise UsageError(
                "a saved plan keeps the decisions it was made with, and its scope; make a new "
                "plan with --allow-replace/--allow-empty/--selector and apply that"
            )
        saved_file = read_plan_file(target)
        saved, saved_options = saved_file.plan, saved_file.options
        config_path = Path(saved.config_path)
        chosen = kwargs.get("environment")
        if chosen is not None and chosen != saved.environment:
            made_in = f"environment {saved.environment}" if saved.environment else "no environment"
            raise UsageError(
                f"{target} was made in {made_in}, not in environment {chosen}; a saved plan "
                "is applied where it was made"
            )
        kwargs["environment"] = saved.environment
        kwargs["integrations"] = saved_options.integrations
        if saved_file.sandbox is not None:  # applied to the world of the seed it was made with
            kwargs["sandbox"] = True
            kwargs["sandbox_seed"] = kwargs.get("sandbox_seed") or Path(saved_file.sandbox.path)
    with open_session(make_session_options(config_path, **kwargs)) as session:  # noqa: SIM117
        with session.locked("apply"):
            progress("Refreshing live state…")
            if saved is not None:
                current = saved_sandbox(session)
                if saved_file.sandbox is not None and current is not None:
                    check_sandbox_seed(saved_file.sandbox, current)
                options = saved_options
                fresh, world = session.plan(options)
                snapshot = session.store.read()
                check_not_stale(
                    saved,
                    fresh,
                    snapshot.lineage,
                    snapshot.serial,
                    session.store.scopes_written_since(saved.state_serial),
                )
                plan = saved
            else:
                options = plan_options(
                    session, allow_replace=allow_replace, allow_empty=allow_empty
                )
                plan, world = session.plan(options)
                if fmt == "text":
                    click.echo(render(plan, "text", color=is_tty()), nl=False)
                if not plan.has_changes:
                    if fmt == "json":
                        click.echo(json.dumps({"results": [], "summary": {}}, indent=2))
                    return EXIT_OK
                if not auto_approve:
                    if not sys.stdin.isatty():
                        raise UsageError(
                            "apply needs --auto-approve when it cannot ask (no terminal), or "
                            "a saved plan: reconciler plan --out plan.json, then apply plan.json"
                        )
                    if not click.confirm("\nApply these changes?", default=False):
                        click.echo("Apply cancelled; nothing was changed.")
                        return EXIT_OK
            result = session.apply(plan, world, schedule_syncs=not no_sync, on_result=_echo_result)
    if fmt == "json":
        click.echo(
            json.dumps(
                {
                    "results": [r.__dict__ for r in result.results],
                    "summary": {s: result.count(s) for s in ("succeeded", "failed", "skipped")},
                    "jobs": dict(sorted(result.jobs.items())),
                },
                indent=2,
                sort_keys=True,
            )
        )
    else:
        click.echo("\n" + render_results(result), nl=False)
    return EXIT_APPLY_PARTIAL if result.failed else EXIT_OK
