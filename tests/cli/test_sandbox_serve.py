"""``reconciler sandbox serve`` and ``sandbox reset`` as real subprocesses on loopback."""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from reconciler.sandbox.world import DEFAULT_SEED

EMEA = ("apiuser-emea@apiconnector.com", "sandbox-emea-pw")
REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples" / "integrations"
CLI = [sys.executable, "-c", "from reconciler.cli import run; run()"]

Serve = Callable[..., tuple[subprocess.Popen[str], str, list[str]]]


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Serve]:
    started: list[subprocess.Popen[str]] = []

    def start(*args: str) -> tuple[subprocess.Popen[str], str, list[str]]:
        process = subprocess.Popen(
            [*CLI, "sandbox", "serve", "--port", "0", "--data-dir", str(tmp_path / "world"),
             *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=tmp_path,
        )  # fmt: skip
        started.append(process)
        assert process.stdout is not None
        lines: list[str] = []
        for line in process.stdout:
            lines.append(line.rstrip("\n"))
            if line.startswith("Press Ctrl-C"):
                break
        return process, lines[0].removeprefix("Sandbox serving on "), lines

    try:
        yield start
    finally:
        for process in started:
            if process.poll() is None:
                process.kill()
                process.wait()


def test_serve_answers_account_info_and_stops_on_sigint(serve: Serve, tmp_path: Path) -> None:
    process, url, lines = serve("--error-rate", "1", "--fault-path", "/v2/address-books")
    assert lines[1:] == [
        f"  dotmailer v2  {url}/v2/  (regions r2, r3: {url}/r2/v2/, {url}/r3/v2/)",
        "    apiuser-amer@apiconnector.com  r2  flat",
        "    apiuser-apac@apiconnector.com  r3  tiered",
        "    apiuser-emea@apiconnector.com  r1  tiered",
        f"  Oro           {url}/admin/api/  (token: {url}/oauth2-token, mode extended)",
        f"  seed          {DEFAULT_SEED.resolve()}",
        f"  world         {tmp_path / 'world' / 'world.json'}",
        "Point reconciler at it (sandbox-only credentials, from the seed):",
        f"  export RECONCILER_DOTMAILER_API_URL={url}",
        f"  export RECONCILER_ORO_URL={url}",
        "  export RECONCILER_ORO_API_BASE=/admin/api",
        "  export RECONCILER_ORO_CLIENT_ID=ci",
        "  export RECONCILER_ORO_CLIENT_SECRET=sandbox-oro-secret",
        "  # --config DIR adds the password variables of your integrations",
        "Press Ctrl-C to stop.",
    ]

    info = httpx.get(f"{url}/v2/account-info", auth=EMEA)
    assert info.status_code == 200
    body = info.json()
    assert sorted(body) == ["id", "properties"]
    properties = {p["name"]: p["value"] for p in body["properties"]}
    assert properties["ApiEndpoint"] == f"{url}/"
    assert all(isinstance(v, str) for v in properties.values())
    assert info.headers["x-ratelimit-limit"] == "35"
    # --error-rate 1 limited to --fault-path /v2/address-books
    assert httpx.get(f"{url}/v2/address-books", auth=EMEA).status_code == 503

    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=20) == 0
    assert process.stdout is not None and process.stdout.read() == "Sandbox stopped.\n"
    assert (tmp_path / "world" / "world.json").is_file()


def _exports(lines: list[str]) -> dict[str, str]:
    found = {}
    for line in lines:
        if line.startswith("  export "):
            name, _, value = line.removeprefix("  export ").partition("=")
            found[name] = shlex.split(value)[0]
    return found


def test_the_printed_variables_point_a_plan_at_the_served_world(
    serve: Serve, tmp_path: Path
) -> None:
    """What `serve --config` prints is all a plan needs: exported as printed, it plans."""
    seed = tmp_path / "seed.yaml"
    seed.write_text(
        DEFAULT_SEED.read_text(encoding="utf-8").replace("sandbox-emea-pw", "it's emea"),
        encoding="utf-8",
    )
    process, url, lines = serve("--seed", str(seed), "--config", str(EXAMPLES))
    exports = _exports(lines)
    assert lines[6] == f"  seed          {seed.resolve()}"
    assert exports == {
        "RECONCILER_DOTMAILER_API_URL": url,
        "RECONCILER_ORO_URL": url,
        "RECONCILER_ORO_API_BASE": "/admin/api",
        "RECONCILER_ORO_CLIENT_ID": "ci",
        "RECONCILER_ORO_CLIENT_SECRET": "sandbox-oro-secret",
        "DOTMAILER_AMER_PASSWORD": "sandbox-amer-pw",
        "DOTMAILER_APAC_OAUTH_SECRET": "sandbox-oauth-client-secret",
        "DOTMAILER_APAC_PASSWORD": "sandbox-apac-pw",
        "DOTMAILER_EMEA_PASSWORD": "it's emea",
    }
    assert "  export DOTMAILER_EMEA_PASSWORD='it'\"'\"'s emea'" in lines  # quoted for a shell
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "RECONCILER_STATE": f"sqlite:///{tmp_path / 'state.db'}",
        **exports,
    }
    plan = subprocess.run(
        [*CLI, "plan", str(EXAMPLES), "--detailed-exitcode"],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert (plan.returncode, plan.stderr) == (2, "")
    assert plan.stdout.endswith(
        "Plan: 25 to create, 0 to update, 0 to replace, 0 to delete, 0 to adopt; "
        "3 syncs to schedule.\n"
    )
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=20) == 0


def test_reset_removes_the_world_and_the_sandbox_state(tmp_path: Path) -> None:
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*CLI, "sandbox", "reset", *args],
            cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip

    nothing = run()
    assert (nothing.returncode, nothing.stdout, nothing.stderr) == (
        0,
        "No sandbox world in .reconciler/sandbox; nothing to reset.\n",
        "",
    )
    data = tmp_path / ".reconciler" / "sandbox"
    data.mkdir(parents=True)
    for name in ("world.json", "world.lock", "state.db", "state.db-wal", "keep.txt"):
        (data / name).write_text("x")
    done = run("--data-dir", ".reconciler/sandbox")
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout == (
        "Removed the sandbox world in .reconciler/sandbox:\n"
        "  world.json\n"
        "  state.db\n"
        "  state.db-wal\n"
    )
    assert sorted(p.name for p in data.iterdir()) == ["keep.txt"]
