"""``reconciler schema [NAME] [--write DIR]``: print or write the JSON Schemas (SPEC §7): the
config kinds, the JSON plan (``plan --format json``) and the sandbox seed."""

from __future__ import annotations

import json
from pathlib import Path

import click

from reconciler.config.schema import SCHEMA_FILES, schema_text
from reconciler.errors import EXIT_OK

# The schemas that are not a config kind's: the JSON plan and the sandbox seed.
OTHER_SCHEMAS = ("plan.json", "sandbox-seed.json")
FILES = sorted([*SCHEMA_FILES.values(), *OTHER_SCHEMAS])
# What the NAME argument accepts: the schema's file stem (kinds in lower case, "settings" for
# reconciler.yaml, "plan", "sandbox-seed").
_CHOICES = [name.removesuffix(".json") for name in FILES]


@click.command("schema")
@click.argument("name", required=False, type=click.Choice(_CHOICES, case_sensitive=False))
@click.option(
    "--write",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write the schema files into this directory instead of printing.",
)
def command(name: str | None, directory: Path | None) -> int:
    """Print the JSON Schema NAME, or all schemas as one JSON object keyed by file name.

    NAME is one of owner, integration, datafieldmapping, settings (reconciler.yaml), plan (the
    JSON plan of `plan --format json` and `show --format json`) or sandbox-seed (the seed of
    `sandbox serve --seed` and `--sandbox-seed`).
    """
    names = [f"{name.lower()}.json"] if name else FILES
    if directory is not None:
        directory.mkdir(parents=True, exist_ok=True)
        for file_name in names:
            target = directory / file_name
            target.write_text(schema_text(file_name), encoding="utf-8")
            click.echo(str(target))
        return EXIT_OK
    if name:
        click.echo(schema_text(names[0]), nl=False)
        return EXIT_OK
    combined = {file_name: json.loads(schema_text(file_name)) for file_name in names}
    click.echo(json.dumps(combined, indent=2, ensure_ascii=False))
    return EXIT_OK
