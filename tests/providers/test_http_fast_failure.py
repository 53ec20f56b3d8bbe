"""Fast, honest failure (issue 13 item 2): a connection that cannot be made is retried a few
times only, names the host, the reason and what was tried; every retry fits in a time budget;
each wait is told to the progress observer. Real sockets on loopback, an injected clock."""

from __future__ import annotations

import random
import socket
from dataclasses import dataclass, field

import httpx
import pytest
from fakeclock import FakeClock

from reconciler.errors import RemoteError
from reconciler.progress import NullObserver, observing
from reconciler.providers.http import Caller, RetryPolicy
from reconciler.providers.limits import RateLimiter
from reconciler.providers.retry import connect_reason
from reconciler.sandbox.core import Faults, Request, Response, SandboxServer


@dataclass
class Recorder(NullObserver):
    """An observer that keeps the waits it was told of."""

    waits: list[tuple[float, str]] = field(default_factory=list)

    def waiting(self, seconds: float, why: str) -> None:
        self.waits.append((seconds, why))


def closed_port() -> int:
    """A loopback port nothing listens on: bound, then closed."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def delays(count: int, seed: int) -> list[float]:
    rand = random.Random(seed)
    return [RetryPolicy().delay(n, rand) for n in range(1, count + 1)]


def caller_for(base_url: str, clock: FakeClock, **policy: float) -> tuple[Caller, httpx.Client]:
    client = httpx.Client(base_url=base_url, timeout=5.0)
    caller = Caller(
        client,
        service="oro",
        sleep=clock.sleep,
        clock=clock.time,
        rand=random.Random(3),
        policy=RetryPolicy(**policy),  # type: ignore[arg-type]
    )
    return caller, client


def test_refused_connection_is_tried_three_times_and_names_the_host() -> None:
    clock, seen = FakeClock(), Recorder()
    port = closed_port()
    caller, client = caller_for(f"http://127.0.0.1:{port}", clock)
    with client, observing(seen), pytest.raises(RemoteError) as info:
        caller.request("POST", "/oauth2-token", idempotent=False, data={"a": "b"})
    waited = delays(2, 3)
    assert clock.slept == waited
    assert str(info.value) == (
        f"oro: cannot connect to 127.0.0.1:{port} (connection refused; 3 attempts over "
        f"{sum(waited):.1f} s): POST http://127.0.0.1:{port}/oauth2-token"
    )
    assert seen.waits == [
        (waited[0], f"to retry POST 127.0.0.1:{port} (connection refused; attempt 2 of 3)"),
        (waited[1], f"to retry POST 127.0.0.1:{port} (connection refused; attempt 3 of 3)"),
    ]


def test_once_a_host_is_unreachable_other_requests_are_not_retried() -> None:
    clock = FakeClock()
    port = closed_port()
    caller, client = caller_for(f"http://127.0.0.1:{port}", clock)
    with client:
        with pytest.raises(RemoteError):
            caller.request("GET", "/admin/api/users", idempotent=True)
        slept = list(clock.slept)
        with pytest.raises(RemoteError) as info:
            caller.request("GET", "/admin/api/organizations", idempotent=True)
    assert clock.slept == slept  # no wait for the second, which says what the first tried
    assert str(info.value) == (
        f"oro: cannot connect to 127.0.0.1:{port} (connection refused; 3 attempts over "
        f"{sum(slept):.1f} s): GET http://127.0.0.1:{port}/admin/api/organizations"
    )


def test_an_answer_clears_the_unreachable_mark() -> None:
    clock = FakeClock()

    class Ok:
        prefixes = ("/",)

        def handle(self, request: Request) -> Response:
            return Response.json(200, {"ok": True})

    port = closed_port()
    caller, client = caller_for(f"http://127.0.0.1:{port}", clock)
    server = SandboxServer([Ok()]).start()
    try:
        with client:
            with pytest.raises(RemoteError):
                caller.request("GET", "/a", idempotent=True)
            assert caller.request("GET", f"{server.url}/b", idempotent=True).json() == {"ok": True}
            clock.slept.clear()
            with pytest.raises(RemoteError):
                caller.request("GET", "/c", idempotent=True)
    finally:
        server.stop()
    rand = random.Random(3)
    rand.random(), rand.random()  # the two waits of the first request
    policy = RetryPolicy()
    assert clock.slept == [policy.delay(1, rand), policy.delay(2, rand)]  # retried again


def test_unresolvable_host_names_the_dns_failure() -> None:
    # RFC 6761: .invalid never resolves.
    clock = FakeClock()
    caller, client = caller_for("http://oro.example.invalid", clock)
    with client, pytest.raises(RemoteError) as info:
        caller.request("GET", "/admin/api/users", idempotent=True)
    message = str(info.value)
    assert message.startswith("oro: cannot connect to oro.example.invalid:80 (host name not ")
    assert message.endswith(
        f"; 3 attempts over {sum(delays(2, 3)):.1f} s): GET http://oro.example.invalid/admin/api/users"
    )
    assert len(clock.slept) == 2


class Unavailable:
    """Answers 503 to everything; the fake clock moves 10 s per request (a slow server)."""

    prefixes = ("/",)

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.seen = 0

    def handle(self, request: Request) -> Response:
        self.seen += 1
        self.clock.now += 10.0
        return Response.json(503, {"message": "down"})


def test_5xx_retries_stop_at_the_budget() -> None:
    clock = FakeClock()
    app = Unavailable(clock)
    server = SandboxServer([app]).start()
    caller, client = caller_for(server.url, clock, budget=25.0)
    try:
        with client, pytest.raises(RemoteError) as info:
            caller.request("GET", "/v2/data-fields", idempotent=True)
    finally:
        server.stop()
    # 10 s, a wait, 10 s and a wait fit 25 s; after the third 10 s no wait does (max_attempts
    # alone would allow 6).
    assert app.seen == 3
    assert str(info.value) == (
        f"oro: request failed after 3 attempts: GET {server.url}/v2/data-fields: HTTP 503: down"
    )


def test_rate_limit_waits_do_not_count_against_the_budget_and_name_the_account() -> None:
    clock, seen = FakeClock(), Recorder()

    class LimitedOnce:
        prefixes = ("/",)

        def __init__(self) -> None:
            self.calls = 0

        def handle(self, request: Request) -> Response:
            self.calls += 1
            if self.calls <= 2:  # dotdigital-api-v2.md §4: 429 with X-RateLimit-Reset (delta)
                response = Response.json(429, {"message": "Too many"})
                response.headers["X-RateLimit-Reset"] = "40"
                return response
            return Response.json(200, {"ok": True})

    server = SandboxServer([LimitedOnce()]).start()
    client = httpx.Client(base_url=server.url, timeout=5.0)
    limiter = RateLimiter(clock=clock.time, sleep=clock.sleep, name="apiuser-emea@…")
    caller = Caller(
        client,
        service="dotmailer",
        limiter=limiter,
        sleep=clock.sleep,
        clock=clock.time,
        policy=RetryPolicy(budget=5.0),
    )
    try:
        with client, observing(seen):
            assert caller.request("GET", "/v2/account-info", idempotent=True).json() == {"ok": True}
    finally:
        server.stop()
    assert seen.waits == [
        (40.25, "for apiuser-emea@…'s rate limit"),
        (40.25, "for apiuser-emea@…'s rate limit"),
    ]


def test_timeouts_are_still_retried_up_to_max_attempts() -> None:
    clock = FakeClock()

    class Ok:
        prefixes = ("/",)

        def __init__(self) -> None:
            self.seen = 0

        def handle(self, request: Request) -> Response:
            self.seen += 1
            return Response.json(200, {"ok": True})

    app = Ok()
    server = SandboxServer([app], faults=Faults(timeout_rate=1.0, timeout_seconds=0.5)).start()
    client = httpx.Client(base_url=server.url, timeout=0.2)
    caller = Caller(client, service="oro", sleep=clock.sleep, clock=clock.time,
                    rand=random.Random(3))  # fmt: skip
    try:
        with client, pytest.raises(RemoteError) as info:
            caller.request("GET", "/admin/api/users", idempotent=True)
    finally:
        server.stop()
    assert clock.slept == delays(5, 3)
    assert str(info.value) == (
        f"oro: request failed after 6 attempts (timed out (ReadTimeout)): "
        f"GET {server.url}/admin/api/users"
    )


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (httpx.ConnectError("[Errno 111] Connection refused"), "connection refused"),
        (
            httpx.ConnectError("[Errno -2] Name or service not known"),
            "host name not resolved: Name or service not known",
        ),
        (httpx.ConnectError("something else"), "cannot connect"),
    ],
)
def test_the_reason_of_an_error_that_kept_only_its_text(
    error: httpx.ConnectError, reason: str
) -> None:
    assert connect_reason(error) == reason
