"""Scale benchmark: validate, plan, apply and re-plan a large estate against the sandbox.

    .venv/bin/python benchmarks/scale.py [--integrations 200] [--latency-ms 25]
        [--data-fields 30] [--books 5] [--skip-apply] [--no-naive] [--apply-concurrency 32]
        [--rate 10/2] [--throttled 4] [--oro-max-page -1] [--local-objects 10000]
        [--persist] [--in-process]

Generates an estate of N integrations (each with its own dotmailer account, D data fields and
B address books, sharing 3 mappings through label selectors and a list) into a temp dir, and
seeds a sandbox with the N accounts and the Oro users, organization and marketing lists the
estate needs. The sandbox runs in a child process (``Sandbox.in_memory`` unless ``--persist``;
in a thread with ``--in-process``) behind a ``SandboxServer`` that adds ``--latency-ms`` to every
request. The phases run through the library (``open_session``, ``Session.refresh``,
``build_plan``, ``render``, ``Session.apply``), each command phase (the plans, the apply, the
local compute) in a fresh interpreter of its own (``in_command``), as the console script would
run it; request counts come from the emulators' counters, each command's peak RSS from its
own process's ``VmHWM``. A rate-bound phase applies ``--throttled`` more
integrations whose accounts allow ``--rate`` CALLS/SECONDS (a tiered window, shortened).
Prints one table with the targets beside the figures; asserts nothing. See docs/performance.md.

"Naive refresh" (``naive.py``, in the benchmarks only) reads every object with its own GET, as a
generic per-resource provider (Terraform's REST provider) would: ``GET /v2/address-books/{id}``
per address book; v2 has no GET of one data field, so ``GET /v2/data-fields`` (the whole list)
once per data field; ``GET {api}/<type>/{id}`` per Oro integration, transport, data field,
address book, marketing list and mapping. Same latency and worker count as the product's
refresh, through the product's retry and rate-limit policy, against the world the apply made.
"""

from __future__ import annotations

import argparse
import gc
import pickle
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))  # estate, floor, naive, table, world
from estate import ORO_SECRET, PASSWORD, generate_estate, sandbox_seed, username
from floor import (
    Recorded,
    compose_cpu,
    latency_floor,
    ratio,
    ratio_line,
    replay,
)
from naive import naive_refresh
from table import table
from world import World, environment, memory_high_water_mib, peak_rss_mib

from reconciler.config import load_desired_state, validate_config
from reconciler.model import (
    BusinessUnit,
    DesiredState,
    LiveUser,
    LiveWorld,
    MarketingList,
    Organization,
)
from reconciler.plan.compare import PlanOptions, build_plan
from reconciler.plan.ops import address
from reconciler.plan.render import render
from reconciler.plan.steps import Kind
from reconciler.refresh import read_workers
from reconciler.session import SessionOptions, open_session
from reconciler.state import Snapshot

# --- measuring --------------------------------------------------------------------------------


@dataclass
class Figures:
    rows: list[tuple[str, str, str]] = field(default_factory=list)  # measure, value, target
    rss: dict[str, float] = field(default_factory=dict)  # command → its process's peak RSS, MiB

    def add(self, measure: str, value: str, target: str = "") -> None:
        self.rows.append((measure, value, target))

    def table(self) -> str:
        return table([("measure", "value", "target"), *self.rows])


def timed(call: Callable[[], Any]) -> tuple[Any, float]:
    gc.collect()
    started = time.perf_counter()
    result = call()
    return result, time.perf_counter() - started


COMMAND_CHILD = "--command-child"  # argv[1] of a child run by in_command


