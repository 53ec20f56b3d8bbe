"""docs/environments.md starts with a runnable example on the embedded sandbox: it runs as
written, with the real CLI, and does what the page says."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sandbox_env import EXAMPLES, REPO

NO_CHANGES = "No changes. Live systems match the configuration.\n"


@pytest.mark.slow
def test_the_docs_example_runs_as_written(tmp_path: Path) -> None:
    # docs/environments.md starts with it: run on the embedded sandbox from a checkout.
    text = (REPO / "docs" / "environments.md").read_text(encoding="utf-8")
    block = re.findall(r"```sh\n(.*?)\n```", text, re.S)[0]
    shutil.copytree(EXAMPLES, tmp_path / "examples" / "integrations")
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("RECONCILER_")},
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    env.pop("CI", None)
    result = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", block],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert (result.returncode, result.stderr) == (0, "")
    lines = result.stdout.splitlines()
    assert lines[:2] == [
        "shop (environment production): 2 owners, 3 integrations, 3 mappings: valid (0 errors, "
        "0 warnings)",
        "shop (environment staging): 2 owners, 3 integrations, 3 mappings: valid (0 errors, "
        "0 warnings)",
    ]
    # staging: one create more, one sync less (apac is disabled); production the other way.
    assert [line for line in lines if line.startswith("Apply finished:")] == [
        "Apply finished: 30 succeeded, 0 failed, 0 skipped.",
    ] * 2
    assert lines[-2:] == [NO_CHANGES.rstrip("\n")] * 2
    sandbox = tmp_path / ".reconciler" / "sandbox"
    assert sorted(p.relative_to(sandbox).as_posix() for p in sandbox.rglob("*.json")) == [
        "environments/production/world.json",
        "environments/staging/world.json",
    ]
