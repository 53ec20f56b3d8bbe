"""``reconciler schema [KIND] [--write DIR]``: print or write the JSON Schemas."""

from __future__ import annotations

import json
from pathlib import Path

import click

from reconciler.config.schema import SCHEMA_FILES, schema_text
from reconciler.errors import EXIT_OK

# What the KIND argument accepts: the schema's file stem (kinds in lower case, and "settings"
# for reconciler.yaml).
_CHOICES = sorted(name.removesuffix(".json") for name in SCHEMA_FILES.values())


@click.command("schema")
@click.argument("kind", required=False, type=click.Choice(_CHOICES, case_sensitive=False))
@click.option(
    "--write",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write the schema files into this directory instead of printing.",
)
def command(kind: str | None, directory: Path | None) -> int:
    """Print the JSON Schema of KIND, or all schemas as one JSON object keyed by file name.

    KIND is one of owner, integration, datafieldmapping, settings (reconciler.yaml).
    """
    names = [f"{kind.lower()}.json"] if kind else sorted(SCHEMA_FILES.values())
    if directory is not None:
        directory.mkdir(parents=True, exist_ok=True)
        for name in names:
            target = directory / name
            target.write_text(schema_text(name), encoding="utf-8")
            click.echo(str(target))
        return EXIT_OK
    if kind:
        click.echo(schema_text(names[0]), nl=False)
        return EXIT_OK
    combined = {name: json.loads(schema_text(name)) for name in names}
    click.echo(json.dumps(combined, indent=2, ensure_ascii=False))
    return EXIT_OK
