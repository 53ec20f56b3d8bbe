"""One authenticated JSON:API session with an Oro instance: token, calls, errors, paging.

It takes an OAuth2 client-credentials token from ``{base_url}/oauth2-token``, caches it, renews
it shortly before it expires and once on a 401, speaks ``application/vnd.api+json`` both ways
and reads whole lists in one call (``page[size]=-1``, following ``links.next`` where a server
caps the page size). Retries, backoff and error translation are the shared policy of
:mod:`reconciler.providers.http`: every error names method and URL, never a credential.

A stock Oro exposes ``integrationchannels`` read-only and none of the dotmailer entities; a call
that meets that (405, or 404 ``resource not accessible exception``) raises
:class:`reconciler.errors.UnsupportedServerError` with one sentence saying what to enable.
"""

from __future__ import annotations

import json
import random
import re
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from reconciler.errors import RemoteError, UnsupportedServerError
from reconciler.providers.http import Caller, RetryPolicy, error_text, safe_url
from reconciler.providers.oro.documents import Resource
from reconciler.providers.transport import shared_client

__all__ = ["ENABLE_HINT", "JSONAPI", "OroSession", "document", "jsonapi_message", "unsupported"]

JSONAPI = "application/vnd.api+json"
# Renew a token this long before it expires (or a tenth of its lifetime, if shorter).
_RENEW_MARGIN = 60.0
_MAX_PAGE = re.compile(r"less than or equals to (\d+)")
_PAGE_WORKERS = 8  # pages of one capped list fetched at once
_UNSUPPORTED_404 = ("resource not accessible exception", "entity type constraint")
ENABLE_HINT = (
    "enable the extended API contract in that Oro application (install the companion bundle "
    "oro-bundle/; see docs/oro-api.md)"
)


