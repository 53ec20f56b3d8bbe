"""``reconciler validate [PATH]``: every problem of a config, offline and without secrets."""

from __future__ import annotations

import json
from pathlib import Path

import click

from reconciler.config import validate_config
from reconciler.errors import EXIT_INVALID_CONFIG, EXIT_OK


@click.command("validate")
@click.argument("path", type=click.Path(path_type=Path), default=".")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text: one line per problem and a summary; json: a list of diagnostics.",
)
@click.option(
    "--allow-literal-secrets",
    is_flag=True,
    help="Accept a literal string where a secret reference is expected.",
)
def command(path: Path, output_format: str, allow_literal_secrets: bool) -> int:
    """Validate the config in PATH (a directory or one file; default: the current directory).

    Exit 0 when valid (warnings allowed), 3 when there is any error.
    """
    validation = validate_config(path, allow_literal_secrets=allow_literal_secrets)
    if output_format == "json":
        payload = [diagnostic.to_json() for diagnostic in validation.diagnostics]
        click.echo(json.dumps(payload, indent=2, ensure_ascii=False))
    else:
        for diagnostic in validation.diagnostics:
            click.echo(str(diagnostic))
        click.echo(validation.summary())
    return EXIT_OK if validation.valid else EXIT_INVALID_CONFIG
