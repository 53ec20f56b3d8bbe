"""The face of reconciler.state: its public names are pinned and importing it loads no backend."""

from __future__ import annotations

import subprocess
import sys

import reconciler.state


def test_public_names_are_pinned() -> None:
    assert reconciler.state.__all__ == [
        "DEFAULT_STATE_URL",
        "STATE_KEY_ENV",
        "WHOLE_CONFIG",
        "JournalEntry",
        "LockInfo",
        "ObjectRecord",
        "RunRecord",
        "Snapshot",
        "StateDump",
        "StateStore",
        "current_user",
        "environment_url",
        "fingerprint",
        "open_store",
    ]


def test_importing_the_state_loads_no_backend() -> None:
    """open_store imports a backend when a URL names it, so a SQLite run never loads psycopg."""
    code = (
        "import sys, reconciler.state, reconciler.state.store; "
        "print(sorted(m for m in sys.modules if m.startswith(('psycopg', 'sqlite3', "
        "'reconciler.state.sql'))))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout == "[]\n"
