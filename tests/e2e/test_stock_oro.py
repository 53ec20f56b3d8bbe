"""Against a stock Oro (no extended api.yml) the tool says so in one line, never a traceback."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from sandbox_env import EXAMPLES, fast_seed, run_environment

from reconciler.cli import main
from reconciler.sandbox.world import Sandbox


def test_plan_against_stock_oro_names_the_resource_and_the_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    seed = tmp_path / "seed.yaml"
    seed.write_text(yaml.safe_dump(fast_seed()), encoding="utf-8")
    server = Sandbox.open(tmp_path / "data", seed, oro_mode="stock").serve("127.0.0.1", 0)
    try:
        config = tmp_path / "integrations"
        shutil.copytree(EXAMPLES, config)
        for name, value in run_environment(server.url, tmp_path).items():
            monkeypatch.setenv(name, value)
        monkeypatch.chdir(tmp_path)
        assert main(["plan", str(config)]) == 4
        captured = capsys.readouterr()
    finally:
        server.stop()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("error: oro: this Oro does not ")
    assert "enable the extended API contract" in lines[0]
    assert "install the companion bundle oro-bundle/" in lines[0]
    assert "Traceback" not in captured.err
