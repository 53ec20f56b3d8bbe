"""The app: accounts by credentials, authentication, the region check, limits, dispatch.

:class:`DotmailerApp` authenticates each request (HTTP Basic), counts it, applies the account's
rate limit, checks the region of the host it came in on, and calls the route's handler, all
under one lock. :meth:`DotmailerApp.snapshot` / :meth:`DotmailerApp.restore` persist it.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import re
import threading
import time
from collections import Counter
from collections.abc import Mapping
from typing import Any

from reconciler.sandbox.core import Request, Response
from reconciler.sandbox.dotmailer.accounts import Account, password_digest
from reconciler.sandbox.dotmailer.call import Call, Clock
from reconciler.sandbox.dotmailer.limits import rate_limit
from reconciler.sandbox.dotmailer.messages import (
    MSG_ACCESS_DENIED,
    MSG_NO_ROUTE,
    MSG_UNAUTHORIZED,
    error,
)
from reconciler.sandbox.dotmailer.routes import accepts, find_route, no_route
from reconciler.sandbox.dotmailer.seed import account_from_seed

_PATH = re.compile(r"^(?:/(r\d+))?(/v2/.*)$")


class DotmailerApp:
    """The dotmailer v2 emulator: an :class:`reconciler.sandbox.core.App`."""

    prefixes: tuple[str, ...] = ("/v2/", "/r1/v2/", "/r2/v2/", "/r3/v2/")

    def __init__(self, seed: Mapping[str, Any] | None = None, *, clock: Clock = time.time) -> None:
        self._clock = clock
        self._lock = threading.RLock()
        self.accounts: dict[str, Account] = {}
        self.counters: Counter[tuple[str, str]] = Counter()
        self.unauthorized = 0
        self.revision = 0  # bumped by every change worth persisting
        for number, raw in enumerate((seed or {}).get("accounts") or (), start=1):
            account = account_from_seed(raw, number)
            if account.username in self.accounts:
                raise ValueError(f"dotmailer account {account.username} is seeded twice")
            self.accounts[account.username] = account

    # -- persistence and test hooks ----------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "version": 1,
                "accounts": [self.accounts[k].to_json() for k in sorted(self.accounts)],
            }

    @classmethod
    def restore(cls, snapshot: Mapping[str, Any], *, clock: Clock = time.time) -> DotmailerApp:
        if snapshot.get("version") != 1:
            raise ValueError(f"unknown dotmailer snapshot version {snapshot.get('version')!r}")
        app = cls(None, clock=clock)
        for raw in snapshot["accounts"]:
            account = Account.from_json(raw)
            app.accounts[account.username] = account
        return app

    def account(self, username: str) -> Account:
        return self.accounts[username]

    def set_dependencies(
        self, username: str, field_name: str, dependencies: list[dict[str, Any]]
    ) -> None:
        """Mark a data field as in use (``[]`` frees it); a delete then answers result false."""
        with self._lock:
            account = self.accounts[username]
            if field_name.upper() not in account.data_fields:
                raise KeyError(field_name)
            if dependencies:
                account.dependencies[field_name.upper()] = list(dependencies)
            else:
                account.dependencies.pop(field_name.upper(), None)
            self.revision += 1

    def data_fields_of(self, username: str) -> list[dict[str, Any]] | None:
        """An account's data fields as ``GET /v2/data-fields`` lists them (None: no account),
        read under this app's lock (the Oro emulator's data-field import reads them)."""
        with self._lock:
            account = self.accounts.get(username)
            if account is None:
                return None
            return [dict(f) for _, f in sorted(account.data_fields.items())]

    def total_requests(self, username: str) -> int:
        return self.counters[(username, "total")]

    # -- dispatch ------------------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        with self._lock:
            return self._handle(request)

    def _handle(self, request: Request) -> Response:
        match = _PATH.match(request.path)
        if match is None:
            return error(404, MSG_NO_ROUTE)
        region = match.group(1) or "r1"
        path = match.group(2)
        account = self._authenticate(request)
        if account is None:
            self.unauthorized += 1
            return error(401, MSG_UNAUTHORIZED)
        route, params = find_route(request.method, path)
        endpoint = f"{request.method} {route.template}" if route else f"{request.method} {path}"
        self.counters[(account.username, endpoint)] += 1
        self.counters[(account.username, "total")] += 1
        limited, headers = rate_limit(account, self._clock())
        if limited is not None:
            limited.headers.update(headers)
            return limited
        if route is None:
            response = no_route(request.method, path)
        elif (
            account.settings.regionCheck
            and region != account.region
            and not (route.exempt_on_r1 and region == "r1")
        ):
            response = error(403, MSG_ACCESS_DENIED)  # dotdigital-api-v2.md §1: wrong region
        elif not accepts(request.headers.get("Accept"), route.produces):
            response = Response.empty(406)  # before the handler: nothing changes
        else:
            response = route.handler(Call(request, account, params, region, self._clock))
            if route.mutates and response.status < 400:
                self.revision += 1
        response.headers.update(headers)
        return response

    def _authenticate(self, request: Request) -> Account | None:
        header = request.headers.get("Authorization") or ""
        scheme, _, encoded = header.partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        username, sep, password = decoded.partition(":")
        account = self.accounts.get(username)
        if not sep or account is None:
            return None
        if not hmac.compare_digest(password_digest(password), account.password_sha256):
            return None
        return account
