"""HTTP path benchmark: the CPU and wall time of one small GET, per way of sending it.

    .venv/bin/python benchmarks/http_path.py [--requests 3000] [--accounts 1000] [--workers 32]
        [--runs 3]

Sends the same ``--requests`` loopback GETs (``GET /v2/account-info`` with each account's HTTP
Basic credentials, ``--accounts`` dotmailer accounts in turn) to the dotmailer emulator running
in a child process (no added latency), from ``--workers`` threads, once per option:

* ``client per account``: one ``httpx.Client`` per account, auth on the client (what the tool did
  before issue 14), environment read by each client (``trust_env``, the default);
* ``shared client``: one ``httpx.Client`` for every account, auth per request, ``trust_env`` on;
* ``shared, trust_env=False``: the same without reading the proxy environment;
* ``client per account, http.client transport``: per account, over the tool's
  ``LightTransport`` (reconciler/providers/transport.py: ``http.client`` under httpx);
* ``shared, http.client transport``: one client over ``LightTransport`` (what the tool does);
* ``bare http.client``: no httpx at all (the floor).

HTTP/2 is not measured: it needs the ``h2`` package and a server that speaks it; the emulator
and the loopback path are HTTP/1.1 (with TLS, HTTP/2 would be negotiated by ALPN only).
Prints wall and CPU (this process, all threads) per request; asserts nothing. The sandbox runs in
another process so its CPU is not counted. See docs/performance.md.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import multiprocessing
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from reconciler.providers.http import tls_context
from reconciler.providers.transport import LightTransport

sys.path.insert(0, str(Path(__file__).resolve().parent))  # table.py, beside this file
from table import table

from reconciler.sandbox.core import SandboxServer
from reconciler.sandbox.world import Sandbox

PASSWORD = "bench-dotmailer-pw"  # sandbox-only value
PATH = "/v2/account-info"


def username(index: int) -> str:
    return f"apiuser-{index:04d}@apiconnector.com"


def _serve(accounts: int, conn: Connection) -> None:
    seed = {
        "dotmailer": {
            "accounts": [
                {
                    "username": username(i),
                    "password": PASSWORD,
                    "rateLimit": {"mode": "tiered", "perMinute": 10**9, "windowSeconds": 60},
                }
                for i in range(accounts)
            ]
        }
    }
    sandbox = Sandbox.in_memory(seed)
    server = SandboxServer(sandbox.apps).start()
    conn.send(server.url)
    conn.recv()
    server.stop()


@contextmanager
def sandbox(accounts: int) -> Iterator[str]:
    context = multiprocessing.get_context("fork")
    parent, child = context.Pipe()
    process = context.Process(target=_serve, args=(accounts, child), daemon=True)
    process.start()
    try:
        yield parent.recv()
    finally:
        parent.send("stop")
        process.join(timeout=10)


Send = Callable[[int], None]  # sends request number i


def option_client_per_account(
    url: str, accounts: int, *, trust_env: bool = True, light: bool = False
) -> tuple[Send, Callable[[], None]]:
    clients: dict[int, httpx.Client] = {}
    lock = threading.Lock()

    def send(i: int) -> None:
        account = i % accounts
        with lock:
            client = clients.get(account)
            if client is None:
                client = clients[account] = httpx.Client(
                    auth=httpx.BasicAuth(username(account), PASSWORD),
                    verify=tls_context(),
                    trust_env=trust_env,
                    transport=LightTransport() if light else None,
                )
        client.get(f"{url}{PATH}").raise_for_status()

    return send, lambda: [c.close() for c in clients.values()] and None


def option_shared(
    url: str, accounts: int, *, trust_env: bool, transport: httpx.BaseTransport | None = None
) -> tuple[Send, Callable[[], None]]:
    # As many keep-alive connections as threads: httpx keeps 20 by default, and the 21st thread's
    # connection would be closed after each request and opened again.
    limits = httpx.Limits(max_connections=None, max_keepalive_connections=64)
    client = httpx.Client(
        verify=tls_context(), trust_env=trust_env, transport=transport, limits=limits
    )
    auths = [httpx.BasicAuth(username(a), PASSWORD) for a in range(accounts)]

    def send(i: int) -> None:
        client.get(f"{url}{PATH}", auth=auths[i % accounts]).raise_for_status()

    return send, client.close


def option_bare(url: str, accounts: int) -> tuple[Send, Callable[[], None]]:
    parts = urlsplit(url)
    local = threading.local()
    headers = [
        {
            "Authorization": "Basic "
            + base64.b64encode(f"{username(a)}:{PASSWORD}".encode()).decode()
        }
        for a in range(accounts)
    ]

    def send(i: int) -> None:
        connection = getattr(local, "connection", None)
        if connection is None:
            connection = local.connection = http.client.HTTPConnection(parts.hostname, parts.port)
        connection.request("GET", PATH, headers=headers[i % accounts])
        answer = connection.getresponse()
        answer.read()
        if answer.status != 200:
            raise RuntimeError(answer.status)

    return send, lambda: None


def measure(make: Callable[[], tuple[Send, Callable[[], None]]], n: int, workers: int) -> Any:
    send, close = make()
    send(0)  # warm: imports, the first connection
    cpu, wall = time.process_time(), time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(send, range(n)))
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    close()
    return wall, cpu


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--accounts", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=32)
    parser.add_argument("--runs", type=int, default=3, help="runs per option; the best is shown")
    args = parser.parse_args(argv)
    n, accounts = args.requests, args.accounts
    with sandbox(accounts) as url:
        options: list[tuple[str, Callable[[], tuple[Send, Callable[[], None]]]]] = [
            ("client per account", lambda: option_client_per_account(url, accounts)),
            (
                "client per account, trust_env=False",
                lambda: option_client_per_account(url, accounts, trust_env=False),
            ),
            (
                "client per account, http.client transport",
                lambda: option_client_per_account(url, accounts, trust_env=False, light=True),
            ),
            ("shared client", lambda: option_shared(url, accounts, trust_env=True)),
            ("shared, trust_env=False", lambda: option_shared(url, accounts, trust_env=False)),
            (
                "shared, http.client transport",
                lambda: option_shared(url, accounts, trust_env=False, transport=LightTransport()),
            ),
            ("bare http.client", lambda: option_bare(url, accounts)),
        ]
        best: dict[str, tuple[float, float]] = {}
        for _ in range(args.runs):  # interleaved, so a noisy moment hits every option alike
            for name, make in options:
                wall, cpu = measure(make, n, args.workers)
                kept = best.get(name)
                best[name] = (min(wall, kept[0]), min(cpu, kept[1])) if kept else (wall, cpu)
        rows = [(name, *best[name]) for name, _ in options]
    bare_cpu = rows[-1][2]
    header = ("option", "wall ms/req", "CPU ms/req", "CPU / bare")
    rows_shown = [header] + [
        (name, f"{wall / n * 1000:.3f}", f"{cpu / n * 1000:.3f}", f"{cpu / bare_cpu:.2f}x")
        for name, wall, cpu in rows
    ]
    print(f"{n} GETs, {accounts} accounts, {args.workers} threads, loopback, no added latency; "
          f"best of {args.runs} runs")  # fmt: skip
    print(table(rows_shown))
    return 0


if __name__ == "__main__":
    sys.exit(main())
