"""Reliability fixtures: labs (isolated worlds), warm launchers, the secret scan after every
test, and the counts of the session printed in pytest's terminal summary."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from harness import TALLY, Lab, Launcher, scan_for_secrets


@pytest.fixture(scope="session")
def launchers() -> Iterator[list[Launcher]]:
    """Two warm launchers: the kill tests run two labs side by side (this machine has 2 cores)."""
    started = [Launcher(), Launcher()]
    yield started
    for launcher in started:
        launcher.close()


@contextmanager
def open_lab(root: Path, launcher: Launcher, scenario: str) -> Iterator[Lab]:
    """A lab whose outputs and files are scanned for the run's secret values when it closes."""
    lab = Lab(root, launcher, scenario)
    try:
        yield lab
    finally:
        lab.close()
        found = scan_for_secrets(lab.outputs, root, lab.env_overrides)
        TALLY.add(lab.scenario, secrets=len(found))
        assert found == []


@pytest.fixture
def lab(tmp_path: Path, launchers: list[Launcher], request: pytest.FixtureRequest) -> Iterator[Lab]:
    with open_lab(tmp_path / "lab", launchers[0], scenario_of(request)) as opened:
        yield opened


def scenario_of(request: pytest.FixtureRequest) -> str:
    """The tally's row: the test module's name without 'test_'."""
    return str(request.module.__name__).removeprefix("test_")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not TALLY.rows:
        return
    terminalreporter.section("reliability")
    for line in TALLY.lines():
        terminalreporter.write_line(line)
