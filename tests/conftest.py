"""Shared fixtures. Autouse guards make accidental real side effects fail loudly."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"


@pytest.fixture(autouse=True)
def _isolated_environment(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """No test reads the developer's RECONCILER_* settings or writes logs into the repo, and
    output is the same inside CI (where credentials come only from the environment) and GitHub
    Actions (where `validate` and `plan` would print annotations)."""
    for name in list(os.environ):
        if name.startswith("RECONCILER_"):
            monkeypatch.delenv(name)
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    monkeypatch.delenv("GITHUB_WORKSPACE", raising=False)
    # A developer's colour preference must not change what a test sees (tests/cli/test_color.py
    # sets them itself).
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.setenv("RECONCILER_LOG_DIR", str(tmp_path_factory.mktemp("logs")))
    yield