def in_command(name: str, *args: Any) -> tuple[Any, float]:
    """``COMMANDS[name](*args)`` in a fresh interpreter, as ``reconciler plan`` / ``apply``
    runs: the console script's collector policy and no heap left by the phases before it (the
    floors' replays, the previous plan). Returns its result and that process's peak RSS in MiB,
    so each command's memory is its own, not the benchmark's. The environment (``environment``)
    is inherited; the arguments and the result cross as pickles in files."""
    with tempfile.TemporaryDirectory() as tmp:
        given, answer = Path(tmp) / "args.pickle", Path(tmp) / "result.pickle"
        given.write_bytes(pickle.dumps(args))
        command = [sys.executable, str(Path(__file__).resolve()), COMMAND_CHILD, name]
        done = subprocess.run([*command, str(given), str(answer)], check=False)
        if done.returncode:
            raise RuntimeError(f"{name} failed in its own process (exit {done.returncode})")
        fields, mib = pickle.loads(answer.read_bytes())
    kind = RESULTS.get(name)
    return (kind(**fields) if kind else fields), mib


def _command_child(name: str, given: Path, answer: Path) -> int:
    from reconciler.cli import tune_gc

    args = pickle.loads(given.read_bytes())
    tune_gc()  # what the console script does before a command
    result = COMMANDS[name](*args)
    # A dataclass crosses as its fields: its class is this file's, which the parent may have
    # loaded under another module name (the tests do).
    fields = dict(vars(result)) if name in RESULTS else result
    answer.write_bytes(pickle.dumps((fields, memory_high_water_mib())))
    return 0


@dataclass
class PlanTiming:
    """One ``reconciler plan`` as the command runs it, phase by phase (seconds)."""

    load: float  # open_session: find, load and validate the config, open state and clients
    refresh: float
    compare: float  # state read + build_plan
    render: float  # text
    refresh_cpu: float  # CPU seconds of this process (all threads) during the refresh
    wall: float
    ops: int
    live: LiveWorld | None  # with keep_live (the naive refresh reads it)
    read_workers: int

    def add_parts(self, figures: Figures) -> None:
        figures.add("  load config + refresh + compare + render text",
                    f"{self.load:.2f} + {self.refresh:.2f} + {self.compare:.2f} + "
                    f"{self.render:.2f} s")  # fmt: skip
        figures.add("  the tool's CPU during the refresh", f"{self.refresh_cpu:.2f} s")


def command_plan(config: Path, keep_live: bool = False) -> PlanTiming:
    """What ``reconciler plan`` does (engine.Session.plan, split to time its phases)."""
    gc.collect()
    started = time.perf_counter()
    with open_session(SessionOptions(config_path=config)) as session:
        opened = time.perf_counter()
        cpu = time.process_time()
        live = session.refresh()
        refreshed = time.perf_counter()
        cpu = time.process_time() - cpu
        plan = build_plan(
            session.desired,
            live,
            session.store.read(),
            {address(Kind.INTEGRATION, k): s.fingerprints for k, s in session.secrets.items()},
            PlanOptions(),
        )
        compared = time.perf_counter()
        render(plan, "text")
        rendered = time.perf_counter()
        workers = read_workers(session.desired.settings.concurrency)
    return PlanTiming(
        load=opened - started,
        refresh=refreshed - opened,
        compare=compared - refreshed,
        render=rendered - compared,
        refresh_cpu=cpu,
        wall=rendered - started,
        ops=len(plan.ops),
        live=live if keep_live else None,
        read_workers=workers,
    )


@dataclass
class ApplyTiming:
    seconds: float  # Session.apply of the plan, wall
    cpu: float  # CPU seconds of this process (all threads) during it
    succeeded: int
    failed: int


def command_apply(config: Path, concurrency: int) -> ApplyTiming:
    """What ``reconciler apply`` does: plan, then apply it (timed) with ``concurrency``."""
    with (
        environment({"RECONCILER_CONCURRENCY": str(concurrency)}),
        open_session(SessionOptions(config_path=config)) as session,
    ):
        (plan, live) = session.plan(PlanOptions())
        cpu = time.process_time()
        result, seconds = timed(lambda: session.apply(plan, live))
        cpu = time.process_time() - cpu
    return ApplyTiming(seconds, cpu, result.count("succeeded"), result.count("failed"))


