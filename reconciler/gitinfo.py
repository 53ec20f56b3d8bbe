"""The git commit a config was planned from (recorded in saved plans and the run log)."""

from __future__ import annotations

import subprocess
from pathlib import Path


def git_sha(path: Path) -> str | None:
    directory = path if path.is_dir() else path.parent
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=directory,
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    sha = out.stdout.strip()
    return sha if out.returncode == 0 and len(sha) == 40 else None
