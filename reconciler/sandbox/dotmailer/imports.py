"""Contact import: upload a CSV into a book, poll the job, read its report and faults.

dotdigital-api-v2.md §7 items 11-13. A job is answered ``NotFinished`` for the account's
``importPolls`` polls; the poll after those applies the rows (or ends in the forced final status).
"""

from __future__ import annotations

import base64
import binascii
import csv
import io
import re
import uuid
from collections.abc import Mapping
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any

from reconciler.sandbox.core import Request, Response
from reconciler.sandbox.dotmailer.accounts import Account
from reconciler.sandbox.dotmailer.books import find_book
from reconciler.sandbox.dotmailer.call import Call
from reconciler.sandbox.dotmailer.messages import (
    MSG_BOOK_NOT_WRITABLE,
    MSG_FILE_INVALID,
    MSG_IMPORT_NOT_FOUND,
    MSG_MALFORMED,
    MSG_REPORT_NOT_READY,
    error,
)
from reconciler.sandbox.dotmailer.validate import json_body, lower_keys

MERGE_OPTIONS = {
    "overwrite": "Overwrite",
    "0": "Overwrite",
    "onlyoverwriteifnotempty": "OnlyOverwriteIfNotEmpty",
    "1": "OnlyOverwriteIfNotEmpty",
    "onlyoverwriteifcontactdatanotpopulated": "OnlyOverwriteIfContactDataNotPopulated",
    "2": "OnlyOverwriteIfContactDataNotPopulated",
}
REPORT_KEYS = (
    "newContacts",
    "updatedContacts",
    "globallySuppressed",
    "invalidEntries",
    "duplicateEmails",
    "blocked",
    "unsubscribed",
    "hardBounced",
    "softBounced",
    "ispComplaints",
    "mailBlocked",
    "domainSuppressed",
    "pendingDoubleOptin",
    "failures",
    "suppressedContacts",
)
MAX_ACTIVE_IMPORTS = 25

_EMAIL = re.compile(r"^[^@\s,;]+@[^@\s,;]+\.[^@\s,;]+$")


def start_import(call: Call) -> Response:
    book = find_book(call)
    if isinstance(book, Response):
        return book
    if book["builtin"]:
        return error(400, MSG_BOOK_NOT_WRITABLE)
    merge = MERGE_OPTIONS.get(call.params.get("mergeOption", "overwrite").lower())
    if merge is None:
        return error(400, "The merge option is not valid. ERROR_PARAMETER_INVALID")
    upload = _uploaded_csv(call.request)
    if isinstance(upload, Response):
        return upload
    rows = _parse_csv(upload)
    if isinstance(rows, Response):
        return rows
    active = sum(1 for i in call.account.imports.values() if i["status"] == "NotFinished")
    if active >= MAX_ACTIVE_IMPORTS:
        return error(400, "Too many imports are running. ERROR_IMPORT_TOOMANYACTIVEIMPORTS")
    import_id = str(uuid.uuid4())
    call.account.imports[import_id] = {
        "id": import_id,
        "bookId": book["id"],
        "status": "NotFinished",
        "pollsLeft": call.account.settings.importPolls,
        "mergeOption": merge,
        "rows": rows,
        "report": None,
        "faults": [],
    }
    return Response.json(202, {"id": import_id, "status": "NotFinished"})


def _find_import(call: Call) -> dict[str, Any] | Response:
    key = call.params["importId"].lower()
    job = call.account.imports.get(key)
    return job if job is not None else error(404, MSG_IMPORT_NOT_FOUND)


def import_status(call: Call) -> Response:
    job = _find_import(call)
    if isinstance(job, Response):
        return job
    if job["status"] == "NotFinished":
        if job["pollsLeft"] > 0:
            job["pollsLeft"] -= 1
        else:
            _finish_import(call.account, job)
    return Response.json(200, {"id": job["id"], "status": job["status"]})