# --- local compute (no HTTP) -----------------------------------------------------------------


def synthetic_world(desired: DesiredState) -> LiveWorld:
    """The Oro lookups the estate needs and no integration yet: every object is a create."""
    names = sorted({b.marketing_list for i in desired.integrations for b in i.address_books
                    if b.marketing_list})  # fmt: skip
    return LiveWorld(
        users=(LiveUser("1", "mkt.ops", True, ("1",), ("1",)),),
        organizations=(Organization("1", "ACME"),),
        business_units=(BusinessUnit("1", "Main", "1"),),
        marketing_lists=tuple(
            MarketingList(str(n), name, "Oro\\Bundle\\ContactBundle\\Entity\\Contact")
            for n, name in enumerate(names, start=1)
        ),
    )


def local_compute(objects: int, data_fields: int, books: int) -> dict[str, float]:
    """Seconds for load (validate) + build_plan + render x3 of an estate of ~``objects``."""
    per = data_fields + books + 1
    count = max(1, round(objects / per))
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        generate_estate(directory, integrations=count, data_fields=data_fields, books=books)
        with environment({"BENCH_DOTMAILER_PASSWORD": PASSWORD}):
            gc.collect()
            t0 = time.perf_counter()
            desired, diagnostics = load_desired_state(directory)
            t1 = time.perf_counter()
    assert not [d for d in diagnostics if d.severity == "error"], diagnostics[:3]
    world = synthetic_world(desired)
    t2 = time.perf_counter()
    plan = build_plan(desired, world, Snapshot("bench", 0, {}), {}, PlanOptions())
    t3 = time.perf_counter()
    figures: dict[str, float] = {}
    for fmt in ("text", "json", "markdown"):
        started = time.perf_counter()
        figures[fmt + " size"] = len(render(plan, fmt))
        figures[fmt] = time.perf_counter() - started
    t4 = time.perf_counter()
    return {
        "integrations": count,
        "objects": sum(len(i.data_fields) + len(i.address_books) + 1 for i in desired.integrations)
        + len(desired.mappings),
        "ops": len(plan.ops),
        "load": t1 - t0,
        "compare": t3 - t2,
        "render": t4 - t3,
        **figures,
    }


# --- budget use -------------------------------------------------------------------------------


def budget_use(
    windows: dict[str, tuple[int, dict[float, int]]], since: float, limit: int
) -> tuple[float, int]:
    """Share of the per-account budget used in the windows where an account was throttled.

    For each account, the windows strictly between its first and last window of the apply (the
    ones the client had to wait through, start to end) should be used up: calls / limit.
    Returns (use, windows counted).
    """
    used = 0
    counted = 0
    for step, log in windows.values():
        seen = sorted(w for w in log if w + step > since)  # windows the apply ran in
        if len(seen) < 3:
            continue
        first, last = seen[0], seen[-1]
        interior = [first + step * k for k in range(1, round((last - first) / step))]
        used += sum(min(log.get(w, 0), limit) for w in interior)
        counted += len(interior)
    return (used / (counted * limit) if counted else float("nan")), counted


