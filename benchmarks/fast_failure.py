"""How long ``reconciler plan`` takes to fail when a system cannot be reached (issue 13 item 2).

    .venv/bin/python benchmarks/fast_failure.py [--source DIR]

Serves the sandbox on loopback for the system that works and points the other at a closed
loopback port (bound, then closed: refused) or at a host under ``.invalid`` (RFC 6761: never
resolves), then runs ``python -m reconciler plan`` on a copy of the examples and prints, per
case, the exit code, the wall time, the child's CPU time (user + sys, ``os.wait4``) and the
first words of its error. ``--source DIR`` runs the code of another checkout (its
``reconciler`` package, through PYTHONPATH) to compare with, e.g. ``--source /work/main``.
Asserts nothing; tests/e2e/test_fast_failure.py checks a generous bound.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
SECRETS = {
    "DOTMAILER_EMEA_PASSWORD": "sandbox-emea-pw",
    "DOTMAILER_AMER_PASSWORD": "sandbox-amer-pw",
    "DOTMAILER_APAC_PASSWORD": "sandbox-apac-pw",
    "DOTMAILER_APAC_OAUTH_SECRET": "apac-oauth-client-secret",
    "RECONCILER_ORO_CLIENT_SECRET": "sandbox-oro-secret",
}


def closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def run(workdir: Path, env: dict[str, str], source: Path) -> tuple[int, float, float, str]:
    started = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "-m", "reconciler", "plan", "integrations"],
        cwd=workdir,
        env={**env, "PYTHONPATH": str(source)},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    err = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.monotonic() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    return process.returncode, wall, usage.ru_utime + usage.ru_stime, err.strip()[:90]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=ROOT, help="checkout whose code runs")
    source: Path = parser.parse_args().source.resolve()
    from reconciler.sandbox.world import DEFAULT_SEED, Sandbox

    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        seed = yaml.safe_load(DEFAULT_SEED.read_text(encoding="utf-8"))
        for account in seed["dotmailer"]["accounts"]:
            account["rateLimit"] = {"mode": "tiered", "perMinute": 100000}
        (base / "seed.yaml").write_text(yaml.safe_dump(seed), encoding="utf-8")
        server = Sandbox.open(base / "sandbox", base / "seed.yaml").serve()
        port = closed_port()
        cases = {
            "Oro on a closed port": {"RECONCILER_ORO_URL": f"http://127.0.0.1:{port}"},
            "Oro host unresolvable": {"RECONCILER_ORO_URL": "http://oro.example.invalid"},
            "dotmailer on a closed port": {
                "RECONCILER_DOTMAILER_API_URL": f"http://127.0.0.1:{port}"
            },
        }
        environ = {k: v for k, v in os.environ.items() if not k.startswith(("RECONCILER_", "CI"))}
        rows = []
        try:
            for name, override in cases.items():
                workdir = base / name.replace(" ", "-")
                shutil.copytree(ROOT / "examples" / "integrations", workdir / "integrations")
                env = {
                    **environ,
                    **SECRETS,
                    "RECONCILER_ORO_URL": server.url,
                    "RECONCILER_ORO_CLIENT_ID": "ci",
                    "RECONCILER_DOTMAILER_API_URL": server.url,
                    "RECONCILER_STATE": f"sqlite:///{workdir / 'state.db'}",
                    **override,
                }
                rows.append((name, *run(workdir, env, source)))
        finally:
            server.stop()
    print(f"code: {source}")
    print(f"{'case':<28} {'exit':>4} {'wall s':>7} {'CPU s':>6}  error")
    for name, code, wall, cpu, err in rows:
        print(f"{name:<28} {code:>4} {wall:>7.1f} {cpu:>6.2f}  {err}")


if __name__ == "__main__":
    main()
