"""``reconciler import --out DIR``: write the config of the live estate, recorded as adopted."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from reconciler.cli.common import config_option, live_options, progress
from reconciler.errors import EXIT_OK

if TYPE_CHECKING:
    from reconciler.estate import ImportOptions, ImportResult
    from reconciler.plan.ops import AnyOp


@click.command("import")
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="The directory to write the config into: new, empty, or an earlier import's.",
)
@click.option(
    "--include-default-mappings",
    is_flag=True,
    help="Also write the mappings Oro makes on its own after the first data-field sync "
    "(FIRSTNAME, LASTNAME, FULLNAME).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
)
@config_option
@live_options
def command(
    out: Path, include_default_mappings: bool, fmt: str, config_path: Path, **kwargs: Any
) -> int:
    """Write the config of every dotmailer integration Oro has (or those --integration names)
    into DIR, and record what it describes as adopted in the state.

    The settings (Oro endpoint, state) come from --config's reconciler.yaml and RECONCILER_*
    variables, as for plan. A dotmailer account is read when its password is at hand: the
    variable the written config names for it (DOTMAILER_<INTEGRATION>_PASSWORD), or the
    sandbox's.
    """
    from reconciler.estate import ImportOptions, import_estate  # the providers: only when run

    options = ImportOptions(
        config_path=config_path,
        out=out,
        state_url=kwargs.get("state_url"),
        sandbox=bool(kwargs.get("sandbox")),
        sandbox_seed=kwargs.get("sandbox_seed"),
        integrations=tuple(kwargs.get("integrations") or ()),
        default_mappings=include_default_mappings,
        lock_timeout=float(kwargs.get("lock_timeout") or 0.0),
    )
    progress("Reading the live estate…")
    result = import_estate(options)
    if fmt == "json":
        click.echo(json.dumps(_json(result), indent=2, ensure_ascii=False))
    else:
        click.echo(_text(result, options), nl=False)
    return EXIT_OK


def _steps(op: AnyOp) -> list[str]:
    from reconciler.plan.ops import ChangeOp

    return [str(step) for step in op.steps] if isinstance(op, ChangeOp) else []


def _next(op: AnyOp) -> str:
    from reconciler.plan.render.common import reason_words

    steps = f"; {', '.join(_steps(op))}" if _steps(op) else ""
    return f"  {op.symbol} {op.address} ({reason_words(op.reason)}{steps})"


def _text(result: ImportResult, options: ImportOptions) -> str:
    out = str(result.out)
    configs = [f for f in result.files if f.endswith(".yaml")]
    lines = [
        f"Imported {_count(len(result.integrations), 'integration')} into {out}:",
        *(f"  {f}" for f in configs),
        f"  and the JSON Schemas their modelines name in {out}/schemas/",
        f"Recorded {_count(len(result.recorded), 'object')} as adopted in the state "
        f"({result.state}).",
    ]
    if result.unread:
        lines.append(
            "dotmailer was not read for "
            + ", ".join(result.unread)
            + " (no password at hand): their data fields and address books are Oro's copy."
        )
    if result.default_mappings:
        lines.append(
            f"Left out {_count(result.default_mappings, 'default mapping')} Oro made on its own "
            "(--include-default-mappings keeps them)."
        )
    if result.notes:
        lines += ["Left out:", *(f"  {note}" for note in result.notes)]
    if result.next_ops:
        lines.append(f"The next plan of {out} shows:")
        lines += [_next(op) for op in result.next_ops]
    else:
        lines.append("The next plan shows no changes.")
    if not options.sandbox and result.variables:
        lines.append(f"The config reads these secrets: {', '.join(result.variables)}.")
    lines.append(
        f"Next: reconciler plan {out}"
        + (" --sandbox" if options.sandbox else "")
        + (" (with the same --state)" if options.state_url else "")
    )
    return "\n".join(lines) + "\n"


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def _json(result: ImportResult) -> dict[str, Any]:
    return {
        "out": str(result.out),
        "files": list(result.files),
        "integrations": list(result.integrations),
        "dotmailer_not_read": list(result.unread),
        "recorded": list(result.recorded),
        "next_plan": [
            {
                "address": op.address,
                "action": op.action,
                "reason": op.reason,
                "steps": _steps(op),
            }
            for op in result.next_ops
        ],
        "notes": list(result.notes),
        "default_mappings_left_out": result.default_mappings,
        "secret_variables": list(result.variables),
        "state": result.state,
    }
