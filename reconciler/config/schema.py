"""The JSON Schemas (draft 2020-12) and their errors mapped onto YAML positions.

The canonical files live in ``reconciler/schemas/`` (shipped in the wheel; the repository's
top-level ``schemas`` is a symlink to them). A subschema may carry ``"x-rule"``: the id of the
domain rule its keywords enforce (a string for all keywords, or a keyword -> id mapping), so a
failed ``maxLength`` on a data field name is reported as ``datafield.name.length``.
"""

from __future__ import annotations

import difflib
import json
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from reconciler.config.diagnostics import Diagnostic, YamlPath
from reconciler.config.fastcheck import Check, Unsupported, compile_check
from reconciler.config.loader import SETTINGS_KIND, Document, json_type_name
from reconciler.config.rules import rule

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError

# kind -> file name in reconciler/schemas/
SCHEMA_FILES: dict[str, str] = {
    "DataFieldMapping": "datafieldmapping.json",
    "Integration": "integration.json",
    "Owner": "owner.json",
    SETTINGS_KIND: "settings.json",
}

# Keys whose values may be secrets: never quote them in a message.
SECRET_KEYS = frozenset({"password", "clientSecret"})

_JSON_TYPES = {
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "a boolean",
    "array": "a list",
    "object": "a mapping",
    "null": "null",
}


def schema_text(file_name: str) -> str:
    """The schema file's exact text, as shipped."""
    return (resources.files("reconciler") / "schemas" / file_name).read_text(encoding="utf-8")


@cache
def load_schema(kind: str) -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(schema_text(SCHEMA_FILES[kind]))
    return schema


@cache
def _validator(kind: str) -> Draft202012Validator:
    # Only a document that fails the fast check needs jsonschema (0.1-0.2 s to import).
    from jsonschema import Draft202012Validator

    return Draft202012Validator(load_schema(kind))


@cache
def fast_check(kind: str) -> Check | None:
    """The compiled yes/no check of a kind's schema (None if it uses unsupported keywords)."""
    try:
        return compile_check(load_schema(kind))
    except Unsupported:
        return None


def validate_document(document: Document, kind: str) -> list[Diagnostic]:
    """Every schema error of one document, at the position of the offending node."""
    check = fast_check(kind)
    if check is not None and check(document.data):
        return []  # valid: skip the (slower) error-reporting validator
    found: list[Diagnostic] = []
    for error in _validator(kind).iter_errors(document.data):
        found.extend(_diagnostics(document, error))
    return found


def _diagnostics(document: Document, error: ValidationError) -> list[Diagnostic]:
    path: YamlPath = tuple(error.absolute_path)
    keyword = str(error.validator)
    if keyword in ("oneOf", "anyOf"):
        deeper = [sub for sub in error.context or () if sub.relative_path]
        if deeper:
            return [d for sub in deeper for d in _diagnostics(document, sub)]
    if keyword == "additionalProperties" and isinstance(error.instance, dict):
        return _unknown_fields(document, error, path)
    if keyword == "required" and isinstance(error.instance, dict):
        return [
            document.diagnostic(path, "schema.required", f'missing required field "{name}"')
            for name in error.validator_value
            if name not in error.instance
        ]
    rule_id = _rule_of(error.schema, keyword)
    on_key = "propertyNames" in error.absolute_schema_path and isinstance(error.instance, str)
    if on_key:  # a mapping key broke propertyNames: point at that key
        path = (*path, str(error.instance))
    if rule_id:
        message = _ruled_message(rule_id, error, path)
        return [document.diagnostic(path, rule_id, message, key=on_key)]
    if keyword == "type":
        return [document.diagnostic(path, "schema.type", _type_message(error))]
    if keyword == "enum":
        return [document.diagnostic(path, "schema.constraint", _enum_message(error))]
    if keyword == "const":
        return [
            document.diagnostic(path, "schema.constraint", f'must be "{error.validator_value}"')
        ]
    return [document.diagnostic(path, "schema.constraint", _constraint_message(error, path))]


def _rule_of(schema: Any, keyword: str) -> str | None:
    marker = schema.get("x-rule") if isinstance(schema, dict) else None
    if isinstance(marker, str):
        return marker
    if isinstance(marker, dict):
        value = marker.get(keyword)
        return value if isinstance(value, str) else None
    return None


def _unknown_fields(document: Document, error: ValidationError, path: YamlPath) -> list[Diagnostic]:
    schema = error.schema if isinstance(error.schema, dict) else {}
    known = sorted(schema.get("properties", {}))
    extras = [key for key in error.instance if key not in known]
    return [
        document.diagnostic(
            (*path, key),
            "schema.unknown-field",
            f'unknown field "{key}"' + _suggest(key, known),
            key=True,
        )
        for key in extras
    ]


_BOUNDS = {
    "minimum": "minimum",
    "maximum": "maximum",
    "exclusiveMinimum": "above",
    "exclusiveMaximum": "below",
}


def _ruled_message(rule_id: str, error: ValidationError, path: YamlPath) -> str:
    definition = rule(rule_id)
    if not definition.shows_value or (path and path[-1] in SECRET_KEYS):
        return definition.summary
    keyword = str(error.validator)
    if keyword == "enum":
        return _enum_message(error)
    if keyword == "type":
        return _type_message(error)
    bound = f", {_BOUNDS[keyword]} {error.validator_value}" if keyword in _BOUNDS else ""
    return f"{definition.summary} (got {_show(error.instance)}{bound})"


def _enum_message(error: ValidationError) -> str:
    allowed = [str(value) for value in error.validator_value]
    return f"{_show(error.instance)} is not one of {', '.join(allowed)}" + _suggest(
        str(error.instance), allowed
    )


def _constraint_message(error: ValidationError, path: YamlPath) -> str:
    keyword = str(error.validator)
    if path and path[-1] in SECRET_KEYS:
        return f"invalid value ({keyword})"
    if keyword == "minItems":
        return f"needs at least {error.validator_value} item(s)"
    if keyword == "minProperties":
        return f"needs at least {error.validator_value} entry"
    if keyword == "minLength":
        return f"must not be empty (at least {error.validator_value} character(s))"
    if keyword == "maxLength":
        return f"is longer than {error.validator_value} characters"
    if keyword == "pattern":
        return f"{_show(error.instance)} does not match {error.validator_value}"
    if keyword in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        return f"{_show(error.instance)} is out of range ({keyword} {error.validator_value})"
    return str(error.message)


def _type_message(error: ValidationError) -> str:
    return (
        f"expected {_expected(error.validator_value)}, got {json_type_name(error.instance)}"
        + _boolean_hint(error)
    )


def _boolean_hint(error: ValidationError) -> str:
    # YAML 1.2: only true/false are booleans, so `enabled: yes` is the string "yes".
    expected = error.validator_value
    wants_boolean = expected == "boolean" or (isinstance(expected, list) and "boolean" in expected)
    yaml11 = ("yes", "no", "on", "off", "y", "n")
    if wants_boolean and isinstance(error.instance, str) and error.instance.casefold() in yaml11:
        return " (write true or false)"
    return ""


def _expected(types: object) -> str:
    names = types if isinstance(types, list) else [types]
    return " or ".join(_JSON_TYPES.get(str(name), str(name)) for name in names)


def _suggest(value: str, candidates: list[str]) -> str:
    for candidate in candidates:
        if candidate.casefold() == value.casefold() and candidate != value:
            return f' (did you mean "{candidate}"?)'
    close = difflib.get_close_matches(value, candidates, n=1, cutoff=0.7)
    return f' (did you mean "{close[0]}"?)' if close else ""


def _show(value: object) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "..."
