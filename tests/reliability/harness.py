"""The reliability harness: isolated labs, a warm launcher for real CLI processes, kill points,
a census of the remote objects, a secret scan, and the session's tally.

A :class:`Lab` is one world: the dotmailer and Oro emulators (in memory, rebuilt from the seed
by :meth:`Lab.reset`) behind a real loopback server in the test process, a working directory
with a copy of the examples and its own SQLite state, and a log directory. Every run of the
tool is a real process started by a :class:`Launcher` with the RECONCILER_* variables a user
would set, its stdout and stderr written to files in the lab, so the secret scan reads them too.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from e2e.sandbox_env import EXAMPLES, SECRETS, census, duplicates, fast_seed, run_environment

from reconciler.sandbox.core import Faults, Request, Response, SandboxServer
from reconciler.sandbox.world import Sandbox
from reconciler.state.sqlite import SqliteStore

ZYGOTE = Path(__file__).with_name("zygote.py")
WRITES = ("POST", "PUT", "PATCH", "DELETE")
NO_CHANGES = "No changes. Live systems match the configuration.\n"


# --- the session's tally -------------------------------------------------------------------


@dataclass
class Tally:
    """What the suite did, per scenario: faults injected, runs converged, what was found."""

    rows: dict[str, Counter[str]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, scenario: str, **counts: int) -> None:
        with self._lock:
            self.rows.setdefault(scenario, Counter()).update(counts)

    def total(self, what: str) -> int:
        return sum(row[what] for row in self.rows.values())

    def lines(self) -> list[str]:
        columns = ("faults", "converged", "duplicates", "secrets")
        header = ("scenario", "faults injected", "runs converged", "duplicates", "secrets found")
        body = [(name, *(str(self.rows[name][c]) for c in columns)) for name in sorted(self.rows)]
        widths = [max(len(r[i]) for r in [header, *body]) for i in range(len(header))]
        table = [
            "  ".join(
                cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i])
                for i, cell in enumerate(row)
            )
            for row in [header, *body]
        ]
        totals = (
            f"reliability: {self.total('faults')} faults injected, "
            f"{self.total('converged')} runs converged, {self.total('duplicates')} duplicates, "
            f"{self.total('secrets')} secrets found"
        )
        return [*table, totals]


TALLY = Tally()


# --- real processes ------------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    code: int  # -9 when killed
    out: str
    err: str


class Launcher:
    """Starts ``reconciler`` runs as real child processes of a warm interpreter (zygote.py)."""

    def __init__(self) -> None:
        self._process = subprocess.Popen(
            [sys.executable, str(ZYGOTE)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            bufsize=1,
        )

    def start(self, args: list[str], *, cwd: Path, env: Mapping[str, str], out: Path) -> int:
        job = {
            "args": args,
            "cwd": str(cwd),
            "env": dict(env),
            "out": str(out.with_suffix(".out")),
            "err": str(out.with_suffix(".err")),
        }
        assert self._process.stdin is not None
        self._process.stdin.write(json.dumps(job) + "\n")
        self._process.stdin.flush()
        return int(self._answer("pid"))

    def wait(self) -> int:
        return int(self._answer("exit"))

    def _answer(self, word: str) -> str:
        assert self._process.stdout is not None
        line = self._process.stdout.readline()
        assert line.startswith(word + " "), f"launcher said {line!r}"
        return line.split()[1]

    def close(self) -> None:
        assert self._process.stdin is not None
        self._process.stdin.close()
        self._process.wait(timeout=10)


@dataclass
class Pending:
    """A run that has started; ``finish`` waits for it."""

    lab: Lab
    launcher: Launcher
    log: Path
    pid: int

    def finish(self) -> Run:
        code = self.launcher.wait()
        run = Run(
            code,
            self.log.with_suffix(".out").read_text(encoding="utf-8"),
            self.log.with_suffix(".err").read_text(encoding="utf-8"),
        )
        self.lab.outputs += [run.out, run.err]
        return run


# --- requests: which are journaled, and killing a run at one of them ---------------------------


def is_write(request: Request) -> bool:
    return request.method in WRITES and request.path != "/oauth2-token"


class JournaledCalls:
    """Recognises, from the server's side, the calls an apply journals: every write, and the
    "Check connection" read of account-info that follows the refresh's own (SPEC §3)."""

    def __init__(self, integrations: int) -> None:
        self._integrations = integrations
        self._account_info = 0

    def __call__(self, request: Request) -> bool:
        if request.method == "GET" and request.path.endswith("/v2/account-info"):
            self._account_info += 1
            return self._account_info > self._integrations
        return is_write(request)


@dataclass
class KillPoint:
    """kill -9 the run at its ``index``-th journaled call (or, with ``only``, its ``index``-th
    request of that "METHOD /path"): ``before`` the emulator sees it (the request never
    arrives) or ``after`` the emulator committed it (the answer never arrives)."""

    index: int
    moment: str  # "before" | "after"
    only: str | None = None


class _Killed(Exception):
    """Raised by the before-hook so the emulator never sees the request of a killed run."""


# --- the lab ----------------------------------------------------------------------------------


class _Mount:
    """One emulator of whatever sandbox the lab holds now, so a reset needs no new server."""

    def __init__(self, lab: Lab, name: str, prefixes: tuple[str, ...]) -> None:
        self._lab = lab
        self.name = name
        self.prefixes = prefixes

    def handle(self, request: Request) -> Response:
        with self._lab.counting:
            self._lab.requests += 1
        before = self._lab.wrap
        if before is not None:
            answer = before(request)
            if answer is not None:
                return answer
        return self._lab.sandbox.handle(self.name, request)


