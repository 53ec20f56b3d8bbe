"""benchmarks/http_path.py: one tiny real run, to keep it working (its figures are not checked)."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "http_path.py"


def test_a_tiny_run_prints_every_option(capsys: pytest.CaptureFixture[str]) -> None:
    spec = importlib.util.spec_from_file_location("benchmark_http_path", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    assert (
        module.main(["--requests", "12", "--accounts", "3", "--workers", "2", "--runs", "1"]) == 0
    )
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == (
        "12 GETs, 3 accounts, 2 threads, loopback, no added latency; best of 1 runs"
    )
    assert re.split(r"  +", lines[1]) == ["option", "wall ms/req", "CPU ms/req", "CPU / bare"]
    options = [re.split(r"  +", line)[0] for line in lines[3:]]
    assert options == [
        "client per account",
        "client per account, trust_env=False",
        "client per account, http.client transport",
        "shared client",
        "shared, trust_env=False",
        "shared, http.client transport",
        "bare http.client",
    ]
    assert all(
        re.fullmatch(r".+?  +\d+\.\d{3}  +\d+\.\d{3}  +\d+\.\d\dx", line) for line in lines[3:]
    )
