"""An emulator of the dotmailer (Dotdigital) v2 REST API, as specified in dotdigital-api-v2.md §7.

One :class:`DotmailerApp` holds any number of accounts, keyed by their HTTP Basic credentials.
It answers ``/v2/...`` on the server's own host, which plays the r1 host, and ``/rN/v2/...``,
which plays the host of region rN: ``account-info`` names ``<base>/`` (r1) or ``<base>/rN/`` as the
account's ``ApiEndpoint``, and with ``regionCheck`` on (the default) a call on another region's host
gets 403, as the real API does (§1). Everything is in memory, guarded by one lock;
:meth:`DotmailerApp.snapshot` / :meth:`DotmailerApp.restore` persist it.

Seed (the ``dotmailer`` key of the sandbox seed file)::

    accounts:
      - username: apiuser-emea@apiconnector.com
        password: sandbox-emea-pw            # kept only as a SHA-256 digest
        region: r1                           # r1 | r2 | r3
        rateLimit: {mode: tiered, perMinute: 35}   # or {mode: flat, perHour: 2000}, {mode: off}
                                             # windowSeconds: 60 (shorter: a tier scaled in time)
        dataFields: [{name: LOYALTY, type: String, visibility: Private, defaultValue: null,
                      inUse: true}]          # inUse / dependencies block a delete
        addressBooks: [{name: Newsletter, visibility: Private}]
        settings: {addressBookCreateStatus: 201, addressBookDeleteStatus: 200, ...}

The open points of §7 are per-account settings (see :class:`AccountSettings`).

The rooms: ``accounts`` (state and settings), ``seed``, ``messages`` (error texts), ``validate``
(request bodies, data fields, address books), ``limits`` (both rate-limit schemes), one handler
module per resource (``info``, ``fields``, ``books``, ``contacts``, ``imports``), ``routes``
(the table of handlers) and ``app``.
"""

from __future__ import annotations

from reconciler.sandbox.dotmailer.accounts import (
    BUILTIN_BOOKS,
    BUILTIN_FIELDS,
    Account,
    AccountSettings,
    RateLimitSettings,
    password_digest,
)
from reconciler.sandbox.dotmailer.app import DotmailerApp
from reconciler.sandbox.dotmailer.call import Clock

__all__ = [
    "BUILTIN_BOOKS",
    "BUILTIN_FIELDS",
    "Account",
    "AccountSettings",
    "Clock",
    "DotmailerApp",
    "RateLimitSettings",
    "password_digest",
]
