"""The floor of benchmarks/scale.py: what latency, bare HTTP and parsing alone would cost.

Used by scale.py in the same run, on the same estate and the same sandbox (docs/performance.md,
"The floor"):

* **latency floor**: ``requests / concurrency × latency`` (the request count the emulators
  counted, the workers the phase ran with, the latency the sandbox adds to every request);
* **bare-HTTP CPU**: the CPU this process spends replaying the very requests the phase sent
  (recorded by the sandbox: method, path, query, headers, body) with ``http.client``, one
  keep-alive connection per worker, the same number of workers. Writes cannot be replayed, so
  the apply's is the replay's CPU per request times the apply's request count;
* **YAML floor**: the CPU of ``yaml.compose_all`` with the C loader over every file of the estate
  (composing the nodes, no Python objects, no schema, no model);
* **JSON floor**: the CPU of ``json.loads`` of every answer the replay received.

A plan's floor is ``YAML + max(latency, bare-HTTP CPU) + JSON``; the apply's is its HTTP floor,
``max(latency, bare-HTTP CPU)``.
"""

from __future__ import annotations

import http.client
import json
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import yaml

# method, path, query pairs, headers (lower-case names), body
Recorded = tuple[str, str, tuple[tuple[str, str], ...], tuple[tuple[str, str], ...], bytes]

# Headers http.client writes itself (Host, Content-Length) or that would change the connection.
_SKIP_HEADERS = frozenset({"host", "content-length", "connection", "transfer-encoding"})


@dataclass(frozen=True)
class Replay:
    requests: int
    cpu: float  # CPU seconds of this process for sending them and reading the answers
    wall: float
    json_cpu: float  # CPU seconds of json.loads of every JSON answer
    bodies: int  # bytes received

    @property
    def cpu_per_request(self) -> float:
        return self.cpu / self.requests if self.requests else 0.0


def latency_floor(requests: int, workers: int, latency_ms: float) -> float:
    """Seconds the round trips take at best: ``requests / workers × latency``."""
    return requests / max(1, workers) * latency_ms / 1000.0


def compose_cpu(directory: Path) -> float:
    """CPU seconds of ``yaml.compose_all`` (C loader) over every YAML file under ``directory``."""
    loader = getattr(yaml, "CSafeLoader", None) or yaml.CLoader
    texts = [p.read_text(encoding="utf-8") for p in sorted(directory.rglob("*.yaml"))]
    started = time.process_time()
    for text in texts:
        for _ in yaml.compose_all(text, Loader=loader):
            pass
    return time.process_time() - started


def replay(server_url: str, recorded: Sequence[Recorded], workers: int) -> Replay:
    """Send ``recorded`` again with ``http.client`` from ``workers`` threads; time it."""
    parts = urlsplit(server_url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    chunks = [list(recorded[i::workers]) for i in range(max(1, workers))]
    bodies: list[bytes] = []
    lock = threading.Lock()

    def send(chunk: list[Recorded]) -> None:
        connection = http.client.HTTPConnection(host, port)
        received = []
        try:
            for method, path, query, headers, body in chunk:
                target = f"{path}?{urlencode(query)}" if query else path
                wanted = {k: v for k, v in headers if k not in _SKIP_HEADERS}
                connection.request(method, target, body=body or None, headers=wanted)
                answer = connection.getresponse()
                received.append(answer.read())
        finally:
            connection.close()
        with lock:
            bodies.extend(received)

    cpu = time.process_time()
    wall = time.perf_counter()
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        list(pool.map(send, [c for c in chunks if c]))
    wall = time.perf_counter() - wall
    cpu = time.process_time() - cpu
    started = time.process_time()
    for body in bodies:
        if body[:1] in (b"{", b"["):
            json.loads(body)
    json_cpu = time.process_time() - started
    return Replay(len(recorded), cpu, wall, json_cpu, sum(len(b) for b in bodies))


def ratio(measured: float, floor: float) -> str:
    return f"{measured / floor:.2f}" if floor > 0 else "nan"


def ratio_line(plan_cold: str, plan_nochange: str, apply: str) -> str:
    """The benchmark's very last line (docs/performance.md)."""
    return f"floor-ratio: plan_cold={plan_cold} plan_nochange={plan_nochange} apply={apply}"
