"""End-to-end fixtures: a real sandbox server on loopback, the real CLI, a copy of the examples."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from pgtools import fresh_schema_url
from sandbox_env import EXAMPLES, World, fast_seed, run_environment

from reconciler.sandbox.world import Sandbox


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def state_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Every end-to-end test runs on both state backends (issue 5)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'work' / 'state.db'}"
        return
    with fresh_schema_url("e2e") as url:
        yield url


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, state_url: str) -> Iterator[World]:
    seed_file = tmp_path / "seed.yaml"
    seed_file.write_text(yaml.safe_dump(fast_seed()), encoding="utf-8")
    sandbox = Sandbox.open(tmp_path / "sandbox-data", seed_file)
    server = sandbox.serve("127.0.0.1", 0)
    workdir = tmp_path / "work"
    workdir.mkdir()
    config = workdir / "integrations"
    shutil.copytree(EXAMPLES, config)
    env = run_environment(server.url, workdir, state_url)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(workdir)
    try:
        yield World(sandbox, server, config, workdir, env)
    finally:
        server.stop()
