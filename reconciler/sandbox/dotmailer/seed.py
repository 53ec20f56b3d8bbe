"""An :class:`Account` from one entry of the seed's ``dotmailer.accounts`` list.

Every account starts with the built-in data fields and books of dotdigital-api-v2.md §7; seeded
data fields and books pass the same checks as the API's POSTs.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from reconciler.sandbox.core import Response
from reconciler.sandbox.dotmailer.accounts import (
    BUILTIN_BOOKS,
    BUILTIN_FIELDS,
    Account,
    AccountSettings,
    RateLimitSettings,
    password_digest,
)
from reconciler.sandbox.dotmailer.validate import check_book, check_data_field


def account_from_seed(raw: Mapping[str, Any], number: int) -> Account:
    region = str(raw.get("region", "r1"))
    if not re.fullmatch(r"r\d+", region):
        raise ValueError(f"region must look like r1, not {region!r}")
    if "password" in raw:
        digest = password_digest(str(raw["password"]))
    else:
        digest = str(raw["passwordSha256"])
    account = Account(
        username=str(raw["username"]),
        password_sha256=digest,
        region=region,
        account_id=int(raw.get("accountId", 100000 + number)),
        settings=AccountSettings.from_dict(raw.get("settings")),
        rate_limit=RateLimitSettings.from_dict(raw.get("rateLimit")),
    )
    for name in BUILTIN_FIELDS:
        account.data_fields[name] = {
            "name": name,
            "type": "String",
            "visibility": "Public",
            "defaultValue": None,
        }
    for book_id, name in BUILTIN_BOOKS:
        account.books[book_id] = {
            "id": book_id,
            "name": name,
            "visibility": "Private",
            "builtin": True,
            "members": set(),
        }
    for item in raw.get("dataFields") or ():
        checked = check_data_field(dict(item), account)
        if isinstance(checked, Response):
            raise ValueError(f"{account.username}: data field {item!r} is invalid")
        account.data_fields[checked["name"]] = checked
        deps = item.get("dependencies")
        if deps is None and item.get("inUse"):
            deps = [{"type": "Campaign", "objectId": 1000 + len(account.dependencies)}]
        if deps:
            account.dependencies[checked["name"]] = list(deps)
    for item in raw.get("addressBooks") or ():
        checked_book = check_book(dict(item), account, None, for_update=False)
        if isinstance(checked_book, Response):
            raise ValueError(f"{account.username}: address book {item!r} is invalid")
        account.add_book(checked_book)
    return account
