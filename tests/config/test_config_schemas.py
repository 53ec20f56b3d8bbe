"""The JSON Schema files: well-formed 2020-12, documented for editors, in step with the rules."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator

from reconciler.config import RULES
from reconciler.config.schema import SCHEMA_FILES, load_schema

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples" / "integrations"


def _subschemas(node: Any, path: str = "#") -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(node, dict):
        yield path, node
        for key, value in node.items():
            if key in ("properties", "$defs"):
                for name, child in value.items():
                    yield from _subschemas(child, f"{path}/{key}/{name}")
            elif key in ("items", "additionalProperties", "propertyNames"):
                yield from _subschemas(value, f"{path}/{key}")
            elif key in ("oneOf", "anyOf", "allOf"):
                for index, child in enumerate(value):
                    yield from _subschemas(child, f"{path}/{key}/{index}")


@pytest.mark.parametrize("kind", sorted(SCHEMA_FILES))
def test_schema_is_valid_2020_12_with_id_and_title(kind: str) -> None:
    schema = load_schema(kind)
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == f"https://reconciler.dev/schemas/v1/{SCHEMA_FILES[kind]}"
    assert schema["title"] and schema["description"]


@pytest.mark.parametrize("kind", sorted(SCHEMA_FILES))
def test_every_property_has_a_tooltip_and_objects_refuse_typos(kind: str) -> None:
    undocumented, open_objects = [], []
    for path, node in _subschemas(load_schema(kind)):
        for name, child in node.get("properties", {}).items():
            if "description" not in child:
                undocumented.append(f"{path}/properties/{name}")
        if "properties" in node and node.get("additionalProperties") is not False:
            open_objects.append(path)
    assert undocumented == []
    assert open_objects == []


@pytest.mark.parametrize("kind", sorted(SCHEMA_FILES))
def test_x_rule_annotations_name_registered_rules(kind: str) -> None:
    named: list[str] = []
    for _, node in _subschemas(load_schema(kind)):
        marker = node.get("x-rule")
        if isinstance(marker, str):
            named.append(marker)
        elif isinstance(marker, dict):
            named.extend(marker.values())
    assert named
    assert sorted(set(named) - set(RULES)) == []


def test_top_level_schemas_is_a_symlink_to_the_packaged_files() -> None:
    link = REPO / "schemas"
    assert link.is_symlink()
    assert link.resolve() == (REPO / "reconciler" / "schemas").resolve()
    listed = subprocess.run(
        ["git", "ls-files", "-s", "schemas"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout
    assert listed.startswith("120000 ")  # git stores it as a symlink


def test_examples_declare_their_schema_and_validate_against_it() -> None:
    files = sorted(EXAMPLES.glob("*.yaml"))
    assert len(files) == 6
    for file in files:
        first_line = file.read_text(encoding="utf-8").splitlines()[0]
        prefix = "# yaml-language-server: $schema="
        assert first_line.startswith(prefix), file.name
        schema_file = (file.parent / first_line.removeprefix(prefix)).resolve()
        schema = json.loads(schema_file.read_text(encoding="utf-8"))
        validator = Draft202012Validator(schema)
        for document in yaml.safe_load_all(file.read_text(encoding="utf-8")):
            if file.name != "reconciler.yaml":
                assert schema["$id"].endswith(f"/{document['kind'].lower()}.json"), file.name
            assert list(validator.iter_errors(document)) == [], file.name
