"""The rules of a DataFieldMapping document: its integrations, its entity, its fields.

SPEC §2.3, with the Oro constraints each rule names.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from reconciler.config.diagnostics import YamlPath
from reconciler.config.entities import ENTITY_ALIASES, resolve_entity
from reconciler.config.loader import Document, did_you_mean
from reconciler.config.semantic.common import IntegrationInfo, Reporter, as_dict, as_list, as_str
from reconciler.errors import Location
from reconciler.model import BUILTIN_DATA_FIELDS

__all__ = ["SQL_SAFE_NAME", "check_mapping", "select_integrations"]

# oro-dotmailer-bundle.md rule 1: a mapped name becomes an SQL alias in Oro's export query.
SQL_SAFE_NAME = re.compile(r"^[A-Za-z0-9_]+$")


def check_mapping(
    reporter: Reporter,
    document: Document,
    infos: dict[str, IntegrationInfo],
    taken: dict[tuple[str, str], tuple[str, Location]],
) -> None:
    spec = as_dict(as_dict(document.data).get("spec"))
    targets = _targets(reporter, document, spec.get("integrations"), infos)
    entity = as_str(spec.get("entity"))
    fqcn = resolve_entity(entity) if entity is not None else None
    if entity is not None and fqcn is None:
        reporter.report(
            document,
            ("spec", "entity"),
            "mapping.entity.unknown",
            f'"{entity}" is neither an entity alias ({", ".join(sorted(ENTITY_ALIASES))}) '
            "nor a fully qualified class name" + did_you_mean(entity, sorted(ENTITY_ALIASES)),
        )
    if fqcn is not None:
        here = document.location(("spec", "entity"))
        for target in targets:
            first = taken.setdefault((target, fqcn), (document.name or "?", here))
            if first[1] != here:
                reporter.report(
                    document,
                    ("spec", "entity"),
                    "mapping.unique",
                    f'integration "{target}" already has a mapping for {fqcn}: '
                    f'"{first[0]}" at {first[1]}',
                )
    _fields(reporter, document, as_list(spec.get("fields")), [infos[t] for t in targets])


def _targets(
    reporter: Reporter, document: Document, selection: object, infos: dict[str, IntegrationInfo]
) -> list[str]:
    """The integrations a mapping applies to; reports unknown names and empty selectors."""
    path: YamlPath = ("spec", "integrations")
    found = select_integrations(selection, {name: i.labels for name, i in infos.items()})
    if isinstance(selection, list):
        for index, item in enumerate(selection):
            if isinstance(item, str) and item not in infos:
                reporter.report(
                    document,
                    (*path, index),
                    "mapping.integrations.unknown",
                    f'integration "{item}" is not declared' + did_you_mean(item, list(infos)),
                )
        return found
    wanted = _selector(selection)
    if wanted and not found:
        shown = ", ".join(f"{k}: {v}" for k, v in sorted(wanted.items()))
        reporter.report(
            document,
            (*path, "matchLabels"),
            "mapping.selector.empty",
            f"label selector {{{shown}}} matches no integration",
        )
    return found


def _fields(
    reporter: Reporter, document: Document, items: list[object], targets: list[IntegrationInfo]
) -> None:
    seen: dict[str, YamlPath] = {}
    builtins = {name.upper(): "String" for name in BUILTIN_DATA_FIELDS}
    for index, item in enumerate(items):
        entry = as_dict(item)
        path: YamlPath = ("spec", "fields", index)
        name = as_str(entry.get("dataField"))
        entity_fields = [f for f in as_list(entry.get("entityFields")) if isinstance(f, str)]
        if entry.get("twoWaySync") is True and (len(entity_fields) != 1 or "+" in entity_fields[0]):
            reporter.report(
                document,
                (*path, "twoWaySync"),
                "mapping.twoWaySync",
                "twoWaySync needs exactly one entity field of the entity itself "
                f'(no "+" relation path); got {", ".join(entity_fields) or "none"}',
            )
        if name is None:
            continue
        if name.upper() in seen:
            where = document.location((*seen[name.upper()], "dataField"))
            reporter.report(
                document,
                (*path, "dataField"),
                "mapping.dataField.duplicate",
                f'data field "{name}" is already mapped at {where}',
            )
            continue
        seen[name.upper()] = path
        if not SQL_SAFE_NAME.match(name):
            reporter.report(
                document,
                (*path, "dataField"),
                "mapping.dataField.sqlSafe",
                f'"{name}" cannot be mapped: Oro uses a mapped name as an SQL alias, so it '
                'may contain only letters, digits and "_"',
            )
        for info in targets:
            _field_on(reporter, document, path, name, len(entity_fields), info, builtins)


def _field_on(
    reporter: Reporter,
    document: Document,
    path: YamlPath,
    name: str,
    entity_field_count: int,
    info: IntegrationInfo,
    builtins: dict[str, str],
) -> None:
    integration = info.document.name or "?"
    key = name.upper()  # the integration's own declaration wins over a built-in's type
    types = info.field_types if key in info.field_types else builtins
    if key not in types:
        declared = sorted(n for n in info.field_types)
        reporter.report(
            document,
            (*path, "dataField"),
            "mapping.dataField.undeclared",
            f'data field "{name}" is neither declared on integration "{integration}" nor '
            "built in" + did_you_mean(name.upper(), declared + sorted(builtins)),
        )
        return
    field_type = types[key]
    if entity_field_count > 1 and field_type not in ("String", None):
        reporter.report(
            document,
            (*path, "entityFields"),
            "mapping.entityFields.multiple",
            f'several entity fields need a String data field; "{name}" is {field_type} on '
            f'integration "{integration}"',
        )


def _selector(selection: object) -> dict[str, str]:
    match_labels = as_dict(as_dict(selection).get("matchLabels"))
    return {k: v for k, v in match_labels.items() if isinstance(v, str)}


def select_integrations(selection: object, labels: Mapping[str, Mapping[str, str]]) -> list[str]:
    """SPEC §2.3: the declared integrations a mapping's ``integrations`` names or selects, sorted.

    A list keeps the names that exist; ``{matchLabels: {...}}`` keeps every integration whose
    labels contain all the pairs (an empty selector selects nothing).
    """
    if isinstance(selection, list):
        return sorted({item for item in selection if isinstance(item, str) and item in labels})
    wanted = _selector(selection)
    if not wanted:
        return []
    return sorted(
        name
        for name, have in labels.items()
        if all(have.get(key) == value for key, value in wanted.items())
    )
