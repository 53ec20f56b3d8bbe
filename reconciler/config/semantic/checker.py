"""The :class:`Checker` that runs every semantic rule over the documents of one config.

The rules live by kind: :mod:`.integrations`, :mod:`.mappings`, :mod:`.settings`; the unique
names of every kind are checked here. Each diagnostic names a rule of
:mod:`reconciler.config.rules`.
"""

from __future__ import annotations

from reconciler.config.diagnostics import Diagnostic, YamlPath
from reconciler.config.loader import Document
from reconciler.config.semantic.common import IntegrationInfo, Reporter
from reconciler.config.semantic.integrations import check_integration
from reconciler.config.semantic.mappings import check_mapping
from reconciler.config.semantic.settings import check_settings
from reconciler.errors import Location

__all__ = ["Checker"]


class Checker(Reporter):
    """Runs every semantic rule over the documents of one config."""

    def run(
        self,
        owners: list[Document],
        integrations: list[Document],
        mappings: list[Document],
        settings: Document | None,
    ) -> list[Diagnostic]:
        for kind, documents in (
            ("Owner", owners),
            ("Integration", integrations),
            ("DataFieldMapping", mappings),
        ):
            self._unique_names(kind, documents)
        owner_names = sorted({name for doc in owners if (name := doc.name) is not None})
        marketing_lists: dict[str, tuple[Document, YamlPath, str, str]] = {}
        infos: dict[str, IntegrationInfo] = {}
        for document in integrations:
            info = check_integration(self, document, owner_names, marketing_lists)
            if document.name is not None:
                infos.setdefault(document.name, info)
        taken: dict[tuple[str, str], tuple[str, Location]] = {}
        for document in mappings:
            check_mapping(self, document, infos, taken)
        if settings is not None:
            check_settings(self, settings)
        return self.diagnostics

    # --- all kinds ---------------------------------------------------------------------

    def _unique_names(self, kind: str, documents: list[Document]) -> None:
        seen: dict[str, Document] = {}
        for document in documents:
            name = document.name
            if name is None:
                continue
            first = seen.setdefault(name.casefold(), document)
            if first is not document:
                where = first.location(("metadata", "name"))
                self.report(
                    document,
                    ("metadata", "name"),
                    "metadata.name.unique",
                    f'{kind} "{name}" is already declared at {where}',
                )
