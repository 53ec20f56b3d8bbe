"""End-to-end fixtures: a real sandbox server on loopback, the real CLI, a copy of the examples."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from sandbox_env import EXAMPLES, World, fast_seed, run_environment

from reconciler.sandbox.world import Sandbox


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    seed_file = tmp_path / "seed.yaml"
    seed_file.write_text(yaml.safe_dump(fast_seed()), encoding="utf-8")
    sandbox = Sandbox.open(tmp_path / "sandbox-data", seed_file)
    server = sandbox.serve("127.0.0.1", 0)
    workdir = tmp_path / "work"
    workdir.mkdir()
    config = workdir / "integrations"
    shutil.copytree(EXAMPLES, config)
    env = run_environment(server.url, workdir)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(workdir)
    try:
        yield World(sandbox, server, config, workdir, env)
    finally:
        server.stop()
