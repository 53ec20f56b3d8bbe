"""``reconciler state …``: look at and repair the state (SPEC §5).

``list``, ``show ADDR``, ``rm ADDR…`` (forget without deleting; takes the lock), ``locks``,
``unlock ID [--force]``, ``runs`` and ``migrate --to URL``. ``import ADDR ID`` needs the providers
and is added by the engine's CLI module. Secret values never appear; fingerprints show as
``(sensitive)`` in text.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import click

from reconciler.cli.common import env_option
from reconciler.errors import EXIT_OK, UsageError
from reconciler.state import (
    WHOLE_CONFIG,
    LockInfo,
    ObjectRecord,
    RunRecord,
    StateStore,
    current_user,
    environment_url,
    open_store,
)
from reconciler.state.migrate import migrate

F = TypeVar("F", bound=Callable[..., Any])


def _use_sandbox_state(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value:
        ctx.meta["reconciler.sandbox_state"] = True


def _remember_environment(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    ctx.meta["reconciler.environment"] = value


def _store_options(func: F) -> F:
    decorators = [
        env_option(expose_value=False, callback=_remember_environment),
        click.option(
            "--sandbox",
            is_flag=True,
            expose_value=False,
            callback=_use_sandbox_state,
            help="The embedded sandbox's state (.reconciler/sandbox/state.db).",
        ),
        click.option(
            "--state",
            "state_url",
            help="State URL (default: reconciler.yaml, overridden by RECONCILER_STATE).",
        ),
        click.option(
            "--config",
            "config_path",
            type=click.Path(path_type=Path),
            default=".",
            show_default=True,
            help="Config directory whose reconciler.yaml names the state.",
        ),
        click.option(
            "--format",
            "fmt",
            type=click.Choice(["text", "json"]),
            default="text",
            show_default=True,
        ),
    ]
    for decorator in reversed(decorators):
        func = decorator(func)
    return func


def _lock_timeout(func: F) -> F:
    return click.option(
        "--lock-timeout",
        type=float,
        default=0.0,
        show_default=True,
        help="Seconds to wait for the state lock before giving up (exit 5).",
    )(func)


def state_url(explicit: str | None, config_path: Path) -> str:
    """--state, else --sandbox, else RECONCILER_STATE, else reconciler.yaml, else the default;
    then made the --env environment's own, as plan and apply do."""
    context = click.get_current_context(silent=True)
    meta = context.meta if context is not None else {}
    environment = meta.get("reconciler.environment")
    if explicit:
        url = explicit
    elif meta.get("reconciler.sandbox_state"):
        from reconciler.sandbox.embedded import SANDBOX_STATE_URL

        url = SANDBOX_STATE_URL
    else:
        from reconciler.config import load_settings

        url = load_settings(config_path, environment=environment).state
    return environment_url(url, environment)


@contextmanager
def _opened(explicit: str | None, config_path: Path) -> Iterator[StateStore]:
    store = open_store(state_url(explicit, config_path), base_dir=Path.cwd())
    try:
        yield store
    finally:
        store.close()


def _echo_json(value: object) -> None:
    click.echo(json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False))


@click.group("state")
def group() -> None:
    """Inspect and repair the state: what this tool last wrote, locks and the run log."""


@group.command("list")
@_store_options
def list_command(state_url: str | None, config_path: Path, fmt: str) -> int:
    """List the addresses of every object in the state."""
    with _opened(state_url, config_path) as store:
        snapshot = store.read()
    if fmt == "json":
        _echo_json(
            {
                "lineage": snapshot.lineage,
                "serial": snapshot.serial,
                "objects": [snapshot.objects[a].to_json() for a in sorted(snapshot.objects)],
            }
        )
        return EXIT_OK
    for address in sorted(snapshot.objects):
        click.echo(address)
    return EXIT_OK


@group.command("show")
@click.argument("address")
@_store_options
def show_command(address: str, state_url: str | None, config_path: Path, fmt: str) -> int:
    """Show one object: remote ids, last-applied values, fingerprints."""
    with _opened(state_url, config_path) as store:
        snapshot = store.read()
        record = snapshot.objects.get(address)
        if record is None:
            raise UsageError(f"no object {address} in state {store.url}")
    if fmt == "json":
        _echo_json(record.to_json())
    else:
        click.echo(render_record(record), nl=False)
    return EXIT_OK


def render_record(record: ObjectRecord) -> str:
    """The text form of ``state show``: sorted, aligned, secrets as ``(sensitive)``."""
    rows: list[tuple[str, str]] = [
        ("kind", record.kind),
        ("integration", record.integration or "-"),
        ("remote ids", ", ".join(f"{k}={v}" for k, v in sorted(record.remote_ids.items())) or "-"),
        ("remote fingerprint", record.remote_fingerprint or "-"),
        ("updated at", record.updated_at),
    ]
    width = max(len(label) for label, _ in rows) + 1
    lines = [f"# {record.address}"]
    lines += [f"{label + ':':<{width}} {value}" for label, value in rows]
    lines.append("applied:" if record.applied else "applied: {}")
    lines += _nested(record.applied, "  ")
    if record.secret_fingerprints:
        lines.append("secrets:")
        lines += [f"  {name}: (sensitive)" for name in sorted(record.secret_fingerprints)]
    return "\n".join(lines) + "\n"


def _nested(values: Mapping[str, Any], indent: str) -> list[str]:
    lines = []
    for key in sorted(values):
        value = values[key]
        if isinstance(value, Mapping) and value:
            lines.append(f"{indent}{key}:")
            lines += _nested(value, indent + "  ")
        else:
            lines.append(f"{indent}{key}: {json.dumps(value, sort_keys=True, ensure_ascii=False)}")
    return lines


