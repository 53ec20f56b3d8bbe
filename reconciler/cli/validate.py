"""``reconciler validate [PATH]``: every problem of a config, offline and without secrets."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

import click

from reconciler.errors import EXIT_INVALID_CONFIG, EXIT_OK

if TYPE_CHECKING:
    from reconciler.config import Validation


@click.command("validate")
@click.argument("path", type=click.Path(path_type=Path), default=".")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json", "github"]),
    default=None,
    help="text: one line per problem and a summary; json: a list of diagnostics; github: "
    "workflow commands that annotate the pull request's diff, and the summary. "
    "[default: github when GITHUB_ACTIONS=true, else text]",
)
@click.option(
    "--find",
    is_flag=True,
    help="Find the configs below PATH: each directory holding reconciler.yaml, and the files "
    "whose documents say apiVersion: reconciler/v1; other YAML files are ignored.",
)
@click.option(
    "--allow-literal-secrets",
    is_flag=True,
    help="Accept a literal string where a secret reference is expected.",
)
def command(path: Path, output_format: str | None, find: bool, allow_literal_secrets: bool) -> int:
    """Validate the config in PATH (a directory or one file; default: the current directory).

    Exit 0 when valid (warnings allowed), 3 when there is any error.
    """
    from reconciler.config import find_configs, validate_config

    if find:
        validations = [
            validate_config(
                found.root, allow_literal_secrets=allow_literal_secrets, files=found.files
            )
            for found in find_configs(path)
        ]
    else:
        validations = [validate_config(path, allow_literal_secrets=allow_literal_secrets)]
    if output_format is None:
        output_format = "github" if os.environ.get("GITHUB_ACTIONS") == "true" else "text"
    if output_format == "json":
        payload = [d.to_json() for validation in validations for d in validation.diagnostics]
        click.echo(json.dumps(payload, indent=2, ensure_ascii=False))
    else:
        for validation in validations:
            _echo_lines(validation, github=output_format == "github")
    return EXIT_OK if all(validation.valid for validation in validations) else EXIT_INVALID_CONFIG


def _echo_lines(validation: Validation, *, github: bool) -> None:
    workspace = os.environ.get("GITHUB_WORKSPACE")
    for diagnostic in validation.diagnostics:
        click.echo(diagnostic.github_annotation(workspace) if github else str(diagnostic))
    click.echo(validation.summary())
