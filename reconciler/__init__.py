"""reconciler: GitOps for the Oro <-> dotmailer (Dotdigital) integration."""

from __future__ import annotations

from reconciler.errors import Location, ReconcilerError

__version__ = "0.1.0"

__all__ = ["Location", "ReconcilerError", "__version__"]
