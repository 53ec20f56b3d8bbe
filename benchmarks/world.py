"""The sandbox of benchmarks/scale.py in a child process (or a thread), its request counters,
and the measures of a process (peak memory) and of the environment a phase runs in."""

from __future__ import annotations

import multiprocessing
import os
import resource
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

import yaml
from floor import Recorded

from reconciler.sandbox.core import Faults, Request, Response, SandboxServer
from reconciler.sandbox.world import Sandbox


@dataclass
class Counts:
    dotmailer: int = 0
    oro: int = 0


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def memory_high_water_mib() -> float:
    """This process's peak RSS since its last exec (``VmHWM``, Linux). Not ``ru_maxrss``: the
    kernel carries that across fork and exec, so a spawned child would start from its parent's
    size at the spawn."""
    for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024  # kB
    raise RuntimeError("no VmHWM in /proc/self/status")


def _serve_world(
    seed: dict[str, Any], latency_ms: float, data_dir: Path | None, conn: Connection
) -> None:
    """The sandbox: in memory (or persisted per request), behind a latency-adding server."""
    if data_dir is None:
        sandbox = Sandbox.in_memory(seed)
    else:
        seed_file = data_dir.parent / "seed.yaml"
        seed_file.write_text(yaml.safe_dump(seed), encoding="utf-8")
        sandbox = Sandbox.open(data_dir, seed_file)
    server = SandboxServer(sandbox.apps, faults=Faults(latency_ms=latency_ms)).start()
    recorded: list[Recorded] | None = None

    def record(request: Request, _response: Response) -> None:
        if recorded is not None:  # list.append is atomic: the handler threads share the list
            query = tuple((k, v) for k, values in request.query.items() for v in values)
            recorded.append((request.method, request.path, query, tuple(request.headers.items()),
                             request.body))  # fmt: skip

    server.after_app = record
    conn.send(server.url)
    while True:
        command = conn.recv()
        if command == "record":
            recorded = []
            conn.send("recording")
        elif command == "recorded":
            conn.send(recorded or [])
            recorded = None
        elif command == "rss":
            conn.send(peak_rss_mib())
        elif command == "cpu":
            conn.send(time.process_time())  # all the sandbox's threads
        elif command == "counts":
            conn.send((sandbox.requests["dotmailer"], sandbox.requests["oro"]))
        elif command == "windows":
            conn.send(
                {
                    name: (account.rate_limit.windowSeconds, dict(account.window_log))
                    for name, account in sandbox.dotmailer.accounts.items()
                }
            )
        else:
            server.stop()
            conn.send("stopped")
            return


class World:
    """The sandbox and its request counters.

    By default it runs in a child process, so the tool's figures (wall time, CPU, RSS) are the
    tool's: in one process the emulators' HTTP handling competes for the GIL with the client.
    ``in_process`` runs it in a thread of this process instead.
    """

    def __init__(
        self,
        seed: dict[str, Any],
        latency_ms: float,
        data_dir: Path | None,
        *,
        in_process: bool = False,
    ) -> None:
        context = multiprocessing.get_context("fork")
        self._conn, child = context.Pipe()
        self._thread: threading.Thread | None = None
        self._process: BaseProcess | None = None
        args = (seed, latency_ms, data_dir, child)
        if in_process:
            self._thread = threading.Thread(target=_serve_world, args=args, daemon=True)
            self._thread.start()
        else:
            self._process = context.Process(target=_serve_world, args=args, daemon=True)
            self._process.start()
        self.url: str = self._conn.recv()

    def _ask(self, command: str) -> Any:
        self._conn.send(command)
        return self._conn.recv()

    def counts(self) -> Counts:
        dotmailer, oro = self._ask("counts")
        return Counts(dotmailer, oro)

    def since(self, before: Counts) -> Counts:
        now = self.counts()
        return Counts(now.dotmailer - before.dotmailer, now.oro - before.oro)

    def record(self) -> None:
        """Start recording every request the sandbox answers (for the floor's replay)."""
        self._ask("record")

    def recorded(self) -> list[Recorded]:
        """The requests answered since :meth:`record`; stops recording."""
        result: list[Recorded] = self._ask("recorded")
        return result

    def windows(self) -> dict[str, tuple[int, dict[float, int]]]:
        """Per account: the window length and the calls admitted per window start."""
        result: dict[str, tuple[int, dict[float, int]]] = self._ask("windows")
        return result

    def cpu(self) -> float:
        """CPU seconds the sandbox process has used so far (all its threads)."""
        result: float = self._ask("cpu")
        return result

    def peak_rss_mib(self) -> float:
        """The sandbox process's own peak RSS (MiB)."""
        result: float = self._ask("rss")
        return result

    def stop(self) -> None:
        self._ask("stop")
        if self._process is not None:
            self._process.join(timeout=10)
        if self._thread is not None:
            self._thread.join(timeout=10)


@contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
