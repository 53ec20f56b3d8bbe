"""``python -m reconciler`` runs the CLI."""

from __future__ import annotations

from reconciler.cli import run

run()
