"""GC benchmark: the CPU of load + compare + render of a large estate, per collector policy.

    .venv/bin/python benchmarks/gc_policy.py [--integrations 1000] [--runs 3]

Generates the estate of ``benchmarks/scale.py`` (N integrations, 30 data fields and 5 address
books each, 3 shared mappings) and, in a fresh interpreter per run, loads it
(``load_desired_state``), plans it against a synthetic live world with no integration yet
(``build_plan``: every object a create) and renders the plan as text, JSON and Markdown, as
``benchmarks/scale.py``'s local compute does. Policies:

- ``default``: Python's collector as it starts (thresholds 700/10/10);
- ``command``: what the ``reconciler`` console script sets (``reconciler.cli.tune_gc``);
- ``off``: no automatic collection at all, the floor (not a policy to ship: cycles would pile up).

Prints the median of ``--runs`` runs per policy: CPU seconds per phase (``time.process_time``;
one thread), the CPU spent inside collections (``gc.callbacks``), the number of collections of
the oldest generation and the child's peak RSS. Asserts nothing; see docs/performance.md.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from scale import PASSWORD, generate_estate, synthetic_world
from table import table

from reconciler.cli import tune_gc
from reconciler.config import load_desired_state
from reconciler.plan.compare import PlanOptions, build_plan
from reconciler.plan.render import render
from reconciler.state import Snapshot

POLICIES = ("default", "command", "off")
PHASES = ("load", "compare", "text", "json", "markdown")


class Collections:
    """CPU seconds spent in the collector, from its start/stop callbacks."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._started = 0.0
        gc.callbacks.append(self._callback)

    def _callback(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.process_time()
        else:
            self.seconds += time.process_time() - self._started


def child(policy: str, config: Path) -> dict[str, float]:
    """One run in this (fresh) interpreter: CPU per phase, GC CPU, full collections, RSS."""
    os.environ["BENCH_DOTMAILER_PASSWORD"] = PASSWORD
    if policy == "command":
        tune_gc()
    elif policy == "off":
        gc.disable()
    collections = Collections()
    full = gc.get_stats()[2]["collections"]
    figures: dict[str, float] = {}
    started = time.process_time()
    desired, _ = load_desired_state(config)
    figures["load"] = time.process_time() - started
    world = synthetic_world(desired)
    started = time.process_time()
    plan = build_plan(desired, world, Snapshot("bench", 0, {}), {}, PlanOptions())
    figures["compare"] = time.process_time() - started
    for fmt in ("text", "json", "markdown"):
        started = time.process_time()
        render(plan, fmt)
        figures[fmt] = time.process_time() - started
    figures["total"] = sum(figures[phase] for phase in PHASES)
    figures["gc"] = collections.seconds
    figures["full"] = gc.get_stats()[2]["collections"] - full
    figures["rss"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    figures["ops"] = len(plan.ops)
    return figures


def measure(policy: str, config: Path) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, __file__, "--child", policy, str(config)],
        capture_output=True,
        text=True,
        check=True,
    )
    figures: dict[str, float] = json.loads(done.stdout)
    return figures


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--integrations", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--child", nargs=2, metavar=("POLICY", "CONFIG"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child[0], Path(args.child[1]))))
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp)
        generate_estate(config, integrations=args.integrations)
        runs: dict[str, list[dict[str, float]]] = {policy: [] for policy in POLICIES}
        for _ in range(args.runs):  # interleaved, so a busy moment hits every policy alike
            for policy in POLICIES:
                runs[policy].append(measure(policy, config))
    ops = int(runs["default"][0]["ops"])
    print(f"{args.integrations} integrations, {ops} ops; median of {args.runs} runs, CPU seconds")
    header = ("policy", *PHASES, "total", "in GC", "full GCs", "peak RSS")
    rows = [header]
    for policy in POLICIES:
        median = {k: statistics.median(run[k] for run in runs[policy]) for k in runs[policy][0]}
        rows.append(
            (
                policy,
                *(f"{median[phase]:.2f}" for phase in PHASES),
                f"{median['total']:.2f}",
                f"{median['gc']:.2f}",
                f"{median['full']:.0f}",
                f"{median['rss']:.0f} MiB",
            )
        )
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
