"""End-to-end fixtures: a real sandbox server on loopback, the real CLI, a copy of the examples."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from sandbox_env import EXAMPLES, SECRETS, World

from reconciler.sandbox.world import DEFAULT_SEED, Sandbox


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    # The default seed with generous rate limits: these tests run many plans a minute, and
    # the rate-limit behaviour has its own tests.
    seed = yaml.safe_load(DEFAULT_SEED.read_text(encoding="utf-8"))
    for account in seed["dotmailer"]["accounts"]:
        account["rateLimit"] = {"mode": "tiered", "perMinute": 100000}
    seed_file = tmp_path / "seed.yaml"
    seed_file.write_text(yaml.safe_dump(seed), encoding="utf-8")
    sandbox = Sandbox.open(tmp_path / "sandbox-data", seed_file)
    server = sandbox.serve("127.0.0.1", 0)
    workdir = tmp_path / "work"
    workdir.mkdir()
    config = workdir / "integrations"
    shutil.copytree(EXAMPLES, config)
    env = {
        **SECRETS,
        "RECONCILER_ORO_URL": server.url,
        "RECONCILER_ORO_CLIENT_ID": "ci",
        "RECONCILER_DOTMAILER_API_URL": server.url,
        "RECONCILER_STATE": f"sqlite:///{workdir / 'state.db'}",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(workdir)
    try:
        yield World(sandbox, server, config, workdir, env)
    finally:
        server.stop()
