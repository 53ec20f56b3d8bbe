from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from reconciler.cli import main

PACKAGED = Path(__file__).resolve().parents[2] / "reconciler" / "schemas"
FILES = [
    "datafieldmapping.json",
    "integration.json",
    "owner.json",
    "plan.json",
    "sandbox-seed.json",
    "settings.json",
]


def test_schema_kind_prints_the_packaged_file(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema", "integration"]) == 0
    assert capsys.readouterr().out == (PACKAGED / "integration.json").read_text(encoding="utf-8")


def test_schema_without_kind_prints_every_schema_keyed_by_file(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["schema"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert sorted(printed) == FILES
    for name in FILES:
        assert printed[name] == json.loads((PACKAGED / name).read_text(encoding="utf-8"))


def test_schema_write_creates_the_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "out" / "schemas"
    assert main(["schema", "--write", str(target)]) == 0
    assert capsys.readouterr().out == "".join(f"{target / name}\n" for name in FILES)
    assert sorted(p.name for p in target.iterdir()) == FILES
    for name in FILES:
        assert (target / name).read_bytes() == (PACKAGED / name).read_bytes()


def test_schema_write_one_kind(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema", "Owner", "--write", str(tmp_path)]) == 0
    assert capsys.readouterr().out == f"{tmp_path / 'owner.json'}\n"
    assert [p.name for p in tmp_path.iterdir()] == ["owner.json"]


@pytest.mark.parametrize("name", ["plan", "sandbox-seed"])
def test_the_plan_and_seed_schemas_are_printed_and_are_2020_12_schemas(
    name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["schema", name]) == 0
    printed = capsys.readouterr().out
    assert printed == (PACKAGED / f"{name}.json").read_text(encoding="utf-8")
    schema = json.loads(printed)
    Draft202012Validator.check_schema(schema)
    assert schema["$id"] == f"https://reconciler.dev/schemas/v1/{name}.json"


def test_unknown_kind_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema", "mapping"]) == 64
    assert "'mapping' is not one of" in capsys.readouterr().err
