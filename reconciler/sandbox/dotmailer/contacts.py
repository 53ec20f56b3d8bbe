"""GET /v2/contacts/{email} and the ApiContact answer (dotdigital-api-v2.md §7 item 14)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler.sandbox.core import Response
from reconciler.sandbox.dotmailer.call import Call
from reconciler.sandbox.dotmailer.messages import MSG_CONTACT_NOT_FOUND, error


def get_contact(call: Call) -> Response:
    """By email (case-insensitive) or, failing that, by contact id."""
    key = call.params["email"]
    contact = call.account.contacts.get(key.lower())
    if contact is None:
        contact = next((c for c in call.account.contacts.values() if str(c["id"]) == key), None)
    if contact is None:
        return error(404, MSG_CONTACT_NOT_FOUND)
    return Response.json(200, contact_json(contact, full=True))


def contact_json(contact: Mapping[str, Any], *, full: bool) -> dict[str, Any]:
    return {
        "id": contact["id"],
        "email": contact["email"],
        "optInType": contact["optInType"],
        "emailType": contact["emailType"],
        "dataFields": (
            [{"key": k, "value": v} for k, v in sorted(contact["dataFields"].items())]
            if full
            else None
        ),
        "status": contact["status"],
    }
