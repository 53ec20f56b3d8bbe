"""The HTTP policy both API clients share: retries, rate limits, and error translation.

Public API (small on purpose; the dotmailer and Oro clients are its only users)::

    policy = RetryPolicy()  # max_attempts=6, base_delay=0.5, max_delay=30, jitter=0.5
    limiter = RateLimiter(clock=time.time, sleep=time.sleep)   # one per account / per Oro instance
    caller = Caller(
        httpx.Client(...),                      # auth, base URL, timeout, TLS: the caller's
        service="dotmailer",                    # first word of every error message
        limiter=limiter,
        policy=policy,
        sleep=time.sleep, clock=time.time, rand=random.Random(),
        message_of=json_message,                # how to read the API's own error text
        is_rate_limited=lambda response: False, # e.g. dotmailer's flat 400 ERROR_APIUSAGE_EXCEEDED
        classify=lambda response, text: None,   # map an answer to a RemoteError subclass, or None
    )
    response = caller.request("GET", url, idempotent=True, params=..., json=...)
    limiter.stats()  # LimiterStats(calls, waits, waited_seconds, rate_limited)

``request`` returns the response for 2xx (and for any status listed in ``allow``) and raises a
:class:`reconciler.errors.RemoteError` subclass otherwise, naming method, URL (no userinfo),
status and the API's message. It never puts credentials or headers into an error or a log line.

Rules (SPEC §3; dotdigital-api-v2.md §3–§4):

* 5xx, timeouts and connection errors: jittered exponential backoff, up to ``max_attempts``.
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
import threading
import time
from collections.abc import Callable, Collection, Mapping
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

__all__ = [
    "Caller",
    "LimiterStats",
    "RateLimiter",
    "RetryPolicy",
    "json_message",
    "safe_url",
    "tls_context",
]

log = logging.getLogger(__name__)

Sleep = Callable[[float], None]
Clock = Callable[[], float]

# dotdigital-api-v2.md §4: X-RateLimit-Reset above 10^9 is an epoch, anything smaller a delta.
_EPOCH_THRESHOLD = 1_000_000_000

# httpx errors raised after the request (or part of it) may have reached the server.
_AFTER_SEND = (httpx.ReadError, httpx.ReadTimeout, httpx.RemoteProtocolError, httpx.WriteError,
               httpx.WriteTimeout)  # fmt: skip


@dataclass(frozen=True)
class RetryPolicy:
    """Jittered exponential backoff: attempt n (1-based) waits about base*2^(n-1), capped."""

    max_attempts: int = 6
    base_delay: float = 0.5
    max_delay: float = 30.0
    jitter: float = 0.5  # share of each delay that is randomised: [d*(1-jitter), d]
    max_rate_limit_waits: int = 12

    def delay(self, attempt: int, rand: random.Random) -> float:
        raw = min(self.max_delay, self.base_delay * 2.0 ** (attempt - 1))
        return raw * (1.0 - self.jitter * rand.random())


@dataclass(frozen=True)
class LimiterStats:
    """Counters for benchmarks: calls sent, waits made, seconds waited, rate-limited answers."""

    calls: int = 0
    waits: int = 0
    waited_seconds: float = 0.0
    rate_limited: int = 0


class RateLimiter:
    """One per account. Thread-safe: the engine calls integrations concurrently.

    Tiered scheme: remembers ``X-RateLimit-Remaining``/``Reset`` from every answer and, when
    nothing remains, waits for the reset before the next call; a 429 waits for the reset too.
    Flat scheme: the hourly budget gives no headers, so an overrun backs off exponentially from
    ``flat_backoff`` up to ``flat_max_backoff`` seconds, resetting after the next success.
    """

    def __init__(
        self,
        *,
        clock: Clock = time.time,
        sleep: Sleep = time.sleep,
        reset_margin: float = 0.25,
        default_wait: float = 60.0,
        flat_backoff: float = 60.0,
        flat_max_backoff: float = 900.0,
    ) -> None:
        self._clock = clock
        self._sleep = sleep
        self._reset_margin = reset_margin
        self._default_wait = default_wait
        self._flat_backoff = flat_backoff
        self._flat_max_backoff = flat_max_backoff
        self._lock = threading.Lock()
        self._remaining: int | None = None
        self._reset_at: float | None = None
        self._flat_streak = 0
        self._stats = LimiterStats()

    def stats(self) -> LimiterStats:
        with self._lock:
            return self._stats

    def before_call(self) -> None:
        """Count the call; wait first if the last answer said the budget is spent."""
        with self._lock:
            wait = 0.0
            if self._remaining is not None and self._remaining <= 0 and self._reset_at:
                wait = max(0.0, self._reset_at - self._clock())
                # Whoever waits for this reset owns it; the others see a fresh budget.
                self._remaining = None
                self._reset_at = None
            self._stats = _add(self._stats, calls=1)
        if wait > 0:
            self._wait(wait)

    def observe(self, headers: Mapping[str, str]) -> None:
        """Read the tiered headers of an answer (httpx.Headers match names case-insensitively)."""
        remaining = _int_header(headers, "x-ratelimit-remaining")
        reset_at = self._reset_at_from(headers)
        with self._lock:
            self._flat_streak = 0
            if remaining is not None:
                self._remaining = remaining
                self._reset_at = reset_at
            elif reset_at is not None:
                self._reset_at = reset_at

    def on_too_many_requests(self, headers: Mapping[str, str]) -> None:
        """429: wait until X-RateLimit-Reset (or ``default_wait`` without one)."""
        reset_at = self._reset_at_from(headers)
        with self._lock:
            self._stats = _add(self._stats, rate_limited=1)
            self._remaining = None
            self._reset_at = None
        now = self._clock()
        wait = self._default_wait if reset_at is None else max(0.0, reset_at - now)
        self._wait(wait)

    def on_flat_exceeded(self) -> None:
        """Flat scheme overrun (400 ERROR_APIUSAGE_EXCEEDED): exponential backoff."""
        with self._lock:
            self._stats = _add(self._stats, rate_limited=1)
            wait = min(self._flat_max_backoff, self._flat_backoff * (2**self._flat_streak))
            self._flat_streak += 1
        self._wait(wait)

    def _reset_at_from(self, headers: Mapping[str, str]) -> float | None:
        reset = _float_header(headers, "x-ratelimit-reset")
        if reset is None:
            return None
        base = reset if reset > _EPOCH_THRESHOLD else self._clock() + reset
        return base + self._reset_margin

    def _wait(self, seconds: float) -> None:
        with self._lock:
            self._stats = _add(self._stats, waits=1, waited_seconds=seconds)
        log.debug("rate limit: waiting %.2f s", seconds)
        self._sleep(seconds)


def _add(stats: LimiterStats, **delta: float) -> LimiterStats:
    return LimiterStats(
        calls=stats.calls + int(delta.get("calls", 0)),
        waits=stats.waits + int(delta.get("waits", 0)),
        waited_seconds=stats.waited_seconds + float(delta.get("waited_seconds", 0.0)),
        rate_limited=stats.rate_limited + int(delta.get("rate_limited", 0)),
    )


def _header(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is None:  # a plain dict: match the name case-insensitively
        lowered = name.lower()
        value = next((v for k, v in headers.items() if k.lower() == lowered), None)
    return value


def _float_header(headers: Mapping[str, str], name: str) -> float | None:
    value = _header(headers, name)
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def _int_header(headers: Mapping[str, str], name: str) -> int | None:
    number = _float_header(headers, name)
    return int(number) if number is not None else None


@functools.cache
def tls_context() -> ssl.SSLContext:
    """One verifying TLS context for every client of the process.

    Building one (``httpx.Client()`` does it each time) loads the CA bundle: about 40 ms of CPU
    under the GIL, so 200 dotmailer accounts spent 8 s in it before their first request
    (benchmarks/scale.py). An SSLContext is safe to share across threads and connections.
    """
    return httpx.create_ssl_context()  # verification on, certifi's CA bundle, as httpx does


def safe_url(url: httpx.URL | str) -> str:
    """The URL without userinfo, for messages and logs."""
    parts = urlsplit(str(url))
    netloc = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def json_message(response: httpx.Response) -> str:
    """dotmailer's error envelope: ``{"message": "... ERROR_CODE"}`` (dotdigital-api-v2.md §3)."""
    try:
        payload: Any = json.loads(response.content.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        return response.text.strip()[:200]
    if isinstance(payload, dict) and isinstance(payload.get("message"), str):
        return str(payload["message"])
    return ""


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
        self.limiter = limiter or RateLimiter(clock=clock, sleep=sleep)
        self.policy = policy or RetryPolicy()
        self._sleep = sleep
        self._clock = clock
        self._rand = rand or random.Random()
        self._message_of = message_of
        self._is_rate_limited = is_rate_limited
        self._classify = classify

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
        where = safe_url(self.client.base_url.join(url))
        while True:
            self.limiter.before_call()
            try:
                response = self.client.request(method, url, **kwargs)
            except httpx.HTTPError as exc:
                where = safe_url(exc.request.url) if _has_request(exc) else where
                attempt += 1
                self._on_transport_error(exc, method, where, idempotent, attempt)
                continue
            where = safe_url(response.request.url)
            status = response.status_code
            if status == 429 or (self._is_rate_limited and self._is_rate_limited(response)):
                limited += 1
                if limited > self.policy.max_rate_limit_waits:
                    raise RateLimitError(
                        f"{self.service}: rate limit still exhausted after {limited - 1} waits",
                        method=method,
                        url=where,
                        status=status,
                        api_message=self._message_of(response),
                    )
                if status == 429:
                    self.limiter.on_too_many_requests(response.headers)
                else:
                    self.limiter.on_flat_exceeded()
                continue
            self.limiter.observe(response.headers)
            if 200 <= status < 300 or status in allow:
                return response
            if status >= 500:
                attempt += 1
                if attempt < self.policy.max_attempts:
                    self._backoff(method, where, f"HTTP {status}", attempt)
                    continue
            raise self._error(response, method, where, attempts=attempt)

    def _on_transport_error(
        self, exc: httpx.HTTPError, method: str, where: str, idempotent: bool, attempt: int
    ) -> None:
        """Decide whether a transport error is retried (return) or raised."""
        reason = _describe(exc)
        if not idempotent and isinstance(exc, _AFTER_SEND):
            raise OutcomeUnknownError(
                f"{self.service}: the connection broke after the request was sent ({reason}); "
                "it may or may not have taken effect",
                method=method,
                url=where,
            ) from None
        if isinstance(exc, httpx.TransportError) and attempt < self.policy.max_attempts:
            self._backoff(method, where, reason, attempt)
            return
        tail = f" after {attempt} attempts" if attempt > 1 else ""
        raise RemoteError(
            f"{self.service}: request failed{tail} ({reason})", method=method, url=where
        ) from None

    def _backoff(self, method: str, where: str, reason: str, attempt: int) -> None:
        delay = self.policy.delay(attempt, self._rand)
        log.debug("%s %s: %s; retry %d in %.2f s", method, where, reason, attempt, delay)
        self._sleep(delay)

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
