"""GET /v2/account-info and GET /v2/server-time (dotdigital-api-v2.md §2, §7 items 1-2)."""

from __future__ import annotations

from datetime import UTC, datetime

from reconciler.sandbox.core import Response
from reconciler.sandbox.dotmailer.call import Call


def account_info(call: Call) -> Response:
    account = call.account
    in_last_hour = len(account.call_times)
    per_hour = account.rate_limit.perHour
    endpoint = account.settings.apiEndpoint
    if endpoint is None:
        region_path = "" if account.region == "r1" else f"/{account.region}"
        endpoint = f"{call.request.base_url}{region_path}/"
    properties = [
        ("Name", "String", account.username.split("@")[0]),
        ("MainEmail", "String", f"ops+{account.region}@sandbox.example"),
        ("APILocale", "String", "en-GB"),
        ("ApiCallsInLastHour", "Int", str(in_last_hour)),
        ("ApiCallsRemaining", "Int", str(max(0, per_hour - in_last_hour))),
        ("ApiEndpoint", "String", endpoint),
        ("CurrencyCode", "String", "GBP"),
        ("TimeZoneIana", "String", "Europe/London"),
    ]
    return Response.json(
        200,
        {
            "id": account.account_id,
            "properties": [{"name": n, "type": t, "value": v} for n, t, v in properties],
        },
    )


def server_time(call: Call) -> Response:
    now = datetime.fromtimestamp(call.clock(), tz=UTC)
    return Response.json(200, now.isoformat().replace("+00:00", "Z"))
