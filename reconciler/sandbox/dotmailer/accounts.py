"""The state of one emulated dotmailer account: its settings, data fields, books, contacts, imports.

An :class:`Account` is plain data; the handlers change it under the app's lock, and
:meth:`Account.to_json` / :meth:`Account.from_json` are its persisted form.
"""

from __future__ import annotations

import hashlib
from collections import Counter, deque
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any

# dotdigital-api-v2.md §7: every account has these, String/Public/null, and they cannot be deleted.
BUILTIN_FIELDS: tuple[str, ...] = ("FIRSTNAME", "LASTNAME", "FULLNAME", "GENDER", "POSTCODE")
# dotdigital-api-v2.md §7: "All Contacts" (id 1) and "Test" (id 2), Private, read-only.
BUILTIN_BOOKS: tuple[tuple[int, str], ...] = ((1, "All Contacts"), (2, "Test"))


def password_digest(password: str) -> str:
    return hashlib.sha256(password.encode("utf-8")).hexdigest()


@dataclass
class AccountSettings:
    """Per-account answers to the open points of dotdigital-api-v2.md §7."""

    addressBookCreateStatus: int = 201  # seed keys are camelCase; SW 201, AB 200
    # dotdigital-v2-api-swagger.json: DELETE /v2/address-books/{id} is 200 with an empty
    # application/octet-stream body; 204 is the Lists / Address books spec's (AB).
    addressBookDeleteStatus: int = 200
    builtinFieldDeleteStatus: int = 404  # unverified, ORO says 404
    dependenciesAs409: bool = False  # SW allows 409 ProblemDetails
    importPolls: int = 1  # polls answered NotFinished before the final status
    importFinalStatus: str = "Finished"
    regionCheck: bool = True
    apiEndpoint: str | None = None  # overrides the ApiEndpoint property
    maxDataFields: int | None = None
    maxAddressBooks: int | None = None

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any] | None) -> AccountSettings:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in (raw or {}).items() if k in known})


@dataclass
class RateLimitSettings:
    """Which scheme of dotdigital-api-v2.md §4 the account is under, and its figures."""

    mode: str = "tiered"  # tiered | flat | off
    perMinute: int = 35  # dotdigital-api-v2.md §4: "Low: 35 calls per minute"
    perHour: int = 2000  # flat scheme: 2,000 calls/hour
    scope: str = "lowCallRate"
    # The tier's window. Real accounts have 60 s; a shorter one scales a tier down in time, so
    # a benchmark can see many windows in a short run (benchmarks/scale.py).
    windowSeconds: int = 60

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any] | None) -> RateLimitSettings:
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in (raw or {}).items() if k in known}
        if values.get("mode") is False:  # YAML 1.1 reads an unquoted `off` as false
            values["mode"] = "off"
        settings = cls(**values)
        if settings.mode not in ("tiered", "flat", "off"):
            raise ValueError(f"rateLimit.mode must be tiered, flat or off, not {settings.mode!r}")
        if settings.windowSeconds < 1:
            raise ValueError(f"rateLimit.windowSeconds must be >= 1, not {settings.windowSeconds}")
        return settings


@dataclass
class Account:
    username: str
    password_sha256: str
    region: str
    account_id: int
    settings: AccountSettings
    rate_limit: RateLimitSettings
    data_fields: dict[str, dict[str, Any]] = field(default_factory=dict)  # UPPER name -> field
    dependencies: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    books: dict[int, dict[str, Any]] = field(default_factory=dict)  # id -> book (with members)
    next_book_id: int = 3
    contacts: dict[str, dict[str, Any]] = field(default_factory=dict)  # lower email -> contact
    next_contact_id: int = 1
    imports: dict[str, dict[str, Any]] = field(default_factory=dict)
    call_times: deque[float] = field(default_factory=deque)  # for the hourly figures
    window_start: float = 0.0
    window_count: int = 0
    # Calls admitted per tiered window start (not persisted): how well a client uses its budget.
    window_log: Counter[float] = field(default_factory=Counter)

    def to_json(self) -> dict[str, Any]:
        return {
            "username": self.username,
            "passwordSha256": self.password_sha256,
            "region": self.region,
            "accountId": self.account_id,
            "settings": asdict(self.settings),
            "rateLimit": asdict(self.rate_limit),
            "dataFields": list(self.data_fields.values()),
            "dependencies": self.dependencies,
            "books": [{**book, "members": sorted(book["members"])} for book in self.books.values()],
            "nextBookId": self.next_book_id,
            "contacts": list(self.contacts.values()),
            "nextContactId": self.next_contact_id,
            "imports": list(self.imports.values()),
            "callTimes": list(self.call_times),
            "windowStart": self.window_start,
            "windowCount": self.window_count,
        }

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> Account:
        return cls(
            username=raw["username"],
            password_sha256=raw["passwordSha256"],
            region=raw["region"],
            account_id=int(raw["accountId"]),
            settings=AccountSettings.from_dict(raw["settings"]),
            rate_limit=RateLimitSettings.from_dict(raw["rateLimit"]),
            data_fields={f["name"]: dict(f) for f in raw["dataFields"]},
            dependencies={k: list(v) for k, v in raw["dependencies"].items()},
            books={int(b["id"]): {**b, "members": set(b["members"])} for b in raw["books"]},
            next_book_id=int(raw["nextBookId"]),
            contacts={c["email"].lower(): dict(c) for c in raw["contacts"]},
            next_contact_id=int(raw["nextContactId"]),
            imports={i["id"]: dict(i) for i in raw["imports"]},
            call_times=deque(float(t) for t in raw["callTimes"]),
            window_start=float(raw["windowStart"]),
            window_count=int(raw["windowCount"]),
        )

    def add_book(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """A new, empty, writable book with the checked ``name`` and ``visibility``."""
        book = {
            "id": self.next_book_id,
            "name": values["name"],
            "visibility": values["visibility"],
            "builtin": False,
            "members": set(),
        }
        self.books[self.next_book_id] = book
        self.next_book_id += 1
        return book

    def book_json(self, book: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "id": book["id"],
            "name": book["name"],
            "visibility": book["visibility"],
            "contacts": len(book["members"]),
        }
