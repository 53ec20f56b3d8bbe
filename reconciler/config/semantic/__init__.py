"""The domain rules of SPEC §2.1–§2.5 that a JSON Schema cannot express.

Every check is tolerant of values of the wrong type (the schema already reported them), so one
run reports every problem. Each diagnostic names a rule of :mod:`reconciler.config.rules`.

``checker`` runs them all; the rules live by kind (``integrations``: owner, connection, OAuth,
data fields, address books; ``mappings``; ``settings``), over ``common`` (the reporter and
tolerant readers). A data-field default is checked and normalised in ``defaults``.
"""

from __future__ import annotations

from reconciler.config.semantic.checker import Checker
from reconciler.config.semantic.common import labels_of
from reconciler.config.semantic.mappings import select_integrations

__all__ = ["Checker", "labels_of", "select_integrations"]
