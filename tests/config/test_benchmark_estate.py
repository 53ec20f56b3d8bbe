"""The generated estate of benchmarks/validate.py is a valid config of the announced size."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

from reconciler.config import validate_config

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "validate.py"


def _benchmark() -> ModuleType:
    spec = importlib.util.spec_from_file_location("benchmark_validate", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_generated_estate_is_valid(tmp_path: Path) -> None:
    _benchmark().generate(tmp_path, 6)
    validation = validate_config(tmp_path)
    assert validation.diagnostics == ()
    assert validation.state is not None
    assert [len(i.data_fields) for i in validation.state.integrations] == [30] * 6
    assert [len(i.address_books) for i in validation.state.integrations] == [5] * 6
    # contacts-crm selects accounts 0 and 3, contacts-retail 1 and 4, leads the even ones
    assert [(m.name, m.integration) for m in validation.state.mappings] == [
        ("contacts-crm", "account-0000"),
        ("leads", "account-0000"),
        ("contacts-retail", "account-0001"),
        ("leads", "account-0002"),
        ("contacts-crm", "account-0003"),
        ("contacts-retail", "account-0004"),
        ("leads", "account-0004"),
    ]