def _finish_import(account: Account, job: dict[str, Any]) -> None:
    final = account.settings.importFinalStatus
    job["status"] = final
    if final != "Finished":
        job["rows"] = []
        return
    report = dict.fromkeys(REPORT_KEYS, 0)
    faults: list[list[str]] = []
    seen: set[str] = set()
    book = account.books.get(job["bookId"])
    for row in job.pop("rows"):
        email = row.get("email", "").strip()
        if not _EMAIL.match(email):
            faults.append(["Invalid Email", email])
            report["invalidEntries"] += 1
            continue
        key = email.lower()
        if key in seen:
            report["duplicateEmails"] += 1
            continue
        seen.add(key)
        contact = account.contacts.get(key)
        if contact is None:
            contact = {
                "id": account.next_contact_id,
                "email": email,
                "optInType": "Unknown",
                "emailType": "Html",
                "dataFields": {},
                "status": "Subscribed",
            }
            account.next_contact_id += 1
            account.contacts[key] = contact
            report["newContacts"] += 1
        else:
            report["updatedContacts"] += 1
        _merge(contact["dataFields"], row, account, job["mergeOption"])
        if book is not None:
            book["members"].add(key)
    job["report"] = report
    job["faults"] = faults
    job["rows"] = []


def import_report(call: Call) -> Response:
    job = _find_import(call)
    if isinstance(job, Response):
        return job
    if job["report"] is None:
        return error(400, MSG_REPORT_NOT_READY)
    return Response.json(200, job["report"])


def import_faults(call: Call) -> Response:
    job = _find_import(call)
    if isinstance(job, Response):
        return job
    if job["report"] is None:
        return error(400, MSG_REPORT_NOT_READY)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["Reason", "Email"])
    writer.writerows(job["faults"])
    return Response(
        200, out.getvalue().encode("utf-8"), {"Content-Type": "text/csv; charset=utf-8"}
    )


def _uploaded_csv(request: Request) -> bytes | Response:
    """The file of an import: JSON ApiFileMedia {fileName, data} or one multipart ``file``."""
    content_type = request.headers.get("Content-Type") or ""
    if content_type.lower().startswith("multipart/form-data"):
        message = BytesParser(policy=HTTP).parsebytes(
            b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + request.body
        )
        if not message.is_multipart():
            return error(400, MSG_MALFORMED)
        files = [part for part in message.iter_parts() if part.get_filename() is not None]
        if len(files) > 1:
            return error(400, "Only one file may be uploaded. ERROR_MULTI_FILE_UPLOAD_NOT_ALLOWED")
        if not files:
            return error(400, MSG_MALFORMED)
        filename = files[0].get_filename() or ""
        payload = files[0].get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
    else:
        body = json_body(request)
        if isinstance(body, Response):
            return body
        keys = lower_keys(body)
        encoded = keys.get("data")
        if not isinstance(keys.get("filename"), str) or not isinstance(encoded, str):
            return error(400, MSG_FILE_INVALID)
        filename = str(keys["filename"])
        try:
            data = base64.b64decode(encoded, validate=True)
        except binascii.Error:
            return error(400, MSG_FILE_INVALID)
    if not filename.lower().endswith(".csv"):
        return error(400, "The file format is not supported. ERROR_IMPORT_UNSUPPORTED_FORMAT")
    return data


def _parse_csv(data: bytes) -> list[dict[str, str]] | Response:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return error(400, "The file is not UTF-8 CSV. ERROR_IMPORT_UNSUPPORTED_FORMAT")
    reader = csv.reader(io.StringIO(text))
    header = next(reader, [])
    names = [h.strip().lower() for h in header]
    if "email" not in names:
        return error(400, "The file has no Email column. ERROR_NO_EMAIL_COLUMN")
    return [
        {name: value for name, value in zip(names, row, strict=False) if name}
        for row in reader
        if any(cell.strip() for cell in row)
    ]


def _merge(values: dict[str, Any], row: Mapping[str, str], account: Account, option: str) -> None:
    """Map CSV columns onto existing data fields, case-insensitively; unknown columns ignored."""
    for column, raw in row.items():
        name = column.upper()
        if column == "email" or name not in account.data_fields:
            continue
        if option == "OnlyOverwriteIfNotEmpty" and raw == "":
            continue
        if option == "OnlyOverwriteIfContactDataNotPopulated" and values.get(name) not in (
            None,
            "",
        ):
            continue
        values[name] = raw
