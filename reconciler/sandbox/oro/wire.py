"""The JSON:API plumbing every handler shares: media-type checks, the request body, integer query
parameters, sparse fieldsets, the ``X-Include`` header, and JSON:API responses."""

from __future__ import annotations

import json
from typing import Any

from reconciler.sandbox.core import Request, Response
from reconciler.sandbox.oro.errors import ApiError, Failed
from reconciler.sandbox.oro.schema import JSONAPI


def jsonapi(status: int, payload: Any) -> Response:
    return Response.json(status, payload, content_type=JSONAPI)


def action(method: str, item: bool) -> str:
    """The JSON:API action of a method on a list (``item`` false) or on one resource."""
    return {
        ("GET", False): "get_list",
        ("GET", True): "get",
        ("POST", False): "create",
        ("PATCH", True): "update",
        ("DELETE", True): "delete",
        ("DELETE", False): "delete_list",
    }.get((method, item), "unsupported")


def check_media_type(request: Request) -> None:
    """CheckRequestType / SetResponseContentType (oro-jsonapi.md §1)."""
    content_type = request.headers.get("Content-Type")
    accept = request.headers.get("Accept")
    if content_type and content_type.split(";")[0].strip() == JSONAPI and ";" in content_type:
        raise Failed(
            ApiError(
                415,
                "unsupported media type http exception",
                f'The "{content_type}" media type is not supported.',
            )
        )
    if request.method in ("POST", "PATCH") and content_type != JSONAPI:
        raise Failed(
            ApiError(
                415,
                "unsupported media type http exception",
                f'The "{content_type or ""}" media type is not supported.',
            )
        )
    if accept:
        kinds = [a.strip() for a in accept.split(",")]
        exact = any(k.split(";")[0].strip() in (JSONAPI, "*/*") and ";" not in k for k in kinds)
        if not exact:
            raise Failed(
                ApiError(
                    406,
                    "not acceptable http exception",
                    f'Only "{JSONAPI}" media type is supported.',
                )
            )


def body(request: Request) -> dict[str, Any]:
    if not request.body.strip():
        raise Failed(
            ApiError(400, "request data constraint", "The request data should not be empty.")
        )
    try:
        doc = json.loads(request.body)
    except ValueError:
        raise Failed(
            ApiError(400, "bad request http exception", "Invalid json message received.")
        ) from None
    if not isinstance(doc, dict):
        raise Failed(
            ApiError(400, "request data constraint", "The request data should be an object.")
        )
    return doc


def int_param(request: Request, name: str, default: int) -> int:
    value = request.query_one(name)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        raise Failed(
            ApiError(
                400,
                "unexpected value exception",
                f'Expected integer value. Given "{value}".',
                parameter=name,
            )
        ) from None


def x_include(request: Request) -> set[str]:
    header = request.headers.get("X-Include") or ""
    return {part.strip().lower() for part in header.split(";") if part.strip()}


def hateoas(request: Request) -> bool:
    return "nohateoas" not in x_include(request)


def sparse_fields(request: Request, type_: str) -> set[str] | None:
    value = request.query_one(f"fields[{type_}]")
    return None if value is None else {v for v in value.split(",") if v}
