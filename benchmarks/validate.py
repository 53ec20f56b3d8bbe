"""Benchmark ``validate`` on a large estate: 200 integrations, 30 data fields and 5 address
books each, 3 mappings shared through labels and lists (benchmarks/estate.py, the estate
benchmarks/scale.py plans).

    .venv/bin/python benchmarks/validate.py [--integrations N]

Prints wall time (best of 3, without tracing), tracemalloc peak (a separate traced run) and
the process's peak RSS. Target: under 1 s and 150 MB.
"""

from __future__ import annotations

import argparse
import gc
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # estate.py, beside this file
from estate import generate_estate

from reconciler.config import validate_config
from reconciler.config.core import Validation


def generate(directory: Path, count: int) -> int:
    """benchmarks/scale.py's estate (estate.py) of ``count`` integrations; its YAML's size."""
    generate_estate(directory, integrations=count)
    return sum(f.stat().st_size for f in directory.rglob("*.yaml"))


def measure(directory: Path) -> tuple[float, float, int, Validation]:
    """Best-of-3 wall and CPU seconds (CPU time shows the cost on a busy machine), then the
    tracemalloc peak of a separate traced run."""
    times, cpu_times = [], []
    validation = None
    for _ in range(3):
        gc.collect()
        started, cpu_started = time.perf_counter(), time.process_time()
        validation = validate_config(directory)
        times.append(time.perf_counter() - started)
        cpu_times.append(time.process_time() - cpu_started)
    assert validation is not None
    gc.collect()
    tracemalloc.start()
    validate_config(directory)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return min(times), min(cpu_times), peak, validation


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--integrations", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        size = generate(directory, args.integrations)
        wall, cpu, peak, validation = measure(directory)
    rss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    nodes = (
        sum(len(i.data_fields) + len(i.address_books) for i in validation.state.integrations)
        if validation.state
        else 0
    )
    rows = [
        ("integrations", f"{validation.integrations}"),
        ("data fields + address books", f"{nodes}"),
        ("expanded mappings", f"{len(validation.state.mappings) if validation.state else 0}"),
        ("YAML size", f"{size / 1024:.0f} KiB"),
        ("diagnostics", f"{len(validation.diagnostics)}"),
        ("wall time (best of 3)", f"{wall:.3f} s"),
        ("CPU time (best of 3)", f"{cpu:.3f} s"),
        ("tracemalloc peak", f"{peak / 2**20:.1f} MiB"),
        ("ru_maxrss (process)", f"{rss_kib / 1024:.1f} MiB"),
    ]
    width = max(len(name) for name, _ in rows)
    print(f"{'measure':<{width}}  value")
    print(f"{'-' * width}  {'-' * 12}")
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    ok = wall < 1.0 and rss_kib / 1024 < 150
    print(f"\ntarget (< 1 s, < 150 MB): {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
