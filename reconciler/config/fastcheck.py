"""A fast, exact yes/no check for the JSON Schema subset our schema files use.

``jsonschema`` is thorough but slow on large estates (it builds an evolved validator per node).
Most documents are valid, so :func:`compile_check` turns a schema into nested closures that only
answer "valid or not"; :mod:`reconciler.config.schema` asks ``jsonschema`` for the errors only
when this answers "not valid". The answer is exact for every supported keyword (a test compares
it with ``jsonschema`` on the corpus); a schema using any other keyword is not compiled at all.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from typing import Any

Check = Callable[[object], bool]

# Keywords that never affect validity (``deprecationMessage`` is the editors' text for a
# ``deprecated`` value, shown by yaml-language-server).
_ANNOTATIONS = frozenset(
    {
        "$schema",
        "$id",
        "$defs",
        "title",
        "description",
        "default",
        "examples",
        "deprecated",
        "deprecationMessage",
        "x-rule",
    }
)


class Unsupported(Exception):
    """The schema uses a keyword this checker does not implement."""


def _is_type(name: str, value: object) -> bool:
    if name == "string":
        return isinstance(value, str)
    if name == "object":
        return isinstance(value, dict)
    if name == "array":
        return isinstance(value, list)
    if name == "boolean":
        return isinstance(value, bool)
    if name == "null":
        return value is None
    if isinstance(value, bool):
        return False
    if name == "integer":
        return isinstance(value, int) or (isinstance(value, float) and value.is_integer())
    if name == "number":
        return isinstance(value, int | float)
    raise Unsupported(f"type {name}")


# The common one-name ``type`` checks, each as _is_type answers it for that name.
_SINGLE_TYPES: dict[str, Check] = {
    "string": lambda value: isinstance(value, str),
    "object": lambda value: isinstance(value, dict),
    "array": lambda value: isinstance(value, list),
    "boolean": lambda value: isinstance(value, bool),
}


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def compile_check(schema: Mapping[str, Any], root: Mapping[str, Any] | None = None) -> Check:
    """A function telling whether an instance is valid against ``schema``; raises Unsupported."""
    root = schema if root is None else root
    checks: list[Check] = []
    for keyword, value in schema.items():
        if keyword in _ANNOTATIONS:
            continue
        checks.append(_keyword(keyword, value, schema, root))
    if not checks:
        return lambda instance: True
    if len(checks) == 1:
        return checks[0]
    # Loops, not all() over a generator: this runs once per node of every document.
    if len(checks) == 2:
        first, second = checks
        return lambda instance: first(instance) and second(instance)

    def every(instance: object) -> bool:
        for check in checks:  # noqa: SIM110 - a loop: all() over a generator is slower here
            if not check(instance):
                return False
        return True

    return every


def _keyword(keyword: str, value: Any, schema: Mapping[str, Any], root: Mapping[str, Any]) -> Check:
    if keyword == "type":
        names = value if isinstance(value, list) else [value]
        for name in names:
            _is_type(name, None)  # raises Unsupported for unknown type names
        if len(names) == 1:
            single = _SINGLE_TYPES.get(names[0])
            if single is not None:
                return single
        return lambda instance: any(_is_type(name, instance) for name in names)
    if keyword == "$ref":
        if not isinstance(value, str) or not value.startswith("#/"):
            raise Unsupported(f"$ref {value}")
        target: Any = root
        for part in value.removeprefix("#/").split("/"):  # a JSON Pointer (RFC 6901)
            target = target[part.replace("~1", "/").replace("~0", "~")]
        return compile_check(target, root)
    if keyword == "properties":
        children = {name: compile_check(sub, root) for name, sub in value.items()}

        def properties(instance: object) -> bool:
            if not isinstance(instance, dict):
                return True
            for key, item in instance.items():
                check = children.get(key)
                if check is not None and not check(item):
                    return False
            return True

        return properties
    if keyword == "required":
        names = list(value)
        return lambda instance: not isinstance(instance, dict) or all(n in instance for n in names)
    if keyword == "additionalProperties":
        if "patternProperties" in schema:
            raise Unsupported("patternProperties")
        known = frozenset(schema.get("properties", {}))
        if value is False:
            return lambda instance: not isinstance(instance, dict) or known.issuperset(instance)
        extra = compile_check(value, root)
        return lambda instance: (
            not isinstance(instance, dict)
            or all(extra(item) for key, item in instance.items() if key not in known)
        )
    if keyword == "propertyNames":
        names_check = compile_check(value, root)
        return lambda instance: (
            not isinstance(instance, dict) or all(names_check(key) for key in instance)
        )
    if keyword == "minProperties":
        return lambda instance: not isinstance(instance, dict) or len(instance) >= value
    if keyword == "items":
        item = compile_check(value, root)
        return lambda instance: not isinstance(instance, list) or all(item(x) for x in instance)
    if keyword == "minItems":
        return lambda instance: not isinstance(instance, list) or len(instance) >= value
    if keyword in ("enum", "const"):
        allowed = list(value) if keyword == "enum" else [value]
        if not all(isinstance(option, str) for option in allowed):
            raise Unsupported(f"{keyword} with non-string values")
        return lambda instance: isinstance(instance, str) and instance in allowed
    if keyword == "pattern":
        regex = re.compile(value)
        return lambda instance: not isinstance(instance, str) or regex.search(instance) is not None
    if keyword == "minLength":
        return lambda instance: not isinstance(instance, str) or len(instance) >= value
    if keyword == "maxLength":
        return lambda instance: not isinstance(instance, str) or len(instance) <= value
    if keyword in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        return _bound(keyword, value)
    if keyword == "oneOf":
        branches = [compile_check(sub, root) for sub in value]
        return lambda instance: sum(1 for branch in branches if branch(instance)) == 1
    raise Unsupported(keyword)


def _bound(keyword: str, limit: float) -> Check:
    def check(instance: object) -> bool:
        if not _number(instance):
            return True
        number = float(instance)  # type: ignore[arg-type]
        if math.isnan(number):
            return False
        if keyword == "minimum":
            return number >= limit
        if keyword == "maximum":
            return number <= limit
        if keyword == "exclusiveMinimum":
            return number > limit
        return number < limit

    return check
