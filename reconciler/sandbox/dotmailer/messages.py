"""The dotmailer v2 API's error texts, and its error answer ``{"message": "<text> ERROR_CODE"}``.

The envelope and the two shapes of text (``Error: ERROR_X``, ``<Sentence>. ERROR_X``) are those of
dotdigital-api-v2.md §3. A text used by one check only stays next to that check.
"""

from __future__ import annotations

from reconciler.sandbox.core import Response

# Exact texts, dotdigital-api-v2.md §1, §2, §4, §7.
MSG_UNAUTHORIZED = "Authorization has been denied for this request."
MSG_ACCESS_DENIED = "Access is denied"
MSG_FIELD_EXISTS = "Field already exists. ERROR_NON_UNIQUE_DATAFIELD"
MSG_BOOK_DUPLICATE = (
    "That name is in use already, please choose another. ERROR_ADDRESSBOOK_DUPLICATE"
)
MSG_BOOK_NOT_FOUND = "Error: ERROR_ADDRESSBOOK_NOT_FOUND"
MSG_BOOK_NOT_WRITABLE = (
    "Address book cannot be written to via the API. ERROR_ADDRESSBOOK_NOTWRITABLE"
)
MSG_IMPORT_NOT_FOUND = "Error: ERROR_IMPORT_NOT_FOUND"
MSG_REPORT_NOT_READY = (
    "Import is not processed yet or completed with error. ERROR_IMPORT_REPORT_NOT_FOUND"
)
MSG_USAGE_EXCEEDED = (
    "Your account has generated excess API activity and is being temporarily capped. "
    "Please contact support. ERROR_APIUSAGE_EXCEEDED"
)
MSG_MALFORMED = "The request body could not be read. ERROR_MALFORMED_REQUEST"
MSG_CONTENT_TYPE = "The request content type is not supported. ERROR_CONTENT_TYPE_IS_NOT_SUPPORTED"

# Texts answered from more than one place.
MSG_NO_ROUTE = "No HTTP resource was found that matches the request URI."
MSG_CONTACT_NOT_FOUND = "Error: ERROR_CONTACT_NOT_FOUND"
MSG_PAGING_INVALID = "The paging parameters are not valid. ERROR_PARAMETER_INVALID"
MSG_FILE_INVALID = "The file is not valid. ERROR_IMPORT_UNSUPPORTED_FORMAT"


def error(status: int, message: str) -> Response:
    """The v2 error answer: ``status`` with the JSON body ``{"message": message}``."""
    return Response.json(status, {"message": message})
