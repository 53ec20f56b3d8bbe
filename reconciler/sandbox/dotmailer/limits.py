"""The two rate-limit schemes of dotdigital-api-v2.md §4, per account, on an injected clock.

*Flat*: a rolling count of calls in the last hour; over ``perHour`` the API answers 400
ERROR_APIUSAGE_EXCEEDED. *Tiered*: a fixed window of ``windowSeconds`` (60 on real accounts)
admitting ``perMinute`` calls, answered with ``X-RateLimit-*`` headers, and 429 over the limit.
Mode ``off`` only counts calls, for the hourly figures of account-info.
"""

from __future__ import annotations

from reconciler.sandbox.core import Response
from reconciler.sandbox.dotmailer.accounts import Account
from reconciler.sandbox.dotmailer.messages import MSG_USAGE_EXCEEDED, error


def rate_limit(account: Account, now: float) -> tuple[Response | None, dict[str, str]]:
    """dotdigital-api-v2.md §4: tiered per-minute windows, or a flat rolling hourly budget.

    Answers the refusal (``None`` when the call is admitted) and the headers for the answer.
    """
    hour_ago = now - 3600.0
    while account.call_times and account.call_times[0] <= hour_ago:
        account.call_times.popleft()
    if account.rate_limit.mode == "flat":
        return _flat(account, now), {}
    if account.rate_limit.mode == "off":
        account.call_times.append(now)
        return None, {}
    return _tiered(account, now)


def _flat(account: Account, now: float) -> Response | None:
    if len(account.call_times) >= account.rate_limit.perHour:
        return error(400, MSG_USAGE_EXCEEDED)
    account.call_times.append(now)
    return None


def _tiered(account: Account, now: float) -> tuple[Response | None, dict[str, str]]:
    limits = account.rate_limit
    size = limits.windowSeconds
    window = float(int(now // size) * size)
    if window != account.window_start:
        account.window_start, account.window_count = window, 0
    reset = str(int(window + size))  # an epoch (AE); the client also accepts a delta
    headers = {
        "X-RateLimit-Limit": str(limits.perMinute),
        "X-RateLimit-Reset": reset,
        "X-RateLimit-Scope": limits.scope,
    }
    if account.window_count >= limits.perMinute:
        headers["X-RateLimit-Remaining"] = "0"
        return error(429, "Too many requests. ERROR_APIUSAGE_EXCEEDED"), headers
    account.window_count += 1
    account.window_log[window] += 1
    account.call_times.append(now)
    headers["X-RateLimit-Remaining"] = str(limits.perMinute - account.window_count)
    return None, headers
