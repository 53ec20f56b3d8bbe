"""Options shared by plan, apply and sync, and small output helpers."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, TypeVar

import click

from reconciler.model import ENVIRONMENT_VARIABLE

if TYPE_CHECKING:
    from reconciler.plan.saved import SandboxSeed
    from reconciler.session import Session, SessionOptions

F = TypeVar("F", bound=Callable[..., Any])


def env_option(
    *, expose_value: bool = True, callback: Callable[..., Any] | None = None
) -> Callable[[F], F]:
    """--env NAME (or RECONCILER_ENV): the environment of the config to run
    (docs/environments.md)."""
    return click.option(
        "--env",
        "environment",
        envvar=ENVIRONMENT_VARIABLE,
        metavar="NAME",
        expose_value=expose_value,
        callback=callback,
        help=f"One of the environments reconciler.yaml declares ({ENVIRONMENT_VARIABLE}).",
    )


def session_options(func: F) -> F:
    """Adds the options every command that plans against the live systems shares."""
    func = click.option(
        "--allow-literal-secrets",
        is_flag=True,
        help="Accept a literal string where a secret reference is expected.",
    )(func)
    return live_options(func)


def live_options(func: F) -> F:
    """Adds the options every command that talks to the live systems shares."""
    decorators = [
        click.option(
            "--sandbox",
            is_flag=True,
            help="Run against the embedded sandbox (persisted under .reconciler/sandbox/).",
        ),
        click.option(
            "--sandbox-seed",
            type=click.Path(exists=True, dir_okay=False, path_type=Path),
            help="Seed file of the embedded sandbox (default: the packaged seed).",
        ),
        click.option("--state", "state_url", help="State URL (overrides RECONCILER_STATE)."),
        click.option(
            "--integration",
            "integrations",
            multiple=True,
            help="Limit the run to this integration (repeatable); locks only its scope.",
        ),
        click.option(
            "--lock-timeout",
            type=float,
            default=0.0,
            show_default=True,
            help="Seconds to wait for the state lock before giving up (exit 5).",
        ),
        env_option(),
    ]
    for decorator in reversed(decorators):
        func = decorator(func)
    return func


def _selector(_: click.Context, __: click.Parameter, values: tuple[str, ...]) -> tuple[str, ...]:
    for value in values:
        key, sep, label = value.partition("=")
        if not sep or not key or not label:
            raise click.BadParameter(f"{value!r} is not KEY=VALUE", param_hint="--selector")
    return values


def selector_option(func: F) -> F:
    """--selector KEY=VALUE: the integrations whose labels match, as one shard (plan, apply)."""
    return click.option(
        "--selector",
        "selector",
        multiple=True,
        metavar="KEY=VALUE",
        callback=_selector,
        help="Limit the run to the integrations with this label (repeatable: all must match); "
        "locks only their scopes, so shards over one state run side by side.",
    )(func)


def decision_options(func: F) -> F:
    """--allow-replace and --allow-empty: the decisions a plan may need (plan and apply)."""
    func = click.option(
        "--allow-empty",
        is_flag=True,
        help="Allow deleting everything an integration held when its desired set is empty.",
    )(func)
    return click.option(
        "--allow-replace",
        multiple=True,
        metavar="NAME",
        help="Allow replacing this data field (repeatable).",
    )(func)


def config_option(func: F) -> F:
    """--config DIR, for commands whose positional argument is not the config."""
    return click.option(
        "--config",
        "config_path",
        type=click.Path(exists=True, path_type=Path),
        default=".",
        show_default=True,
        help="The config directory.",
    )(func)


def make_session_options(config_path: Path, **kwargs: Any) -> SessionOptions:
    from reconciler.session import SessionOptions  # the providers: only a command that runs

    return SessionOptions(
        config_path=config_path,
        state_url=kwargs.get("state_url"),
        sandbox=bool(kwargs.get("sandbox")),
        sandbox_seed=kwargs.get("sandbox_seed"),
        integrations=tuple(kwargs.get("integrations") or ()),
        selector=tuple(
            (key, label)
            for key, _, label in (v.partition("=") for v in kwargs.get("selector") or ())
        ),
        lock_timeout=float(kwargs.get("lock_timeout") or 0.0),
        allow_literal_secrets=bool(kwargs.get("allow_literal_secrets")),
        environment=kwargs.get("environment"),
    )


def saved_sandbox(session: Session) -> SandboxSeed | None:
    """What a plan file records of the embedded sandbox a session ran against: its seed."""
    from reconciler.plan.saved import SandboxSeed

    if session.sandbox is None:
        return None
    return SandboxSeed(session.sandbox.seed.path, session.sandbox.seed.sha256)


COLOR_MODES = ("auto", "always", "never")


def wants_color(mode: str, stream: IO[str]) -> bool:
    """Whether to colour ``stream``: ``--color always|never``; else NO_COLOR (no-color.org:
    set and not empty) turns it off, FORCE_COLOR (force-color.org) on, and otherwise a
    terminal gets colour."""
    decided = click_color(mode)
    return stream.isatty() if decided is None else decided


def click_color(mode: str) -> bool | None:
    """``ctx.color`` for click's own output: None leaves click's terminal check."""
    if mode != "auto":
        return mode == "always"
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return None


def color_mode() -> str:
    ctx = click.get_current_context(silent=True)
    obj = ctx.find_root().obj if ctx is not None else None
    return str(getattr(obj, "color", "auto"))


def github_annotations(*, force: bool = False) -> bool:
    """Whether errors print as GitHub workflow commands (GITHUB_ACTIONS, or ``force`` from a
    command's ``--format github``, which then holds for the error boundary too)."""
    ctx = click.get_current_context(silent=True)
    obj = ctx.find_root().obj if ctx is not None else None
    if force and obj is not None:
        obj.annotations = True
    return bool(getattr(obj, "annotations", False))


def is_tty() -> bool:
    """Whether the plan printed on stdout is coloured (the name is older than --color)."""
    return wants_color(color_mode(), sys.stdout)


def progress(message: str) -> None:
    """A progress line on a terminal only; CI logs stay clean."""
    from reconciler.cli.display import say

    say(message)
