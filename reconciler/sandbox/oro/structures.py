"""The stock ``entitystructures`` resource: every entity with its fields and their types.

oroinc/platform ``3aec000b`` ``EntityBundle/Resources/config/oro/api.yml:1-72`` (read-only:
``get_list`` unpaged, ``get``), ids from ``EntityClassNameHelper::getUrlSafeClassName``
(``Provider/EntityStructureDataProvider.php:95-111``), an unknown entity 404
(``Api/Processor/LoadEntityStructure.php``), the shape of
``Tests/Functional/Api/RestJsonApi/EntityStructureTest.php:31-150``. Stock in both modes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler.sandbox.core import Request, Response
from reconciler.sandbox.oro.entities import url_safe
from reconciler.sandbox.oro.errors import Failed, Plain, not_found
from reconciler.sandbox.oro.wire import jsonapi

STRUCTURES = "entitystructures"
_RELATIONS = {"ref-one": "manyToOne", "ref-many": "oneToMany"}


def structures(
    request: Request, entities: Mapping[str, Mapping[str, str]], item_id: str | None
) -> Response:
    if request.method != "GET":
        raise Plain(Response.empty(405, {"Allow": "OPTIONS, GET"}))
    if item_id is None:
        return jsonapi(200, {"data": [_resource(e, entities[e]) for e in sorted(entities)]})
    wanted = item_id.replace("_", "\\")
    entity = next((e for e in entities if url_safe(e) == item_id or e == wanted), None)
    if entity is None:
        raise Failed(not_found())
    return jsonapi(200, {"data": _resource(entity, entities[entity])})


def _resource(entity: str, fields: Mapping[str, str]) -> dict[str, Any]:
    short = entity.rsplit("\\", 1)[-1]
    return {
        "type": STRUCTURES,
        "id": url_safe(entity),
        "attributes": {
            "label": short,
            "pluralLabel": f"{short}s",
            "alias": short.lower(),
            "pluralAlias": f"{short.lower()}s",
            "className": entity,
            "fields": [
                {
                    "label": name,
                    "name": name,
                    "type": type_,
                    "relationType": (
                        "manyToOne"
                        if type_ == "ref-one"
                        else "oneToMany"
                        if type_ == "ref-many"
                        else None
                    ),
                    "options": {"identifier": True} if name == "id" else {},
                }
                for name, type_ in sorted(fields.items())
            ],
        },
    }
