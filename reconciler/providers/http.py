"""The HTTP policy both API clients share: retries, rate limits, and error translation.

Public API (small on purpose; the dotmailer, Oro and GitHub callers are its only users; the
limiter is :mod:`reconciler.providers.limits`)::

    policy = RetryPolicy()  # max_attempts=6, connect_attempts=3, budget=300 s, base_delay=0.5…
    limiter = RateLimiter(clock=time.time, sleep=time.sleep)   # one per account / per Oro instance
    caller = Caller(
        httpx.Client(...),                      # auth, base URL, timeout, TLS: the caller's
        service="dotmailer",                    # first word of every error message
        limiter=limiter,
        policy=policy,
        sleep=time.sleep, clock=time.time, rand=random.Random(),
        message_of=json_message,                # the error text: {message} or Problem Details
        is_rate_limited=lambda response: False, # e.g. dotmailer's flat 400 ERROR_APIUSAGE_EXCEEDED
        classify=lambda response, text: None,   # map an answer to a RemoteError subclass, or None
    )
    response = caller.request("GET", url, idempotent=True, params=..., json=...)
    limiter.stats()  # LimiterStats(calls, waits, waited_seconds, rate_limited)

``request`` returns the response for 2xx (and for any status listed in ``allow``) and raises a
:class:`reconciler.errors.RemoteError` subclass otherwise, naming method, URL (no userinfo),
status and the API's message. It never puts credentials or headers into an error or a log line.

Rules (SPEC §3; dotdigital-api-v2.md §3–§4):

* 5xx, timeouts and broken connections: jittered exponential backoff, up to ``max_attempts``.
* A connection that cannot be made (refused, or the host name does not resolve): up to
  ``connect_attempts`` (a server that is not there now is rarely there 15 s later), and once one
  request of a caller has given up on it, the caller's other requests fail on their first
  refusal instead of queueing their own retries (a refresh sends a dozen at once). The error
  names the host and port, the reason, and the attempts made over how long.
* Every retry of one request fits in ``budget`` seconds (rate-limit waits are not counted):
  a retry that would end past it is not made.
* Each retry wait and each rate-limit wait is told to :func:`reconciler.progress.current`,
  which the CLI shows on a terminal (method, host, reason, attempt).
* 429 (tiered) and whatever ``is_rate_limited`` says (flat): wait as the limiter says, up to
  ``max_rate_limit_waits``; these waits do not use up ``max_attempts``.
* 400/401/403/404 and every other 4xx: never retried. 401/403 -> AuthenticationError,
  404 -> NotFoundError, 409 -> ConflictError, other -> RemoteError (or what ``classify`` says).
* A non-idempotent request whose connection broke after it was sent raises
  OutcomeUnknownError at once: retrying a create blindly could make it twice.
"""

from __future__ import annotations

import functools
import json
import logging
import random
import ssl
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from reconciler.errors import (
    AuthenticationError,
    ConflictError,
    NotFoundError,
    OutcomeUnknownError,
    RateLimitError,
    RemoteError,
)
from reconciler.progress import current
from reconciler.providers.limits import Clock, RateLimiter, Sleep
from reconciler.providers.retry import Budget, connect_reason, host_port

__all__ = [
    "Caller",
    "RetryPolicy",
    "error_text",
    "json_message",
    "safe_url",
    "tls_context",
]

log = logging.getLogger(__name__)

# httpx errors raised after the request (or part of it) may have reached the server.
_AFTER_SEND = (httpx.ReadError, httpx.ReadTimeout, httpx.RemoteProtocolError, httpx.WriteError,
               httpx.WriteTimeout)  # fmt: skip


@dataclass(frozen=True)
class RetryPolicy:
    """Jittered exponential backoff: attempt n (1-based) waits about base*2^(n-1), capped."""

    max_attempts: int = 6
    connect_attempts: int = 3  # refused / DNS failure: the server is not there (module doc)
    # Seconds all the attempts and retry waits of one request may take: with the default
    # 121 s timeout (settings.timeoutSeconds) a hung server gets two attempts, not six.
    budget: float = 300.0
    base_delay: float = 0.5
    max_delay: float = 30.0
    jitter: float = 0.5  # share of each delay that is randomised: [d*(1-jitter), d]
    max_rate_limit_waits: int = 12

    def delay(self, attempt: int, rand: random.Random) -> float:
        raw = min(self.max_delay, self.base_delay * 2.0 ** (attempt - 1))
        return raw * (1.0 - self.jitter * rand.random())


