"""One authenticated API call as a handler sees it, and the handler's type."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from reconciler.sandbox.core import Request, Response
from reconciler.sandbox.dotmailer.accounts import Account

Clock = Callable[[], float]


@dataclass(frozen=True)
class Call:
    request: Request
    account: Account
    params: dict[str, str]  # the route template's parameters, percent-decoded
    region: str  # the region whose host the request came in on
    clock: Clock  # the app's clock, for answers that tell the time


Handler = Callable[[Call], Response]
