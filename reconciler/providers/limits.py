"""The rate limiter each account (and each Oro instance) shares across its concurrent calls.

:class:`reconciler.providers.http.Caller` asks it before every call and tells it every answer::

    limiter = RateLimiter(clock=time.time, sleep=time.sleep)   # one per account / per Oro instance
    limiter.before_call()                # waits first when the last answer spent the budget
    limiter.observe(response.headers)    # X-RateLimit-Remaining / X-RateLimit-Reset
    limiter.on_too_many_requests(headers)  # 429: wait for the reset
    limiter.on_flat_exceeded()           # dotmailer's flat 400 ERROR_APIUSAGE_EXCEEDED
    limiter.stats()  # LimiterStats(calls, waits, waited_seconds, rate_limited)

The two schemes are dotdigital-api-v2.md §4 (tiered headers and the flat hourly budget).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from reconciler.progress import current

__all__ = ["Clock", "LimiterStats", "RateLimiter", "Sleep"]

log = logging.getLogger(__name__)

Sleep = Callable[[float], None]
Clock = Callable[[], float]

# dotdigital-api-v2.md §4: X-RateLimit-Reset above 10^9 is an epoch, anything smaller a delta.
_EPOCH_THRESHOLD = 1_000_000_000


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
        name: str = "",
    ) -> None:
        self.name = name  # whose budget: a wait says "waiting 12 s for NAME's rate limit"
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
        current().waiting(
            seconds, f"for {self.name}'s rate limit" if self.name else "for a rate limit"
        )
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