@functools.cache
def tls_context() -> ssl.SSLContext:
    """One verifying TLS context for every client of the process.

    Building one (``httpx.Client()`` does it each time) loads the CA bundle: about 40 ms of CPU
    under the GIL, so 200 dotmailer accounts spent 8 s in it before their first request
    (benchmarks/scale.py). An SSLContext is safe to share across threads and connections.
    """
    return httpx.create_ssl_context()  # verification on, certifi's CA bundle, as httpx does


@functools.lru_cache(maxsize=4096)
def _parsed_url(url: str) -> httpx.URL:
    """``httpx.URL(url)``, parsed once per distinct URL. httpx parses a URL given as a string
    on every request (``Client._merge_url``: ``URL(url)``, then again for the request) and a
    ``URL`` given as one not at all, so passing this is the same request: an apply posts to a
    few URLs per account thousands of times, and the parsing was a seventh of its CPU
    (benchmarks/scale.py). A URL is immutable, so one may be shared by threads."""
    return httpx.URL(url)


def safe_url(url: httpx.URL | str) -> str:
    """The URL without userinfo, for messages and logs."""
    parts = urlsplit(str(url))
    netloc = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def error_text(payload: Any) -> str:
    """The API's own words in a decoded error body, whichever of the two envelopes it uses:
    ``{"message": "... ERROR_CODE"}`` (dotdigital-api-v2.md §3; GitHub's too) or Problem Details
    (RFC 9457, ``application/problem+json``; ``components.schemas.ProblemDetails`` in
    dotdigital-v2-api-swagger.json): its ``detail``, else its ``title``."""
    if not isinstance(payload, dict):
        return ""
    for key in ("message", "detail", "title"):
        value = payload.get(key)
        if isinstance(value, str) and value.strip():
            return value
    return ""


