"""The YAML emitter: what it writes, byte for byte, and that the project's loader reads it back
to the same values (YAML 1.2 booleans, no timestamps: reconciler/config/loader.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from reconciler.config.loader import parse_file
from reconciler.estate.emit import Document, Flow, emit, scalar


def _read_back(tmp_path: Path, text: str) -> list[object]:
    file = tmp_path / "doc.yaml"
    file.write_text(text, encoding="utf-8")
    documents, problems = parse_file(file)
    assert problems == []
    return [d.data for d in documents]


def _plain(value: Any) -> Any:
    """The value tree with Flow marks dropped, as a loader sees it."""
    if isinstance(value, Flow):
        return _plain(value.items)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("Newsletter EMEA", "Newsletter EMEA"),
        ("apiuser-emea@apiconnector.com", "apiuser-emea@apiconnector.com"),
        (
            "Oro\\Bundle\\ContactBundle\\Entity\\Contact",
            "Oro\\Bundle\\ContactBundle\\Entity\\Contact",
        ),
        ("LOYALTY_TIER", "LOYALTY_TIER"),
        ("/admin/api", "/admin/api"),
        # Read as something else than this text by YAML 1.1 or 1.2: quoted.
        ("No", '"No"'),
        ("yes", '"yes"'),
        ("true", '"true"'),
        ("null", '"null"'),
        ("~", '"~"'),
        ("4711", '"4711"'),
        ("0x1F", '"0x1F"'),
        ("1:20", '"1:20"'),
        ("1e3", '"1e3"'),
        (".inf", '".inf"'),
        ("2020-01-01", '"2020-01-01"'),
        ("2020-01-01T00:00:00", '"2020-01-01T00:00:00"'),
        # Characters with a meaning in YAML, or not printable: quoted and escaped.
        ("https://r3-app.dotmailer.com/", '"https://r3-app.dotmailer.com/"'),
        ("a, b", '"a, b"'),
        ("[x]", '"[x]"'),
        ("#tag", '"#tag"'),
        ("- item", '"- item"'),
        ("@home", '"@home"'),
        ("trailing ", '"trailing "'),
        ("", '""'),
        ('say "hi"', '"say \\"hi\\""'),
        ("back\\slash:", '"back\\\\slash:"'),
        ("two\nlines\ttab", '"two\\nlines\\ttab"'),
        ("bell\x07 nel\x85 ls\u2028", '"bell\\u0007 nel\\u0085 ls\\u2028"'),
        ("Zoë née Ünal", '"Zoë née Ünal"'),
        (True, "true"),
        (False, "false"),
        (None, "null"),
        (0, "0"),
        (-12, "-12"),
    ],
)
def test_a_scalar_is_written_so_the_loader_reads_it_back(
    tmp_path: Path, value: object, text: str
) -> None:
    assert scalar(value) == text
    assert _read_back(tmp_path, f"v: {text}\n") == [{"v": value}]


def test_documents_are_written_in_the_examples_shape_and_read_back(tmp_path: Path) -> None:
    first = {
        "apiVersion": "reconciler/v1",
        "kind": "Integration",
        "metadata": {"name": "emea"},
        "spec": {
            "enabled": True,
            "connection": {"username": "u@x.com", "password": Flow({"env": "PW"})},
            "dataFields": [
                Flow({"name": "POINTS", "type": "Numeric", "default": 100}),
                Flow({"name": "OPT_IN", "type": "Boolean", "default": False, "notes": "a, b"}),
            ],
            "tags": ["a", "b"],
            "empty": [],
        },
    }
    second = {
        "apiVersion": "reconciler/v1",
        "kind": "DataFieldMapping",
        "metadata": {"name": "contact"},
        "spec": {"fields": [Flow({"dataField": "FULLNAME", "entityFields": ["a", "b::c"]})]},
    }
    text = emit(
        [Document("integration.json", first, ("Two", "")), Document("mapping.json", second)],
        "../schemas/",
    )
    assert text == (
        "# yaml-language-server: $schema=../schemas/integration.json\n"
        "# Two\n"
        "#\n"
        "apiVersion: reconciler/v1\n"
        "kind: Integration\n"
        "metadata:\n"
        "  name: emea\n"
        "spec:\n"
        "  enabled: true\n"
        "  connection:\n"
        "    username: u@x.com\n"
        "    password: {env: PW}\n"
        "  dataFields:\n"
        "    - {name: POINTS, type: Numeric, default: 100}\n"
        '    - {name: OPT_IN, type: Boolean, default: false, notes: "a, b"}\n'
        "  tags: [a, b]\n"
        "  empty: []\n"
        "--- # yaml-language-server: $schema=../schemas/mapping.json\n"
        "apiVersion: reconciler/v1\n"
        "kind: DataFieldMapping\n"
        "metadata:\n"
        "  name: contact\n"
        "spec:\n"
        "  fields:\n"
        '    - {dataField: FULLNAME, entityFields: [a, "b::c"]}\n'
    )
    assert _read_back(tmp_path, text) == [_plain(first), _plain(second)]


def test_a_list_of_block_mappings_is_refused() -> None:
    with pytest.raises(TypeError, match="items: a list item must be a Flow mapping or a scalar"):
        emit([Document("x.json", {"items": [{"a": 1}]})])


def test_a_value_yaml_cannot_hold_as_a_scalar_is_refused() -> None:
    with pytest.raises(TypeError, match=r"cannot write float 0\.5 as a YAML scalar"):
        scalar(0.5)
