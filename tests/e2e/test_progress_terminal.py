"""Progress of a long apply (issue 13 item 1), with the real CLI in a real terminal (tmux) and
piped, against a sandbox that answers slowly (200 ms a request, one integration at a time so
both runs print the same bytes: sync job ids follow the order of the calls).

On the terminal the display moves (two captures of the pane, the count grows) and shows an
ETA; piped, stdout is byte-identical to the terminal run's and stderr has the periodic lines.
``sync --wait`` shows the job's status and progress on the terminal.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import pytest
import yaml
from sandbox_env import EXAMPLES, fast_seed, run_environment

from reconciler.sandbox.core import Faults, SandboxServer
from reconciler.sandbox.world import Sandbox

TMUX = shutil.which("tmux")
pytestmark = pytest.mark.skipif(TMUX is None, reason="install tmux (apt-get install tmux)")

T = TypeVar("T")
LATENCY_MS = 200.0
BAR = re.compile(r"Applying \(ops\) .*? (\d+)/30 +(\d+) failed .*ETA (\d+:\d\d:\d\d)")
PLAIN = re.compile(r"apply: (\d+)/30 ops, 0 failed, \d+s")
PATIENCE = 300.0  # seconds a step may take on a loaded machine before the test gives up


@dataclass
class Slow:
    server: SandboxServer
    workdir: Path
    env: dict[str, str]


def slow_world(base: Path, latency_ms: float = LATENCY_MS, job_steps: int = 2) -> Slow:
    base.mkdir()
    seed = base / "seed.yaml"
    content = fast_seed()
    content["oro"].setdefault("settings", {})["jobSteps"] = job_steps  # polls until a job ends
    seed.write_text(yaml.safe_dump(content), encoding="utf-8")
    sandbox = Sandbox.open(base / "sandbox", seed)
    server = sandbox.serve(faults=Faults(latency_ms=latency_ms))
    workdir = base / "work"
    shutil.copytree(EXAMPLES, workdir / "integrations")
    settings = workdir / "integrations" / "reconciler.yaml"
    settings.write_text(
        settings.read_text(encoding="utf-8").replace("concurrency: 4", "concurrency: 1"),
        encoding="utf-8",
    )
    return Slow(server, workdir, {**os.environ, **run_environment(server.url, workdir)})


def tmux(socket: str, *args: str) -> str:
    assert TMUX is not None
    done = subprocess.run(
        [TMUX, "-L", socket, *args], capture_output=True, text=True, check=True, timeout=30
    )
    return done.stdout


def wait_for(what: str, check: Callable[[], T | None]) -> T:
    deadline = time.monotonic() + PATIENCE
    while time.monotonic() < deadline:
        found = check()
        if found is not None:
            return found
        time.sleep(0.1)
    pytest.fail(f"gave up waiting for {what}")


def in_tmux(world: Slow, command: list[str]) -> tuple[str, Path]:
    """Start ``command`` in a new tmux server's pane (stdout to stdout.txt, its exit code to
    rc.txt, the pane kept after it); the socket name and the rc file."""
    script = world.workdir / "run.sh"
    exports = "".join(
        f"export {name}='{value}'\n"
        for name, value in world.env.items()
        if name.startswith(("RECONCILER_", "DOTMAILER_"))
    )
    script.write_text(
        f"{exports}{' '.join(command)} > stdout.txt; echo $? > rc.txt; sleep 600\n",
        encoding="utf-8",
    )
    socket = f"reconciler-test-{os.getpid()}-{world.workdir.parent.name}"
    tmux(
        socket, "new-session", "-d", "-s", "run", "-x", "200", "-y", "50",
        "-c", str(world.workdir), f"bash --norc --noprofile {script}",
    )  # fmt: skip
    return socket, world.workdir / "rc.txt"


def test_sync_wait_shows_the_job_on_a_terminal(tmp_path: Path) -> None:
    world = slow_world(tmp_path / "sync", latency_ms=0.0, job_steps=6)
    reconciler = [sys.executable, "-m", "reconciler"]
    subprocess.run(
        [*reconciler, "apply", "integrations", "--auto-approve", "--no-sync"],
        cwd=world.workdir, env=world.env, check=True, capture_output=True,
    )  # fmt: skip
    wait = ["sync", "emea", "--config", "integrations", "--wait", "--poll-interval", "0.3"]
    socket, rc = in_tmux(world, [*reconciler, *wait])
    try:
        wait_for("sync --wait to end", lambda: rc.read_text() if rc.exists() else None)
        screen = tmux(socket, "capture-pane", "-p", "-t", "run")
    finally:
        subprocess.run([TMUX or "tmux", "-L", socket, "kill-server"], check=False)
        world.server.stop()
    assert rc.read_text() == "0\n"
    assert re.search(r"^sync: job \d+: running \(\d+%\)", screen, re.M), screen
    out = (world.workdir / "stdout.txt").read_text(encoding="utf-8")
    assert re.fullmatch(
        r"Scheduled sync of emea \(all connectors\): job (\d+)\nSync job \1 of emea succeeded\.\n",
        out,
    ), out


def test_long_apply_shows_a_moving_count_with_eta_and_piped_prints_plain_lines(
    tmp_path: Path,
) -> None:
    terminal, piped = slow_world(tmp_path / "terminal"), slow_world(tmp_path / "piped")
    command = [sys.executable, "-m", "reconciler", "apply", "integrations", "--auto-approve"]
    socket, rc = in_tmux(terminal, command)
    piped_run = subprocess.Popen(
        command,
        cwd=piped.workdir,
        env=piped.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
    )
    try:

        def bar() -> tuple[int, str] | None:
            screen = tmux(socket, "capture-pane", "-p", "-t", "run")
            match = BAR.search(screen)
            return (int(match[1]), match[3]) if match and 0 < int(match[1]) < 30 else None

        first, eta = wait_for("the apply bar", bar)

        def grown() -> tuple[int, str] | None:
            seen = bar()
            return seen if seen is not None and seen[0] > first else None

        second, _ = wait_for("the count to grow", grown)
        assert 0 < first < second < 30
        assert re.fullmatch(r"\d+:\d\d:\d\d", eta)
        wait_for("the terminal run to end", lambda: rc.read_text() if rc.exists() else None)
        assert rc.read_text() == "0\n"
        out, err = piped_run.communicate(timeout=PATIENCE)
    finally:
        subprocess.run([TMUX or "tmux", "-L", socket, "kill-server"], check=False)
        if piped_run.poll() is None:
            piped_run.kill()
        terminal.server.stop()
        piped.server.stop()
    assert piped_run.returncode == 0
    assert out == (terminal.workdir / "stdout.txt").read_bytes()
    assert out.decode().endswith("\nApply finished: 30 succeeded, 0 failed, 0 skipped.\n")
    lines = err.decode().splitlines()
    assert lines, "a run of more than 10 s printed no progress line"
    assert all(PLAIN.fullmatch(line) for line in lines), lines
    counts = [int(PLAIN.fullmatch(line)[1]) for line in lines]  # type: ignore[index]
    assert counts == sorted(counts)
