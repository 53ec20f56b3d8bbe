"""``reconciler validate [PATH]``: every problem of a config, offline and without secrets."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

import click

from reconciler.cli.common import env_option
from reconciler.errors import EXIT_INVALID_CONFIG, EXIT_OK

if TYPE_CHECKING:
    from reconciler.config import ConfigValidation


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
@env_option()
def command(
    path: Path,
    output_format: str | None,
    find: bool,
    allow_literal_secrets: bool,
    environment: str | None,
) -> int:
    """Validate the config in PATH (a directory or one file; default: the current directory).

    A config that declares environments is validated in each of them (only in NAME with
    --env NAME). Exit 0 when valid (warnings allowed), 3 when there is any error.
    """
    from reconciler.config import find_configs

    roots = (
        [(found.root, list(found.files)) for found in find_configs(path)]
        if find
        else [(path, None)]
    )
    results = [_validate(root, files, allow_literal_secrets, environment) for root, files in roots]
    if output_format is None:
        output_format = "github" if os.environ.get("GITHUB_ACTIONS") == "true" else "text"
    if output_format == "json":
        payload = [d.to_json() for result in results for d in result.diagnostics]
        click.echo(json.dumps(payload, indent=2, ensure_ascii=False))
    else:
        for result in results:
            _echo_lines(result, github=output_format == "github")
    return EXIT_OK if all(result.valid for result in results) else EXIT_INVALID_CONFIG


def _validate(
    path: Path, files: list[Path] | None, allow_literal_secrets: bool, environment: str | None
) -> ConfigValidation:
    """Every environment of the config, or only ``environment``."""
    from reconciler.config import ConfigValidation, validate_config, validate_environments

    if environment is None:
        return validate_environments(path, allow_literal_secrets=allow_literal_secrets, files=files)
    validation = validate_config(
        path, allow_literal_secrets=allow_literal_secrets, files=files, environment=environment
    )
    return ConfigValidation((validation,), validation.diagnostics)


def _echo_lines(result: ConfigValidation, *, github: bool) -> None:
    workspace = os.environ.get("GITHUB_WORKSPACE")
    for diagnostic in result.diagnostics:
        click.echo(diagnostic.github_annotation(workspace) if github else str(diagnostic))
    for validation in result.validations:
        click.echo(validation.summary())
