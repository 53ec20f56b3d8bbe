"""benchmarks/nested_diff.py, run tiny: deepdiff is never called for an unchanged object."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "nested_diff.py"


def test_unchanged_objects_never_reach_deepdiff() -> None:
    run = subprocess.run(
        [sys.executable, str(SCRIPT), "--ops", "30"],
        capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    lines = run.stdout.splitlines()
    assert lines[0] == "30 ops (a third of them mappings of 9 mapped fields)"
    calls = {
        re.sub(r"\s{2,}.*", "", line.strip()): int(line.rsplit(maxsplit=3)[-3].replace(",", ""))
        for line in lines[1:]
    }
    assert calls == {
        "stale check, unchanged: baseline (== only)": 0,
        "stale check, unchanged: with deepdiff paths": 0,
        "stale check, every op moved": 30,  # each op's fingerprint and values moved
        "ci compare, unchanged": 0,
        "ci compare, every op moved": 10,  # the mappings: structured rows only
        "render text (nested detail rows)": 10,  # one changed structured row per mapping
    }
