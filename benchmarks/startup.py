"""Start-up benchmark: the CPU a short command costs, against ``python -c pass``.

    .venv/bin/python benchmarks/startup.py [--runs 7]

Runs each command ``--runs`` times as a user does, through the ``reconciler`` console script
beside the interpreter (from the repository root, so ``validate examples/integrations`` reads
the examples), and prints the median CPU time of the child (user + sys, from ``os.wait4``), the
median wall time, the CPU above ``python -c pass`` and the target (≤ 0.3 s CPU each; issue 14).
A last column lists which of the heavy libraries the command loaded (httpx, jsonschema, psycopg,
the sandbox emulators), from one more run in a fresh interpreter that prints ``sys.modules``.
Asserts nothing; see docs/performance.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from table import table

ROOT = Path(__file__).resolve().parents[1]
COMMANDS: tuple[tuple[str, ...], ...] = (
    ("--help",),
    ("version",),
    ("validate", "examples/integrations"),
)
HEAVY = ("httpx", "jsonschema", "psycopg", "reconciler.sandbox")
TARGET = 0.3  # seconds of CPU (issue 14)

# Runs a command the way the console script does, then prints the heavy modules it loaded.
_LOADED = """
import sys
from reconciler.cli import main
main(sys.argv[1:])
found = {{name for name in {heavy!r} for module in sys.modules
         if module == name or module.startswith(name + ".")}}
print(",".join(sorted(found)), file=sys.stderr)
"""


def measure(argv: Sequence[str]) -> tuple[float, float]:
    """CPU (user + sys) and wall seconds of one child run."""
    started = time.perf_counter()
    child = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} exited {child.returncode}")
    return usage.ru_utime + usage.ru_stime, wall


def loaded(command: Sequence[str]) -> str:
    """The heavy libraries the command imports, comma-separated ('-' for none)."""
    code = _LOADED.format(heavy=HEAVY)
    done = subprocess.run(
        [sys.executable, "-c", code, *command],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stderr.rstrip("\n").split("\n")[-1] or "-"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args(argv)
    script = Path(sys.executable).with_name("reconciler")
    rows: list[tuple[str, float, float, str]] = []
    floor_cpu, floor_wall = _median([sys.executable, "-c", "pass"], args.runs)
    rows.append(("python -c pass", floor_cpu, floor_wall, "-"))
    for command in COMMANDS:
        cpu, wall = _median([str(script), *command], args.runs)
        rows.append((f"reconciler {' '.join(command)}", cpu, wall, loaded(command)))
    header = ("command", "CPU (median)", "wall (median)", "CPU over python", "target", "loads")
    lines = [header]
    for name, cpu, wall, heavy in rows:
        over = "-" if name == "python -c pass" else f"{cpu - floor_cpu:.3f} s"
        target = "-" if name == "python -c pass" else f"≤ {TARGET} s CPU"
        lines.append((name, f"{cpu:.3f} s", f"{wall:.3f} s", over, target, heavy))
    print(table(lines))
    return 0


def _median(argv: Sequence[str], runs: int) -> tuple[float, float]:
    measure(argv)  # warm-up: the page cache and the byte code
    samples = [measure(argv) for _ in range(runs)]
    return statistics.median(s[0] for s in samples), statistics.median(s[1] for s in samples)


if __name__ == "__main__":
    sys.exit(main())
