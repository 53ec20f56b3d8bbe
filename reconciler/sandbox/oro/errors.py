"""How the emulator fails: JSON:API error objects, the two exceptions a handler raises, the status
an error document answers with, and the validation messages several modules share."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from reconciler.sandbox.core import Response
from reconciler.sandbox.oro.schema import JSONAPI

NOT_FOUND = "An entity with the requested identifier does not exist."


@dataclass(frozen=True)
class ApiError:
    status: int
    title: str
    detail: str
    pointer: str | None = None
    parameter: str | None = None
    meta: Mapping[str, Any] | None = None

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"status": str(self.status), "title": self.title}
        out["detail"] = self.detail
        if self.pointer is not None:
            out["source"] = {"pointer": self.pointer}
        elif self.parameter is not None:
            out["source"] = {"parameter": self.parameter}
        if self.meta:
            out["meta"] = dict(self.meta)
        return out


class Failed(Exception):
    """Raised inside a handler; becomes a JSON:API error document."""

    def __init__(self, *errors: ApiError) -> None:
        super().__init__(errors[0].detail if errors else "")
        self.errors = errors


class Plain(Exception):
    """Raised inside a handler for answers with no JSON:API document (401, 405)."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status)
        self.response = response


def error_response(errors: Iterable[ApiError]) -> Response:
    errs = list(errors)
    # oro-jsonapi.md §5: the highest class wins; 409 is preferred inside 4xx.
    statuses = {e.status for e in errs}
    if any(s >= 500 for s in statuses):
        status = max(statuses) if len({s for s in statuses if s >= 500}) == 1 else 500
    elif 409 in statuses:
        status = 409
    else:
        status = statuses.pop() if len(statuses) == 1 else 400
    return Response.json(status, {"errors": [e.as_json() for e in errs]}, content_type=JSONAPI)


def not_found(pointer: str | None = None) -> ApiError:
    return ApiError(404, "not found http exception", NOT_FOUND, pointer=pointer)


def type_mismatch() -> ApiError:
    """The primary data names another type than the URL."""
    return ApiError(
        409,
        "conflict constraint",
        "The 'type' property of the primary data object should match the requested resource.",
        pointer="/data/type",
    )


def field_error(pointer: str, title: str, detail: str) -> ApiError:
    return ApiError(400, title, detail, pointer=pointer)


def not_blank(pointer: str) -> ApiError:
    return field_error(pointer, "not blank constraint", "This value should not be blank.")


def too_long(pointer: str, limit: int) -> ApiError:
    return field_error(
        pointer,
        "length constraint",
        f"This value is too long. It should have {limit} characters or less.",
    )


def too_short(pointer: str, limit: int) -> ApiError:
    return field_error(
        pointer,
        "length constraint",
        f"This value is too short. It should have {limit} characters or more.",
    )


def unique(pointer: str, detail: str = "This value is already used.") -> ApiError:
    return field_error(pointer, "unique entity constraint", detail)


def extra_field(pointer: str, name: str) -> ApiError:
    return field_error(
        pointer, "extra fields constraint", f'This form should not contain extra fields: "{name}".'
    )
