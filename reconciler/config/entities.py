"""Oro entity aliases accepted in ``DataFieldMapping.spec.entity``.

The entities that can back a marketing list and so feed dotmailer contacts (Oro marketing-list
entities; oro-dotmailer-bundle.md §3 uses the Contact and Lead FQCNs). The table is published in
docs/configuration.md; a test keeps the two in step.
"""

from __future__ import annotations

import re

ENTITY_ALIASES: dict[str, str] = {
    "b2bcustomer": "Oro\\Bundle\\SalesBundle\\Entity\\B2bCustomer",
    "contact": "Oro\\Bundle\\ContactBundle\\Entity\\Contact",
    "customer": "Oro\\Bundle\\CustomerBundle\\Entity\\Customer",
    "customeruser": "Oro\\Bundle\\CustomerBundle\\Entity\\CustomerUser",
    "lead": "Oro\\Bundle\\SalesBundle\\Entity\\Lead",
    "opportunity": "Oro\\Bundle\\SalesBundle\\Entity\\Opportunity",
}

_FQCN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\\[A-Za-z_][A-Za-z0-9_]*)+$")


def resolve_entity(value: str) -> str | None:
    """The FQCN for an alias (case-insensitive) or an FQCN (leading ``\\`` dropped); else None."""
    alias = ENTITY_ALIASES.get(value.casefold())
    if alias:
        return alias
    name = value.removeprefix("\\")
    return name if _FQCN.match(name) else None
