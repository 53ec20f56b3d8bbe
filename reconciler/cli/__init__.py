"""The command line: a click group, one module per command, and the one error boundary.

Only this package prints or exits. Library code raises ``ReconcilerError`` subclasses, each
carrying its exit code (SPEC §4); :func:`main` turns them into one calm line on stderr and
writes unexpected tracebacks to a log file (``--debug`` re-raises instead).
"""

from __future__ import annotations

import gc
import os
import sys
import tempfile
import traceback
from dataclasses import dataclass, field
from pathlib import Path

import click

from reconciler import __version__
from reconciler.cli.common import COLOR_MODES, click_color, wants_color
from reconciler.errors import (
    EXIT_INTERRUPTED,
    EXIT_UNEXPECTED,
    EXIT_USAGE,
    ConfigError,
    ReconcilerError,
)


@dataclass
class AppContext:
    """What every command receives in ``ctx.obj``."""

    debug: bool = False
    color: str = "auto"
    # Errors as GitHub workflow commands (``::error file=…``): under GITHUB_ACTIONS, or
    # when a command's --format github asks for it.
    annotations: bool = field(default_factory=lambda: os.environ.get("GITHUB_ACTIONS") == "true")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", message="reconciler %(version)s")
@click.option("--debug", is_flag=True, help="Re-raise unexpected errors with their traceback.")
@click.option(
    "--color",
    type=click.Choice(COLOR_MODES),
    default="auto",
    show_default=True,
    help="Colour on stdout and stderr: auto is on for a terminal unless NO_COLOR is set "
    "(FORCE_COLOR turns it on anywhere).",
)
@click.pass_context
def cli(ctx: click.Context, debug: bool, color: str) -> None:
    """GitOps for the Oro <-> dotmailer (Dotdigital) integration."""
    app = ctx.ensure_object(AppContext)
    app.debug, app.color = debug, color
    ctx.color = click_color(color)  # click's own styling (echo strips escapes when False)
    from reconciler.cli.display import installed  # progress on stderr, for every command

    ctx.with_resource(installed(color=wants_color(color, sys.stderr)))


def _register() -> None:
    from reconciler.cli import (
        apply,
        import_estate,
        plan,
        schema,
        show,
        state_import,
        sync,
        validate,
        version,
    )
    from reconciler.cli import sandbox as sandbox_cli
    from reconciler.cli import state as state_cli

    for command in (
        validate.command,
        plan.command,
        apply.command,
        show.command,
        import_estate.command,
        sync.command,
        state_cli.group,
        sandbox_cli.group,
        schema.command,
        version.command,
    ):
        cli.add_command(command)
    state_cli.group.add_command(state_import.command)
    from reconciler.cli import ci as ci_cli

    cli.add_command(ci_cli.group)


_register()


def log_dir() -> Path:
    """Where unexpected tracebacks go: $RECONCILER_LOG_DIR, else .reconciler/logs, else tmp."""
    configured = os.environ.get("RECONCILER_LOG_DIR")
    if configured:
        return Path(configured)
    local = Path(".reconciler")
    if local.is_dir():
        return local / "logs"
    return Path(tempfile.gettempdir()) / "reconciler-logs"


def _write_traceback() -> Path | None:
    try:
        directory = log_dir()
        directory.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix="crash-", suffix=".log", dir=directory)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(traceback.format_exc())
        return Path(name)
    except OSError:
        return None


def _print_error(error: ReconcilerError, app: AppContext) -> None:
    if isinstance(error, ConfigError) and error.diagnostics:
        workspace = os.environ.get("GITHUB_WORKSPACE")
        for diagnostic in error.diagnostics:
            annotation = getattr(diagnostic, "github_annotation", None)
            shown = annotation(workspace) if app.annotations and annotation else str(diagnostic)
            click.echo(shown, err=True)
    click.echo(f"error: {error}", err=True)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``reconciler`` console script; returns the process exit code."""
    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args
    app = AppContext()
    try:
        result = cli.main(args=args, prog_name="reconciler", standalone_mode=False, obj=app)
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.exceptions.Abort:
        click.echo("Interrupted.", err=True)
        return EXIT_INTERRUPTED
    except click.ClickException as exc:
        exc.show()
        return EXIT_USAGE
    except ReconcilerError as exc:
        if debug:
            raise
        _print_error(exc, app)
        return exc.exit_code
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        return EXIT_INTERRUPTED
    except Exception as exc:
        if debug:
            raise
        path = _write_traceback()
        where = f"; the traceback is in {path}" if path else ""
        click.echo(f"error: unexpected {type(exc).__name__}: {exc}{where}", err=True)
        return EXIT_UNEXPECTED
    return int(result or 0)


def tune_gc() -> None:
    """Garbage collection set for one command's life (issue 14: a third of the CPU of a large
    plan went to collections). A command builds one large graph of objects that lives until it
    ends (the config, the live world, the plan) and makes little cyclic garbage, so the default
    thresholds (700/10/10) had the collector walk that graph again and again for nothing. What
    the imports made is frozen (never walked again) and the youngest generation is collected
    every 100,000 allocations instead of 700; cycles are still collected. The console script
    and ``python -m reconciler`` call this; :func:`main`, which tests call in-process, does not.
    ``benchmarks/gc_policy.py`` measures it."""
    gc.freeze()
    gc.set_threshold(100_000, 50, 50)


def run() -> None:  # pragma: no cover - console-script shim
    tune_gc()
    sys.exit(main())
