"""What every semantic rule shares: the reporter it writes diagnostics to, tolerant readers.

Every check is tolerant of values of the wrong type (the schema already reported them), so one
run reports every problem: :func:`as_dict`, :func:`as_list` and :func:`as_str` read a value as
that type or as empty.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from reconciler.config.diagnostics import Diagnostic, YamlPath
from reconciler.config.loader import Document


def as_dict(value: object) -> dict[str, object]:
    return value if isinstance(value, dict) else {}


def as_list(value: object) -> list[object]:
    return value if isinstance(value, list) else []


def as_str(value: object) -> str | None:
    return value if isinstance(value, str) else None


def labels_of(document: Document) -> dict[str, str]:
    labels = as_dict(as_dict(document.data).get("metadata")).get("labels")
    return {k: v for k, v in as_dict(labels).items() if isinstance(v, str)}


def iter_kind(documents: list[Document], kind: str) -> Iterator[Document]:
    return (document for document in documents if document.kind == kind)


@dataclass
class IntegrationInfo:
    """What the mapping rules need to know of a declared integration."""

    document: Document
    labels: dict[str, str]
    field_types: dict[str, str | None]  # upper-cased name -> declared type (None if invalid)


@dataclass
class Reporter:
    """Collects the diagnostics of one run; knows whether literal secrets are allowed."""

    allow_literal_secrets: bool = False
    diagnostics: list[Diagnostic] = field(default_factory=list)

    def report(
        self, document: Document, path: YamlPath, rule_id: str, message: str, *, key: bool = False
    ) -> None:
        self.diagnostics.append(document.diagnostic(path, rule_id, message, key=key))

    def secret(self, document: Document, path: YamlPath, value: object) -> bool:
        """Report a literal secret unless allowed; True when the value is a literal."""
        if not isinstance(value, str):
            return False
        if not self.allow_literal_secrets:
            self.report(
                document,
                path,
                "secret.literal",
                "a literal secret is not allowed here; use {env: NAME} or {file: PATH}, "
                "or pass --allow-literal-secrets",
            )
        return True
