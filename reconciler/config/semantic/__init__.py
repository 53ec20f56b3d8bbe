"""The domain rules of SPEC §2.1–§2.5 that a JSON Schema cannot express."""

from __future__ import annotations

from reconciler.config.semantic.checker import (
    Checker,
    DefaultCheck,
    check_default,
    labels_of,
    select_integrations,
)

__all__ = ["Checker", "DefaultCheck", "check_default", "labels_of", "select_integrations"]