def json_message(response: httpx.Response) -> str:
    """The error text of a JSON answer (:func:`error_text`), or the start of a non-JSON one."""
    try:
        payload: Any = json.loads(response.content.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        return response.text.strip()[:200]
    return error_text(payload)


class Caller:
    """Sends requests through one ``httpx.Client`` under a :class:`RetryPolicy` and a limiter."""

    def __init__(
        self,
        client: httpx.Client,
        *,
        service: str,
        limiter: RateLimiter | None = None,
        policy: RetryPolicy | None = None,
        sleep: Sleep = time.sleep,
        clock: Clock = time.time,
        rand: random.Random | None = None,
        message_of: Callable[[httpx.Response], str] = json_message,
        is_rate_limited: Callable[[httpx.Response], bool] | None = None,
        classify: Callable[[httpx.Response, str], type[RemoteError] | None] | None = None,
    ) -> None:
        self.client = client
        self.service = service
        self.limiter = limiter or RateLimiter(
            clock=clock, sleep=sleep, name=client.base_url.host or service
        )
        self.policy = policy or RetryPolicy()
        self._sleep = sleep
        self._clock = clock
        self._rand = rand or random.Random()
        self._message_of = message_of
        self._is_rate_limited = is_rate_limited
        self._classify = classify
        # What was tried when a request gave up because no connection could be made; cleared
        # by any answer. While set, a refused connection is not retried (module doc), and the
        # error says what the request that gave up tried.
        self._unreachable: str | None = None

    def request(
        self,
        method: str,
        url: str,
        *,
        idempotent: bool,
        allow: Collection[int] = (),
        **kwargs: Any,
    ) -> httpx.Response:
        """Send, retrying what is safe to retry; return a 2xx (or allowed) answer or raise."""
        attempt = 0
        limited = 0
        # The URL for messages (no userinfo) is worked out only when one needs it: parsing and
        # joining it for every request was a sixth of an apply's CPU (benchmarks/scale.py).
        where = ""
        budget = Budget(self._clock, self.policy.budget)
        while True:
            budget.pause()
            self.limiter.before_call()
            budget.resume()
            try:
                response = self.client.request(method, _parsed_url(url), **kwargs)
            except httpx.HTTPError as exc:
                if _has_request(exc):
                    where = safe_url(exc.request.url)
                elif not where:
                    where = safe_url(self.client.base_url.join(url))
                attempt += 1
                self._on_transport_error(exc, method, where, idempotent, attempt, budget)
                continue
            self._unreachable = None
            status = response.status_code
            if status == 429 or (self._is_rate_limited and self._is_rate_limited(response)):
                where = safe_url(response.request.url)
                limited += 1
                if limited > self.policy.max_rate_limit_waits:
                    raise RateLimitError(
                        f"{self.service}: rate limit still exhausted after {limited - 1} waits",
                        method=method,
                        url=where,
                        status=status,
                        api_message=self._message_of(response),
                    )
                budget.pause()
                if status == 429:
                    self.limiter.on_too_many_requests(response.headers)
                else:
                    self.limiter.on_flat_exceeded()
                budget.resume()
                continue
            self.limiter.observe(response.headers)
            if 200 <= status < 300 or status in allow:
                return response
            where = safe_url(response.request.url)
            if status >= 500:
                attempt += 1
                if attempt < self.policy.max_attempts and self._backoff(
                    method, where, f"HTTP {status}", attempt, self.policy.max_attempts, budget
                ):
                    continue
            raise self._error(response, method, where, attempts=attempt)

    def _on_transport_error(
        self,
        exc: httpx.HTTPError,
        method: str,
        where: str,
        idempotent: bool,
        attempt: int,
        budget: Budget,
    ) -> None:
        """Decide whether a transport error is retried (return) or raised."""
        if isinstance(exc, httpx.ConnectError):
            self._on_connect_error(exc, method, where, attempt, budget)
            return
        reason = _describe(exc)
        if not idempotent and isinstance(exc, _AFTER_SEND):
            raise OutcomeUnknownError(
                f"{self.service}: the connection broke after the request was sent ({reason}); "
                "it may or may not have taken effect",
                method=method,
                url=where,
            ) from None
        retryable = isinstance(exc, httpx.TransportError)
        if (
            retryable
            and attempt < self.policy.max_attempts
            and self._backoff(method, where, reason, attempt, self.policy.max_attempts, budget)
        ):
            return
        tail = f" after {attempt} attempts" if attempt > 1 else ""
        if retryable and attempt < self.policy.max_attempts:  # the budget stopped it
            tail += f" over {budget.spent():.1f} s (retry budget {self.policy.budget:g} s)"
        raise RemoteError(
            f"{self.service}: request failed{tail} ({reason})", method=method, url=where
        ) from None

    def _on_connect_error(
        self, exc: httpx.ConnectError, method: str, where: str, attempt: int, budget: Budget
    ) -> None:
        """No connection could be made: nothing was sent, so any request may be retried, but
        only ``connect_attempts`` times, and not at all once the host is known unreachable."""
        reason = connect_reason(exc)
        limit = min(self.policy.max_attempts, self.policy.connect_attempts)
        if (
            self._unreachable is None
            and attempt < limit
            and self._backoff(method, where, reason, attempt, limit, budget)
        ):
            return
        if self._unreachable is None:
            attempts = "1 attempt" if attempt == 1 else f"{attempt} attempts"
            self._unreachable = f"{reason}; {attempts} over {budget.spent():.1f} s"
        raise RemoteError(
            f"{self.service}: cannot connect to {host_port(where)} ({self._unreachable})",
            method=method,
            url=where,
        ) from None

    def _backoff(
        self, method: str, where: str, reason: str, attempt: int, limit: int, budget: Budget
    ) -> bool:
        """Wait before attempt ``attempt + 1`` of ``limit``; False when the budget has no room."""
        delay = self.policy.delay(attempt, self._rand)
        if not budget.allows(delay):
            return False
        log.debug("%s %s: %s; retry %d in %.2f s", method, where, reason, attempt, delay)
        current().waiting(
            delay,
            f"to retry {method} {host_port(where)} ({reason}; attempt {attempt + 1} of {limit})",
        )
        self._sleep(delay)
        return True

    def _error(
        self, response: httpx.Response, method: str, where: str, attempts: int
    ) -> RemoteError:
        status = response.status_code
        text = self._message_of(response)
        cls: type[RemoteError] | None = self._classify(response, text) if self._classify else None
        if cls is None:
            cls = _CLASS_BY_STATUS.get(status, RemoteError)
        summary = _SUMMARY_BY_STATUS.get(status, "request failed")
        if status >= 500 and attempts > 1:
            summary = f"{summary} after {attempts} attempts"
        return cls(f"{self.service}: {summary}", method=method, url=where, status=status,
                   api_message=text)  # fmt: skip


_CLASS_BY_STATUS: dict[int, type[RemoteError]] = {
    401: AuthenticationError,
    403: AuthenticationError,
    404: NotFoundError,
    409: ConflictError,
}
_SUMMARY_BY_STATUS: dict[int, str] = {
    401: "credentials refused",
    403: "access denied",
    404: "not found",
    409: "conflict",
}


def _has_request(exc: httpx.HTTPError) -> bool:
    try:
        exc.request  # noqa: B018 - the property raises when no request is attached
    except RuntimeError:
        return False
    return True


def _describe(exc: httpx.HTTPError) -> str:
    if isinstance(exc, httpx.TimeoutException):
        return f"timed out ({type(exc).__name__})"
    if isinstance(exc, httpx.RemoteProtocolError):
        return "server closed the connection without an answer"
    if isinstance(exc, httpx.ConnectError):
        return "cannot connect"
    return type(exc).__name__