# --- the run ------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--integrations", type=int, default=200)
    parser.add_argument("--latency-ms", type=float, default=25.0)
    parser.add_argument("--data-fields", type=int, default=30)
    parser.add_argument("--books", type=int, default=5)
    parser.add_argument("--skip-apply", action="store_true")
    parser.add_argument(
        "--naive", action=argparse.BooleanOptionalAction, default=True,
        help="also time the naive one-GET-per-object refresh (needs the apply)",
    )  # fmt: skip
    parser.add_argument("--apply-concurrency", type=int, default=32)
    parser.add_argument(
        "--rate", default="10/2",
        help="tiered limit of the rate-bound accounts: CALLS/SECONDS (default 10/2)",
    )  # fmt: skip
    parser.add_argument(
        "--throttled", type=int, default=4,
        help="extra integrations applied under --rate (0: skip that phase)",
    )  # fmt: skip
    parser.add_argument(
        "--oro-max-page", type=int, default=-1,
        help="the Oro server's page-size cap (oro_api.max_entities; default -1, none)",
    )  # fmt: skip
    parser.add_argument("--local-objects", type=int, default=10_000)
    parser.add_argument("--persist", action="store_true", help="persist the world per request")
    parser.add_argument(
        "--in-process", action="store_true", help="run the sandbox in this process (a thread)"
    )
    args = parser.parse_args(argv)
    calls, window = (int(part) for part in args.rate.split("/"))
    n = args.integrations
    figures = Figures()
    figures.add("integrations", str(n))
    figures.add(
        "objects (fields + books + integrations)", str(n * (args.data_fields + args.books + 1))
    )

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        config = root / "estate"
        config.mkdir()
        generate_estate(config, integrations=n, data_fields=args.data_fields, books=args.books)
        seed = sandbox_seed(
            integrations=n + args.throttled,
            books=args.books,
            calls=calls,
            window_seconds=window,
            throttled_from=n,
            oro_max_page=args.oro_max_page,
        )
        world = World(
            seed,
            args.latency_ms,
            root / "sandbox" if args.persist else None,
            in_process=args.in_process,
        )
        env = {
            "BENCH_DOTMAILER_PASSWORD": PASSWORD,
            "RECONCILER_ORO_URL": world.url,
            "RECONCILER_ORO_CLIENT_ID": "bench",
            "RECONCILER_ORO_CLIENT_SECRET": ORO_SECRET,
            "RECONCILER_DOTMAILER_API_URL": world.url,
            "RECONCILER_STATE": f"sqlite:///{root / 'state.db'}",
        }
        try:
            with environment(env):
                validation, seconds = timed(lambda: validate_config(config))
                assert not validation.diagnostics, validation.diagnostics[:3]
                figures.add("validate", f"{seconds:.2f} s")
                ratios = run(args, config, world, figures)
                if args.throttled and not args.skip_apply:
                    throttled = root / "throttled"
                    throttled.mkdir()
                    generate_estate(
                        throttled,
                        integrations=args.throttled,
                        data_fields=args.data_fields,
                        books=args.books,
                        first=n,
                    )
                    state = f"sqlite:///{root / 'throttled.db'}"
                    with environment({"RECONCILER_STATE": state}):
                        rate_bound_apply(args, throttled, world, figures, (calls, window))
                sandbox_rss = None if args.in_process else world.peak_rss_mib()
        finally:
            world.stop()

    local, figures.rss["local compute"] = in_command(
        "local compute", args.local_objects, args.data_fields, args.books
    )
    total = local["load"] + local["compare"] + local["render"]
    figures.add(
        f"local compute, {local['objects']:.0f} objects: load+validate", f"{local['load']:.2f} s"
    )
    figures.add(f"  compare ({local['ops']:.0f} ops)", f"{local['compare']:.2f} s")
    for fmt in ("text", "json", "markdown"):
        figures.add(f"  render {fmt} ({local[fmt + ' size'] / 2**20:.1f} MiB)",
                    f"{local[fmt]:.2f} s")  # fmt: skip
    figures.add("  total", f"{total:.2f} s", "< 1.5 s")
    for command, mib in figures.rss.items():
        figures.add(f"peak RSS, {command} (its own process)", f"{mib:.0f} MiB",
                    "≤ 300 MiB (1,000)")  # fmt: skip
    figures.add("peak RSS, this benchmark's process (floors, naive refresh)",
                f"{peak_rss_mib():.0f} MiB")  # fmt: skip
    if sandbox_rss is not None:
        figures.add("peak RSS, the sandbox's process", f"{sandbox_rss:.0f} MiB")
    print(figures.table())
    print(ratio_line(*ratios))
    return 0