@group.command("rm")
@click.argument("addresses", nargs=-1, required=True, metavar="ADDR...")
@_store_options
@_lock_timeout
def rm_command(
    addresses: tuple[str, ...],
    state_url: str | None,
    config_path: Path,
    fmt: str,
    lock_timeout: float,
) -> int:
    """Forget objects (and the objects under them) without deleting them remotely."""
    with _opened(state_url, config_path) as store:
        objects = store.read().objects
        chosen = _matching(objects, addresses, store.url)
        integrations = {objects[a].integration for a in chosen}
        only = next(iter(integrations)) if len(integrations) == 1 else None
        scope = f"integration:{only}" if only else WHOLE_CONFIG
        with store.lock(scope, operation="state rm", timeout=lock_timeout):
            snapshot = store.read()  # again, under the lock
            chosen = _matching(snapshot.objects, addresses, store.url)
            run = store.begin_run("state rm", user=current_user(), git_sha=None, plan_digest=None)
            serial = store.write(snapshot.serial, [], chosen)
            store.end_run(run, "ok", {"removed": len(chosen)})
    if fmt == "json":
        _echo_json({"removed": chosen, "serial": serial})
        return EXIT_OK
    for address in chosen:
        click.echo(f"Removed {address}")
    noun = "object" if len(chosen) == 1 else "objects"
    click.echo(
        f"Forgot {len(chosen)} {noun}; the remote objects are untouched (state serial {serial})."
    )
    return EXIT_OK


def _matching(objects: Mapping[str, ObjectRecord], wanted: tuple[str, ...], url: str) -> list[str]:
    missing = sorted(a for a in set(wanted) if a not in objects)
    if missing:
        raise UsageError(f"no object {', '.join(missing)} in state {url}")
    return sorted(a for a in objects if any(a == w or a.startswith(w + ".") for w in wanted))


@group.command("locks")
@_store_options
def locks_command(state_url: str | None, config_path: Path, fmt: str) -> int:
    """Show who holds which lock (for `state unlock ID`)."""
    with _opened(state_url, config_path) as store:
        held = store.locks()
    if fmt == "json":
        _echo_json([_lock_json(info) for info in held])
        return EXIT_OK
    if not held:
        click.echo("No locks are held.")
    for info in held:
        click.echo(f"{info.id}  {info.scope}  {info.holder()}, heartbeat {info.heartbeat_at}")
    return EXIT_OK


@group.command("unlock")
@click.argument("lock_id", metavar="ID")
@click.option("--force", is_flag=True, help="Remove the lock even while its holder is alive.")
@_store_options
def unlock_command(
    lock_id: str, force: bool, state_url: str | None, config_path: Path, fmt: str
) -> int:
    """Remove a lock left by a holder that is gone (refused while its heartbeat is fresh)."""
    with _opened(state_url, config_path) as store:
        info = store.unlock(lock_id, force=force)
    if fmt == "json":
        _echo_json(_lock_json(info))
    else:
        click.echo(f"Unlocked {info.id} on {info.scope}, held by {info.holder()}.")
    return EXIT_OK


@group.command("runs")
@click.option("--limit", type=int, default=20, show_default=True)
@_store_options
def runs_command(limit: int, state_url: str | None, config_path: Path, fmt: str) -> int:
    """The run log, newest first."""
    with _opened(state_url, config_path) as store:
        runs = store.runs(limit)
    if fmt == "json":
        _echo_json([_run_json(run) for run in runs])
        return EXIT_OK
    if not runs:
        click.echo("No runs recorded.")
    for run in runs:
        summary = ", ".join(f"{k}={v}" for k, v in sorted(run.summary.items()))
        click.echo(
            f"{run.started_at}  {run.command}  {run.status or 'running'}  {run.user}"
            + (f"  {summary}" if summary else "")
        )
    return EXIT_OK


@group.command("migrate")
@click.option("--to", "target_url", required=True, help="URL of the empty target state.")
@_store_options
@_lock_timeout
def migrate_command(
    target_url: str, state_url: str | None, config_path: Path, fmt: str, lock_timeout: float
) -> int:
    """Copy the state (lineage, serial, objects, run log, journal, key) to an empty target."""
    with (
        _opened(state_url, config_path) as source,
        _opened(target_url, config_path) as target,
    ):
        result = migrate(source, target, lock_timeout=lock_timeout)
    if fmt == "json":
        _echo_json(result.__dict__)
        return EXIT_OK
    click.echo(
        f"Copied state {result.lineage} at serial {result.serial} ({result.objects} objects, "
        f"{result.runs} runs, {result.journal_entries} journal entries) "
        f"from {result.source} to {result.target}."
    )
    return EXIT_OK


def _lock_json(info: LockInfo) -> dict[str, Any]:
    return {
        "id": info.id,
        "scope": info.scope,
        "user": info.user,
        "host": info.host,
        "pid": info.pid,
        "run_url": info.run_url,
        "started_at": info.started_at,
        "heartbeat_at": info.heartbeat_at,
        "operation": info.operation,
    }


def _run_json(run: RunRecord) -> dict[str, Any]:
    return {
        "id": run.id,
        "command": run.command,
        "user": run.user,
        "git_sha": run.git_sha,
        "plan_digest": run.plan_digest,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "status": run.status,
        "summary": dict(run.summary),
    }
