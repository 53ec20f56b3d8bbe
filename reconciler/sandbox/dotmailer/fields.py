"""The data-field handlers: list, create, delete (dotdigital-api-v2.md §2, §7 items 3-5)."""

from __future__ import annotations

from reconciler.sandbox.core import Response
from reconciler.sandbox.dotmailer.accounts import BUILTIN_FIELDS
from reconciler.sandbox.dotmailer.call import Call
from reconciler.sandbox.dotmailer.messages import error
from reconciler.sandbox.dotmailer.validate import check_data_field, json_body


def list_fields(call: Call) -> Response:
    return Response.json(200, list(call.account.data_fields.values()))


def create_field(call: Call) -> Response:
    body = json_body(call.request)
    if isinstance(body, Response):
        return body
    checked = check_data_field(body, call.account)
    if isinstance(checked, Response):
        return checked
    call.account.data_fields[checked["name"]] = checked
    return Response.json(201, checked)


def delete_field(call: Call) -> Response:
    account = call.account
    name = call.params["name"].upper()
    if name in BUILTIN_FIELDS:
        return error(account.settings.builtinFieldDeleteStatus, "Error: ERROR_DATAFIELD_INVALID")
    if name not in account.data_fields:
        return error(404, "Error: ERROR_DATAFIELD_NOTFOUND")
    dependencies = account.dependencies.get(name)
    if dependencies:
        if account.settings.dependenciesAs409:
            # dotdigital-v2-api-swagger.json: 409 with a ProblemDetails body as application/json.
            return Response.json(
                409,
                {
                    "type": "https://tools.ietf.org/html/rfc7231#section-6.5.8",
                    "title": "The data field is in use.",
                    "status": 409,
                    "detail": f"{name} has {len(dependencies)} dependencies.",
                },
            )
        return Response.json(200, {"dependencies": dependencies, "result": False})
    del account.data_fields[name]
    for contact in account.contacts.values():
        contact["dataFields"].pop(name, None)
    return Response.json(200, {"dependencies": None, "result": True})