def run(
    args: argparse.Namespace, config: Path, world: World, figures: Figures
) -> tuple[str, str, str]:
    """Cold plan, apply, no-change plan and naive refresh of the main estate, each beside its
    floor (benchmarks/floor.py); returns the three measured ÷ floor ratios."""
    n = args.integrations
    wall_target = "< 5 s (200), < 10 s (1,000)"
    yaml_floor = compose_cpu(config)
    figures.add("floor: C-YAML compose of the estate", f"{yaml_floor:.2f} s CPU")
    before = world.counts()
    world.record()
    sandbox_cpu = world.cpu()
    timing, figures.rss["cold plan"] = in_command("plan", config)
    sandbox_cpu = world.cpu() - sandbox_cpu
    recorded = world.recorded()
    used = world.since(before)
    figures.add("cold plan, command wall", f"{timing.wall:.2f} s ({timing.ops} ops)", wall_target)
    timing.add_parts(figures)
    figures.add("  the sandbox's CPU during the plan (its refresh)", f"{sandbox_cpu:.2f} s")
    figures.add("  dotmailer requests", f"{used.dotmailer} ({used.dotmailer / n:.2f} each)",
                "≤ 3 per integration")  # fmt: skip
    figures.add("  Oro requests", f"{used.oro}", "constant")
    cold_floor, per_request = plan_floor(args, world, recorded, timing, yaml_floor, figures)
    plan_cold = ratio(timing.wall, cold_floor)
    figures.add("  ratio to the floor", f"{plan_cold}x", "≤ 2x (1,000)")
    if args.skip_apply:
        return plan_cold, "nan", "nan"
    # The apply runs with --apply-concurrency (RECONCILER_CONCURRENCY, as a user would set it);
    # the plans keep the default, so their figures are what a default run gets. Its plan's
    # refresh reads the same unchanged world as the cold plan did, so the apply's own requests
    # are the child's less the cold plan's.
    reads = used
    before = world.counts()
    applied, figures.rss["apply"] = in_command("apply", config, args.apply_concurrency)
    used = world.since(before)
    used.dotmailer -= reads.dotmailer
    used.oro -= reads.oro
    seconds = applied.seconds
    figures.add(
        f"apply (concurrency {args.apply_concurrency})",
        f"{seconds:.1f} s ({applied.succeeded} ok, {applied.failed} failed)",
    )
    figures.add("  the tool's CPU during the apply", f"{applied.cpu:.2f} s")
    figures.add("  dotmailer / Oro requests", f"{used.dotmailer} / {used.oro}")
    requests = used.dotmailer + used.oro
    latency = latency_floor(requests, args.apply_concurrency, args.latency_ms)
    figures.add(f"  floor: latency {requests}/{args.apply_concurrency} x {args.latency_ms:g} ms",
                f"{latency:.2f} s")  # fmt: skip
    bare = requests * per_request
    figures.add("  floor: bare-HTTP CPU (replay's per request x requests)", f"{bare:.2f} s")
    apply_floor = max(latency, bare)
    apply = ratio(seconds, apply_floor)
    figures.add("  HTTP floor, ratio", f"{apply_floor:.2f} s, {apply}x", "≤ 2x")
    before = world.counts()
    world.record()
    sandbox_cpu = world.cpu()
    timing, figures.rss["no-change plan"] = in_command("plan", config, args.naive)
    sandbox_cpu = world.cpu() - sandbox_cpu
    recorded = world.recorded()
    used = world.since(before)
    figures.add(
        "no-change plan, command wall", f"{timing.wall:.2f} s ({timing.ops} ops)", wall_target
    )
    timing.add_parts(figures)
    figures.add("  the sandbox's CPU during the plan (its refresh)", f"{sandbox_cpu:.2f} s")
    figures.add("  dotmailer / Oro requests", f"{used.dotmailer} / {used.oro}")
    nochange_floor, _ = plan_floor(args, world, recorded, timing, yaml_floor, figures)
    plan_nochange = ratio(timing.wall, nochange_floor)
    figures.add("  ratio to the floor", f"{plan_nochange}x", "≤ 2x (1,000)")
    if args.naive:
        live = timing.live
        assert live is not None  # kept by the child (keep_live)
        passwords = {username(i): PASSWORD for i in range(n)}
        sent, naive = timed(lambda: naive_refresh(live, world.url, passwords, timing.read_workers))
        figures.add("naive refresh (one GET per object)", f"{naive:.2f} s ({sent} requests)")
        figures.add("  ratio naive / product refresh", f"{naive / timing.refresh:.1f}x")
    return plan_cold, plan_nochange, apply