class Lab:
    """One isolated world (see the module docstring)."""

    def __init__(
        self, root: Path, launcher: Launcher, scenario: str, *, integrations: int = 3
    ) -> None:
        self.root = root
        self.scenario = scenario  # the tally's row
        self.launcher = launcher
        self.integrations = integrations
        self.workdir = root / "work"
        self.config = self.workdir / "integrations"
        self.logs = root / "logs"
        self.runs_dir = root / "runs"
        for directory in (self.workdir, self.logs, self.runs_dir):
            directory.mkdir(parents=True)
        shutil.copytree(EXAMPLES, self.config)
        self.sandbox = Sandbox.in_memory(fast_seed())
        self.requests = 0  # requests that reached an emulator
        self.counting = threading.Lock()
        self.wrap: Callable[[Request], Response | None] | None = None
        mounts = [_Mount(self, app.name, app.prefixes) for app in self.sandbox.apps]
        self.server = SandboxServer(mounts).start()
        self.outputs: list[str] = []
        self.env_overrides: dict[str, str] = {}  # e.g. a changed secret for the next runs
        self._runs = 0

    @property
    def state_path(self) -> Path:
        return self.workdir / "state.db"

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            **run_environment(self.server.url, self.workdir),
            "RECONCILER_LOG_DIR": str(self.logs),
            **self.env_overrides,
        }

    def reset(self) -> None:
        """Back to the seeded world and no state."""
        self.sandbox = Sandbox.in_memory(fast_seed())
        self.server.set_faults(Faults())
        for suffix in ("", "-wal", "-shm", "-journal"):
            self.workdir.joinpath(f"state.db{suffix}").unlink(missing_ok=True)

    def close(self) -> None:
        self.server.stop()

    # -- runs --------------------------------------------------------------------------------

    def start(self, *args: str, launcher: Launcher | None = None) -> Pending:
        """Start a run; ``launcher`` another one than the lab's, for runs side by side."""
        self._runs += 1
        log = self.runs_dir / f"{self._runs:04d}-{args[0]}"
        chosen = launcher or self.launcher
        pid = chosen.start(list(args), cwd=self.workdir, env=self.env(), out=log)
        return Pending(self, chosen, log, pid)

    def run(self, *args: str, kill: KillPoint | None = None) -> Run:
        if kill is None:
            return self.start(*args).finish()
        with self._kill_at(kill) as pid_known:
            pending = self.start(*args)
            pid_known(pending.pid)
            return pending.finish()

    @contextmanager
    def _kill_at(self, kill: KillPoint) -> Iterator[Callable[[int], None]]:
        journaled: Callable[[Request], bool] = JournaledCalls(self.integrations)
        if kill.only is not None:
            only = kill.only
            journaled = lambda request: f"{request.method} {request.path}" == only  # noqa: E731
        known = threading.Event()
        target: dict[str, int] = {}
        seen = {"calls": 0}
        lock = threading.Lock()

        def hit(request: Request) -> bool:
            with lock:
                if not journaled(request):
                    return False
                seen["calls"] += 1
                return seen["calls"] == kill.index

        def before(request: Request) -> None:
            if hit(request):
                known.wait(30)
                os.kill(target["pid"], signal.SIGKILL)
                raise _Killed

        def after(request: Request, response: Response) -> None:
            if hit(request):
                known.wait(30)
                os.kill(target["pid"], signal.SIGKILL)

        def pid_known(pid: int) -> None:
            target["pid"] = pid
            known.set()

        if kill.moment == "before":
            self.server.before_app = before
        else:
            self.server.after_app = after
        try:
            yield pid_known
        finally:
            self.server.before_app = self.server.after_app = None

    # -- what the remote side and the state hold ---------------------------------------------

    def census(self) -> Counter[tuple[str, ...]]:
        counts: Counter[tuple[str, ...]] = census(self.sandbox)
        return counts

    def synced(self) -> list[str]:
        """The integrations Oro holds a sync job for, sorted (each apply that changes an
        integration ends by scheduling one, SPEC §4)."""
        oro: Any = self.sandbox.oro
        assert oro is not None
        tables = oro.tables
        names = {cid: str(c["a"]["name"]) for cid, c in tables["integrationchannels"].items()}
        jobs = tables["oro_message_queue_jobs"].values()
        return sorted({names.get(job["channel"], "?") for job in jobs})

    def state(self) -> SqliteStore:
        return SqliteStore(self.state_path)

    def converged(self, expected: Counter[tuple[str, ...]] | None = None, *flags: str) -> None:
        """A plan finds nothing to do, no object exists twice (and, when given, the live
        objects are exactly ``expected``); counted in the tally before it is asserted."""
        plan = self.run("plan", "integrations", "--detailed-exitcode", *flags)
        counts = self.census()
        found = duplicates(counts)
        TALLY.add(self.scenario, duplicates=sum(n - 1 for n in found.values()))
        assert found == {}
        assert (plan.code, plan.out, plan.err) == (0, NO_CHANGES, "")
        if expected is not None:
            assert counts == expected
        TALLY.add(self.scenario, converged=1)


def scan_for_secrets(
    texts: list[str], root: Path, extra: Mapping[str, str] | None = None
) -> list[str]:
    """Where a secret value of the run appears: in an output, or in any file under ``root``."""
    found = []
    for name, value in sorted({**SECRETS, **(extra or {})}.items()):
        found += [f"{name} in output {i}" for i, text in enumerate(texts) if value in text]
        found += [
            f"{name} in {path.relative_to(root)}"
            for path in sorted(root.rglob("*"))
            if path.is_file() and value.encode() in path.read_bytes()
        ]
    return found
