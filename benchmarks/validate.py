"""Benchmark ``validate`` on a large estate: 200 integrations, 30 data fields and 5 address
books each, 3 mappings shared through labels and lists.

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

from reconciler.config import validate_config
from reconciler.config.core import Validation

TYPES = ("String", "Numeric", "Date", "Boolean")
DEFAULTS = {"String": "bronze", "Numeric": 10, "Date": "2024-01-01", "Boolean": "No"}


def integration(index: int) -> str:
    team = ("crm", "retail", "web")[index % 3]
    lines = [
        "apiVersion: reconciler/v1",
        "kind: Integration",
        "metadata:",
        f"  name: account-{index:03d}",
        f"  labels: {{team: {team}, region: r{index % 3 + 1}}}",
        "spec:",
        "  owner: marketing-ops",
        "  connection:",
        f"    username: apiuser-{index:03d}@apiconnector.com",
        f"    password: {{env: DOTMAILER_{index:03d}_PASSWORD}}",
        "  dataFields:",
    ]
    for number in range(30):
        kind = TYPES[number % 4]
        lines.append(
            f"    - {{name: FIELD_{number:02d}, type: {kind}, visibility: Private, "
            f"default: {DEFAULTS[kind]!r}, notes: field {number}}}"
        )
    lines.append("  addressBooks:")
    for number in range(5):
        lines.append(
            f"    - {{name: Book {number} of {index}, visibility: Public, "
            f"marketingList: List {index}-{number}, createEntities: false}}"
        )
    return "\n".join(lines) + "\n"


def mappings(count: int) -> str:
    def mapping(name: str, selection: str, entity: str) -> str:
        fields = "\n".join(
            f"    - {{dataField: FIELD_{n:02d}, entityFields: [field{n}]}}" for n in range(0, 30, 4)
        )
        return (
            "apiVersion: reconciler/v1\nkind: DataFieldMapping\n"
            f"metadata: {{name: {name}}}\nspec:\n  integrations: {selection}\n"
            f"  entity: {entity}\n  syncPriority: 10\n  fields:\n"
            "    - {dataField: FIRSTNAME, entityFields: [firstName], twoWaySync: true}\n"
            "    - {dataField: FULLNAME, entityFields: [firstName, lastName]}\n"
            f"{fields}\n"
        )

    listed = ", ".join(f"account-{i:03d}" for i in range(0, count, 2))
    return "---\n".join(
        [
            mapping("contacts-crm", "{matchLabels: {team: crm}}", "contact"),
            mapping("contacts-rest", "{matchLabels: {team: retail}}", "contact"),
            mapping("leads", f"[{listed}]", "lead"),
        ]
    )


def generate(directory: Path, count: int) -> int:
    (directory / "owners.yaml").write_text(
        "apiVersion: reconciler/v1\nkind: Owner\nmetadata: {name: marketing-ops}\n"
        "spec: {username: mkt.ops, organization: ACME}\n",
        encoding="utf-8",
    )
    (directory / "integrations").mkdir()
    for index in range(count):
        (directory / "integrations" / f"account-{index:03d}.yaml").write_text(
            integration(index), encoding="utf-8"
        )
    (directory / "mappings.yaml").write_text(mappings(count), encoding="utf-8")
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
