"""The fast yes/no schema check agrees with jsonschema on every document we have."""

from __future__ import annotations

from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from reconciler.config.fastcheck import Unsupported, compile_check
from reconciler.config.loader import KINDS, SETTINGS_KIND, discover, parse_file
from reconciler.config.schema import fast_check, load_schema

REPO = Path(__file__).resolve().parents[2]
CORPUS = Path(__file__).parent / "corpus"


def _documents() -> list[tuple[str, object]]:
    found = []
    for root in (CORPUS, REPO / "examples" / "integrations"):
        for file in discover(root):
            documents, _ = parse_file(file, settings=file.name == "reconciler.yaml")
            for document in documents:
                kind = document.kind
                if kind in (*KINDS, SETTINGS_KIND):
                    found.append((kind, document.data))
    return found


def test_every_schema_compiles() -> None:
    assert [kind for kind in (*KINDS, SETTINGS_KIND) if fast_check(kind) is None] == []


def test_fast_check_agrees_with_jsonschema_on_corpus_and_examples() -> None:
    documents = _documents()
    assert len(documents) > 80
    disagreements = []
    for kind, data in documents:
        check = fast_check(kind)
        assert check is not None
        expected = Draft202012Validator(load_schema(kind)).is_valid(data)
        if check(data) != expected:
            disagreements.append((kind, data))
    assert disagreements == []


@pytest.mark.parametrize(
    ("schema", "instance", "valid"),
    [
        ({"type": "integer"}, 1.0, True),
        ({"type": "integer"}, True, False),
        ({"type": "number"}, False, False),
        ({"enum": ["Yes"]}, True, False),
        ({"minimum": 0}, "not a number", True),
        ({"exclusiveMinimum": 0}, 0, False),
        ({"oneOf": [{"type": "string"}, {"minLength": 1}]}, "x", False),
        ({"additionalProperties": {"type": "string"}, "properties": {"a": {}}}, {"a": 1}, True),
    ],
)
def test_edge_cases_match_jsonschema(
    schema: dict[str, object], instance: object, valid: bool
) -> None:
    assert Draft202012Validator(schema).is_valid(instance) is valid
    assert compile_check(schema)(instance) is valid


def test_unknown_keywords_are_refused() -> None:
    with pytest.raises(Unsupported):
        compile_check({"patternProperties": {"^x": {}}, "additionalProperties": False})
    with pytest.raises(Unsupported):
        compile_check({"if": {"type": "string"}})
