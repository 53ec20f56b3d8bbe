"""apply asks on a terminal, refuses to guess without one."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
import time

import pytest
from sandbox_env import World


def _apply_on_a_terminal(world: World, answer: bytes) -> tuple[int, str]:
    """Run apply with a pseudo-terminal as stdin/stdout, answer its question, return output."""
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "reconciler", "apply", str(world.config)],
        cwd=world.workdir,
        env={**os.environ, **world.env},
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
    )
    os.close(terminal)
    output = b""
    deadline = time.monotonic() + 60
    answered = False
    while time.monotonic() < deadline:
        try:
            chunk = os.read(controller, 4096)
        except OSError:  # the process closed the terminal
            break
        if not chunk:
            break
        output += chunk
        if not answered and b"Apply these changes? [y/N]:" in output:
            os.write(controller, answer + b"\n")
            answered = True
    os.close(controller)
    code = process.wait(timeout=60)
    return code, output.decode("utf-8", "replace").replace("\r\n", "\n")


def test_no_on_the_prompt_changes_nothing(world: World) -> None:
    code, output = _apply_on_a_terminal(world, b"n")
    assert code == 0
    assert "Apply cancelled; nothing was changed." in output
    oro = world.sandbox.oro
    assert oro is not None
    assert oro.tables["integrationchannels"] == {}


def test_yes_on_the_prompt_applies(world: World) -> None:
    code, output = _apply_on_a_terminal(world, b"y")
    assert code == 0, output
    assert "Apply finished: 30 succeeded, 0 failed, 0 skipped." in output
    assert "\x1b[" in output  # a terminal gets colour


def test_without_a_terminal_apply_needs_auto_approve(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    refused = subprocess.run(
        [sys.executable, "-m", "reconciler", "apply", str(world.config)],
        cwd=world.workdir,
        env={**os.environ, **world.env},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert refused.returncode == 64
    assert refused.stderr.endswith(
        "error: apply needs --auto-approve when it cannot ask (no terminal), or a saved plan: "
        "reconciler plan --out plan.json, then apply plan.json\n"
    )
    oro = world.sandbox.oro
    assert oro is not None
    assert oro.tables["integrationchannels"] == {}