def plan_floor(
    args: argparse.Namespace,
    world: World,
    recorded: list[Recorded],
    timing: PlanTiming,
    yaml_floor: float,
    figures: Figures,
) -> tuple[float, float]:
    """A plan's floor (YAML + max(latency, bare-HTTP CPU) + JSON), its rows, and the replay's
    CPU per request."""
    workers = timing.read_workers
    latency = latency_floor(len(recorded), workers, args.latency_ms)
    again = replay(world.url, recorded, workers)
    figures.add(f"  floor: latency {len(recorded)}/{workers} x {args.latency_ms:g} ms",
                f"{latency:.2f} s")  # fmt: skip
    figures.add("  floor: bare-HTTP CPU (http.client replay)",
                f"{again.cpu:.2f} s ({again.cpu_per_request * 1000:.2f} ms each)")  # fmt: skip
    figures.add(f"  floor: json.loads of the answers ({again.bodies / 2**20:.1f} MiB)",
                f"{again.json_cpu:.2f} s")  # fmt: skip
    total = yaml_floor + max(latency, again.cpu) + again.json_cpu
    figures.add("  floor: YAML + max(latency, HTTP CPU) + JSON", f"{total:.2f} s")
    return total, again.cpu_per_request


def rate_bound_apply(
    args: argparse.Namespace,
    config: Path,
    world: World,
    figures: Figures,
    rate: tuple[int, int],
) -> None:
    """Apply a few integrations whose accounts allow fewer calls than the apply would make."""
    calls, window = rate
    with (
        environment({"RECONCILER_CONCURRENCY": str(args.throttled)}),
        open_session(SessionOptions(config_path=config)) as session,
    ):
        (plan, live) = session.plan(PlanOptions())
        started_at = time.time()
        result, seconds = timed(lambda: session.apply(plan, live))
        stats = [c.limiter.stats() for c in session.dotmailer.made()]
        use, windows = budget_use(world.windows(), started_at, calls)
        figures.add(
            f"rate-bound apply ({args.throttled} accounts at {calls} calls/{window} s)",
            f"{seconds:.1f} s ({result.count('succeeded')} ok, {result.count('failed')} failed)",
        )
        figures.add("  limiter waits", str(sum(s.waits for s in stats)))
        figures.add(f"  budget used in full windows ({windows})", f"{use:.0%}", "≥ 90 %")
        figures.add("  429 answers", str(sum(s.rate_limited for s in stats)), "≤ 1 per account")


COMMANDS: dict[str, Callable[..., Any]] = {
    "plan": command_plan,
    "apply": command_apply,
    "local compute": local_compute,
}
RESULTS: dict[str, type] = {"plan": PlanTiming, "apply": ApplyTiming}


if __name__ == "__main__":
    if sys.argv[1:2] == [COMMAND_CHILD]:
        sys.exit(_command_child(sys.argv[2], Path(sys.argv[3]), Path(sys.argv[4])))
    # The collector as the console script sets it for a command (reconciler.cli.tune_gc), so the
    # plan and apply figures are those of `reconciler plan` / `apply`; in-process callers (the
    # tests) keep theirs.
    from reconciler.cli import tune_gc

    tune_gc()
    sys.exit(main())
