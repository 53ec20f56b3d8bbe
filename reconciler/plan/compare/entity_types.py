"""Mapped entity fields against their data fields' types, before apply, as Oro checks them.

Oro refuses a mapping config whose entity field does not fit the data field's type, with a 400
at apply time (oroinc/OroCRMDotmailerBundle ``873def61``
``Validator/DataFieldMappingConfigValidator.php:76-124``, messages
``Resources/translations/messages.en.yml:282-286``). The same rule here makes it a plan error at
the mapping's YAML line. The entity fields' types come from Oro's stock ``entitystructures``
resource (refresh reads it for every mapped entity); where it was not read, nothing is checked.

Oro's rule, mirrored: Numeric takes bigint, smallint, integer, decimal, float, money, percent,
duration; Date takes datetime, datetimetz, date; Boolean takes boolean; String takes anything
but binary, blob, object. A field the entity does not have fits only String (its type is ''),
where it is a warning: Oro accepts it, the export has nothing to read.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from reconciler.model import BUILTIN_DATA_FIELDS, DataFieldMapping, Integration, LiveWorld
from reconciler.plan.compare.common import PlanProblem

NUMERIC = frozenset(
    {"bigint", "smallint", "integer", "decimal", "float", "money", "percent", "duration"}
)
DATES = frozenset({"datetime", "datetimetz", "date"})
COMPLEX = frozenset({"binary", "blob", "object"})
_WANTS = {
    "Numeric": "numeric type",
    "Date": "datetime type",
    "Boolean": "boolean type",
    "String": "convertable to string",
}


def fits(data_field_type: str, field_type: str) -> bool:
    if data_field_type == "Numeric":
        return field_type in NUMERIC
    if data_field_type == "Date":
        return field_type in DATES
    if data_field_type == "Boolean":
        return field_type == "boolean"
    return field_type not in COMPLEX


def _short(entity: str) -> str:
    return entity.rsplit("\\", 1)[-1]


def check_mapping_types(
    mappings: Iterable[DataFieldMapping], integrations: Sequence[Integration], live: LiveWorld
) -> tuple[list[PlanProblem], list[str]]:
    """(problems, warnings) of the mappings of ``integrations``, each problem at the mapped
    field's YAML line."""
    scope = {i.name: i for i in integrations}
    problems: list[PlanProblem] = []
    warnings: list[str] = []
    seen: set[tuple[str, str, str]] = set()  # a shared mapping is checked once per data type
    for mapping in mappings:
        integration = scope.get(mapping.integration)
        if integration is None or mapping.entity not in live.entity_fields:
            continue
        fields = live.entity_fields[mapping.entity]
        if fields is None:
            where = mapping.location
            problem = PlanProblem(where, "spec.entity", f"Oro has no entity {mapping.entity}")
            if problem not in problems:
                problems.append(problem)
            continue
        types = {df.key: df.type for df in integration.data_fields}
        for mapped in mapping.fields:
            key = mapped.data_field.upper()
            data_type = types.get(key, "String" if key in BUILTIN_DATA_FIELDS else "")
            if not data_type or len(mapped.entity_fields) != 1:
                continue  # unknown data field, several fields: the config rules report those
            path = mapped.entity_fields[0]
            if (mapping.name, path, data_type) in seen:
                continue
            seen.add((mapping.name, path, data_type))
            field_type = _field_type(live.entity_fields, mapping.entity, path, fields)
            if field_type is None:
                continue  # the related entity of a relation path was not read
            described = f"{_short(mapping.entity)}.{path}"
            if not fits(data_type, field_type):
                got = f"is {field_type}" if field_type else "is not a field of the entity"
                problems.append(
                    PlanProblem(
                        mapped.location,
                        "entityFields",
                        f'Oro refuses it: Mapping for field "{key}" must be of '
                        f"{_WANTS[data_type]} ({described} {got})",
                    )
                )
            elif not field_type:
                warnings.append(
                    f"mapping {mapping.name!r}: Oro entity {_short(mapping.entity)} has no field "
                    f"{path!r}; Oro accepts it, but {key} will be exported empty"
                )
    return problems, warnings


def _field_type(
    entities: Mapping[str, Mapping[str, str] | None],
    entity: str,
    path: str,
    fields: Mapping[str, str],
) -> str | None:
    """The type of ``path`` ('' when the entity has no such field), None when the related
    entity of a relation path was not read (JoinIdentifierHelper: the last ``Class::field``)."""
    last = path.rsplit("+", 1)[-1]
    if "+" not in path or "::" not in last:
        return fields.get(path, "")
    related, name = last.split("::", 1)
    if related not in entities:
        return None
    related_fields = entities[related]
    return "" if related_fields is None else related_fields.get(name, "")