def jsonapi_message(response: httpx.Response) -> str:
    """The server's own words: JSON:API ``errors[]`` (§5), else the OAuth2 ``message`` (§2) or
    Problem Details (:func:`reconciler.providers.http.error_text`)."""
    try:
        payload: Any = json.loads(response.content.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        return response.text.strip()[:200]
    if isinstance(payload, dict) and isinstance(payload.get("errors"), list):
        parts = []
        for error in payload["errors"]:
            if not isinstance(error, dict):
                continue
            text = f"{error.get('title', '')}: {error.get('detail', '')}".strip(": ")
            source = error.get("source") or {}
            where = source.get("pointer") or source.get("parameter")
            parts.append(f"{text} ({where})" if where else text)
        return "; ".join(parts)
    return error_text(payload)


def _classify(response: httpx.Response, text: str) -> type[RemoteError] | None:
    if response.status_code == 405:
        return UnsupportedServerError
    if response.status_code == 404 and any(title in text for title in _UNSUPPORTED_404):
        return UnsupportedServerError
    return None


def unsupported(exc: UnsupportedServerError, method: str, url: str) -> UnsupportedServerError:
    """``exc`` reworded as one sentence: what this Oro does not let the API do, what to enable."""
    parts = url.split("?")[0].rstrip("/").split("/")
    name = next((p for p in reversed(parts) if p and not p.isdigit()), url)
    verb = {"GET": "read", "POST": "create", "PATCH": "update", "DELETE": "delete"}
    return UnsupportedServerError(
        f"oro: this Oro does not let the API {verb.get(method, method)} {name}; {ENABLE_HINT}",
        method=exc.method,
        url=exc.url,
        status=exc.status,
        api_message=exc.api_message,
    )


def document(response: httpx.Response) -> dict[str, Any]:
    """The JSON:API document of an answer (``{}`` for 204 or an empty body)."""
    if response.status_code == 204 or not response.content:
        return {}
    try:
        body = response.json()
    except ValueError:
        raise RemoteError(
            "oro: the answer is not JSON",
            method=response.request.method,
            url=safe_url(response.request.url),
            status=response.status_code,
        ) from None
    return body if isinstance(body, dict) else {}


class OroSession:
    """The HTTP side of :class:`OroClient`. Thread-safe: one token is shared by all threads."""

    def __init__(
        self,
        base_url: str,
        client_id: str,
        client_secret: str,
        *,
        api_base: str,
        transport: httpx.BaseTransport | None,
        timeout: float,
        sleep: Callable[[float], None],
        clock: Callable[[], float],
        policy: RetryPolicy | None,
        rand: random.Random | None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.api_base = "/" + api_base.strip("/")
        self._client_id = client_id
        self._client_secret = client_secret
        self._clock = clock
        # The bearer token goes with each request (call); TLS verified (shared_client).
        self._http = shared_client(timeout=timeout, transport=transport, base_url=self.base_url)
        self._caller = Caller(
            self._http,
            service="oro",
            policy=policy,
            sleep=sleep,
            clock=clock,
            rand=rand,
            message_of=jsonapi_message,
            classify=_classify,
        )
        self._token_lock = threading.Lock()
        self._token: str | None = None
        self._renew_at = 0.0

    def close(self) -> None:
        self._http.close()

    def list_all(
        self, type_: str, params: Mapping[str, str] | None = None
    ) -> tuple[list[Resource], list[Resource]]:
        """All pages of a list: ``page[size]=-1``, or the server's cap and ``links.next``."""
        query = {**(params or {}), "page[size]": "-1"}
        try:
            body = self.get(type_, query)
        except RemoteError as exc:
            if exc.status != 400 or "(page[size])" not in exc.api_message:
                raise
            cap = _MAX_PAGE.search(exc.api_message)
            query["page[size]"] = cap.group(1) if cap else "100"
            return self._pages(type_, query)
        data: list[Resource] = list(body.get("data") or [])
        included: list[Resource] = list(body.get("included") or [])
        next_url = (body.get("links") or {}).get("next")
        while next_url:
            body = self.request("GET", str(next_url), idempotent=True)
            data += body.get("data") or []
            included += body.get("included") or []
            next_url = (body.get("links") or {}).get("next")
        return data, included

    def _pages(self, type_: str, query: Mapping[str, str]) -> tuple[list[Resource], list[Resource]]:
        """A capped list: page 1 asks for the total (``X-Include: totalCount``, oro-jsonapi.md
        §3), then the other pages are fetched concurrently, not one after another: 30,000 data
        fields in pages of 1,000 were 30 round trips in a row (docs/performance.md). Without
        the total, ``links.next`` is followed page by page."""
        url = self.url(type_)
        first = self.call("GET", url, idempotent=True, params=query, include="totalCount")
        body = document(first)
        size = int(query["page[size]"])
        total = _int_or_none(first.headers.get("X-Include-Total-Count"))
        bodies = [body]
        if total is not None and size > 0:
            numbers = range(2, -(-total // size) + 1)
            with ThreadPoolExecutor(
                max_workers=_PAGE_WORKERS, thread_name_prefix="oro-page"
            ) as pool:
                bodies += pool.map(
                    lambda n: self.request(
                        "GET", url, idempotent=True, params={**query, "page[number]": str(n)}
                    ),
                    numbers,
                )
        else:
            next_url = (body.get("links") or {}).get("next")
            while next_url:
                body = self.request("GET", str(next_url), idempotent=True)
                bodies.append(body)
                next_url = (body.get("links") or {}).get("next")
        data = [r for b in bodies for r in b.get("data") or []]
        included = [r for b in bodies for r in b.get("included") or []]
        return data, included

    def get(self, path: str, params: Mapping[str, str] | None = None) -> dict[str, Any]:
        return self.request("GET", self.url(path), idempotent=True, params=params)

    def send(
        self,
        method: str,
        path: str,
        doc: Mapping[str, Any] | None = None,
        *,
        params: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        return self.request(
            method, self.url(path), idempotent=method != "POST", doc=doc, params=params
        )

    def url(self, path: str) -> str:
        # Absolute, as httpx would join it to the base URL: given relative, httpx joins it
        # again on every request (a twentieth of an apply's CPU, benchmarks/scale.py).
        return f"{self.base_url}{self.api_base}/{path}"

    def request(
        self,
        method: str,
        url: str,
        *,
        idempotent: bool,
        doc: Mapping[str, Any] | None = None,
        params: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        response = self.call(method, url, idempotent=idempotent, doc=doc, params=params)
        return document(response)

    def call(
        self,
        method: str,
        url: str,
        *,
        idempotent: bool,
        doc: Mapping[str, Any] | None = None,
        params: Mapping[str, str] | None = None,
        allow: tuple[int, ...] = (),
        include: str | None = None,
    ) -> httpx.Response:
        """One JSON:API call with the bearer token; a 401 renews the token and retries once.
        ``include`` is sent as ``X-Include`` (e.g. ``totalCount``)."""
        headers = {"Accept": JSONAPI}
        if include is not None:
            headers["X-Include"] = include
        content = None
        if doc is not None:
            headers["Content-Type"] = JSONAPI
            content = json.dumps(doc).encode("utf-8")
        for renewed in (False, True):
            headers["Authorization"] = f"Bearer {self._bearer(force=renewed)}"
            try:
                response = self._caller.request(
                    method,
                    url,
                    idempotent=idempotent,
                    allow=allow if renewed else (*allow, 401),
                    headers=headers,
                    content=content,
                    params=params,
                )
            except UnsupportedServerError as exc:
                raise unsupported(exc, method, url) from None
            if response.status_code != 401:
                return response
        raise AssertionError("unreachable: the second attempt does not allow 401")

    def _bearer(self, *, force: bool = False) -> str:
        with self._token_lock:
            if force or self._token is None or self._clock() >= self._renew_at:
                self._token = None
                self._fetch_token()
            assert self._token is not None
            return self._token

    def _fetch_token(self) -> None:
        """OAuth2 client credentials (oro-jsonapi.md §2), sent as JSON like Oro's docs."""
        payload = {
            "grant_type": "client_credentials",
            "client_id": self._client_id,
            "client_secret": self._client_secret,
        }
        response = self._caller.request(
            "POST",
            "/oauth2-token",
            idempotent=True,
            json=payload,
            headers={"Accept": "application/json"},
        )
        body = response.json()
        lifetime = float(body.get("expires_in") or 3600)
        self._token = str(body["access_token"])
        self._renew_at = self._clock() + lifetime - min(_RENEW_MARGIN, lifetime / 10)


def _int_or_none(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None
