"""Colour conventions and --version (issue 13 item 3): NO_COLOR (no-color.org), FORCE_COLOR
(force-color.org) and ``--color auto|always|never``, proven on a real pty for the terminal
cases; ``reconciler --version`` prints what ``reconciler version`` prints."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from reconciler import __version__
from reconciler.cli import main

REPO = Path(__file__).resolve().parents[2]
SGR = re.compile(rb"\x1b\[[0-9;]*m")  # a colour or style code


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(REPO / "examples" / "integrations", tmp_path / "integrations")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def on_pty(args: list[str], cwd: Path, **env: str) -> bytes:
    """Everything a command writes to a terminal (stdout and stderr both on one pty)."""
    master, slave = os.openpty()
    environ = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    process = subprocess.Popen(
        [sys.executable, "-m", "reconciler", *args],
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=slave,
        stderr=slave,
        env={**environ, "TERM": "xterm-256color", **env},
    )
    os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    assert process.wait(timeout=120) == 0, b"".join(chunks).decode(errors="replace")
    return b"".join(chunks)


PLAN = ["plan", "integrations", "--sandbox"]


def test_a_terminal_gets_colour_by_default(config: Path) -> None:
    output = on_pty(PLAN, config)
    assert SGR.search(output)  # the check below can fail
    assert b"Plan: " in output


@pytest.mark.parametrize(
    ("args", "env"),
    [(PLAN, {"NO_COLOR": "1"}), (["--color", "never", *PLAN], {}),
     (["--color", "never", *PLAN], {"FORCE_COLOR": "1"})],
    ids=["NO_COLOR", "--color never", "--color never beats FORCE_COLOR"],
)  # fmt: skip
def test_no_colour_on_a_terminal(config: Path, args: list[str], env: dict[str, str]) -> None:
    output = on_pty(args, config, **env)
    assert b"Plan: " in output
    assert SGR.findall(output) == []


def test_no_color_leaves_the_plan_text_as_piped(config: Path) -> None:
    """stdout on a pty with NO_COLOR is the same text as piped (only the line ends differ:
    the terminal's)."""
    piped = subprocess.run(
        [sys.executable, "-m", "reconciler", *PLAN],
        cwd=config,
        capture_output=True,
        check=True,
        env={**os.environ, "NO_COLOR": "1"},
    ).stdout
    master, slave = os.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "reconciler", *PLAN],
        cwd=config,
        stdin=subprocess.DEVNULL,
        stdout=slave,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "NO_COLOR": "1", "TERM": "xterm-256color"},
    )
    os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    assert process.wait(timeout=120) == 0
    assert b"\x1b" not in b"".join(chunks)
    assert b"".join(chunks).replace(b"\r\n", b"\n") == piped


@pytest.mark.parametrize(
    ("args", "env"),
    [(PLAN, {"FORCE_COLOR": "1"}), (["--color", "always", *PLAN], {}),
     (["--color", "always", *PLAN], {"NO_COLOR": "1"})],
    ids=["FORCE_COLOR", "--color always", "--color always beats NO_COLOR"],
)  # fmt: skip
def test_colour_when_piped_on_request(
    config: Path,
    args: list[str],
    env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert main(args) == 0
    out = capsys.readouterr().out
    assert SGR.search(out.encode())
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert main(PLAN) == 0
    plain = capsys.readouterr().out
    assert SGR.sub(b"", out.encode()).decode() == plain
    assert "\x1b" not in plain


def test_version_option_prints_what_the_version_command_prints(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["--version"]) == 0
    option = capsys.readouterr()
    assert main(["version"]) == 0
    command = capsys.readouterr()
    assert option.out == command.out == f"reconciler {__version__}\n"
    assert option.err == command.err == ""


def test_version_option_in_a_fresh_interpreter() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "reconciler", "--version"], capture_output=True, text=True
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, f"reconciler {__version__}\n", "")


def test_an_unknown_color_mode_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--color", "sometimes", "version"]) == 64
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.endswith(
        "Error: Invalid value for '--color': 'sometimes' is not one of 'auto', 'always', 'never'.\n"
    )
