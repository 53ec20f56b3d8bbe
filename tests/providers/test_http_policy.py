"""The shared HTTP policy over real HTTP on loopback: retries, limits, error translation."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator

import httpx
import pytest
from fakeclock import EPOCH, FakeClock

from reconciler.errors import (
    AuthenticationError,
    ConflictError,
    NotFoundError,
    OutcomeUnknownError,
    RateLimitError,
    RemoteError,
)
from reconciler.providers.http import Caller, RetryPolicy, json_message, safe_url
from reconciler.providers.limits import LimiterStats, RateLimiter
from reconciler.sandbox.core import Faults, Request, Response, SandboxServer


class Scripted:
    """An app that answers from a script, one response per request, and records requests."""

    prefixes = ("/",)

    def __init__(self, script: list[Callable[[], Response]]) -> None:
        self.script = list(script)
        self.seen: list[tuple[str, str]] = []

    def handle(self, request: Request) -> Response:
        self.seen.append((request.method, request.path))
        return self.script.pop(0)() if self.script else Response.json(200, {"ok": True})


def ok() -> Response:
    return Response.json(200, {"ok": True})


def status(
    code: int, message: str = "nope", headers: dict[str, str] | None = None
) -> Callable[[], Response]:
    def make() -> Response:
        response = Response.json(code, {"message": message})
        response.headers.update(headers or {})
        return response

    return make


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def serve(app: Scripted, faults: Faults | None = None) -> SandboxServer:
    return SandboxServer([app], faults=faults).start()


@pytest.fixture
def make_caller(
    clock: FakeClock,
) -> Iterator[Callable[..., tuple[Caller, Scripted, SandboxServer]]]:
    servers: list[SandboxServer] = []
    clients: list[httpx.Client] = []

    def make(
        script: list[Callable[[], Response]], faults: Faults | None = None, **kwargs: object
    ) -> tuple[Caller, Scripted, SandboxServer]:
        app = Scripted(script)
        server = serve(app, faults)
        servers.append(server)
        client = httpx.Client(base_url=server.url, timeout=5.0)
        clients.append(client)
        limiter = RateLimiter(clock=clock.time, sleep=clock.sleep)
        caller = Caller(
            client,
            service="dotmailer",
            limiter=limiter,
            sleep=clock.sleep,
            clock=clock.time,
            rand=random.Random(7),
            **kwargs,  # type: ignore[arg-type]
        )
        return caller, app, server

    yield make
    for client in clients:
        client.close()
    for server in servers:
        server.stop()


def expected_delays(count: int, seed: int = 7) -> list[float]:
    rand = random.Random(seed)
    return [RetryPolicy().delay(n, rand) for n in range(1, count + 1)]


def test_5xx_is_retried_with_jittered_backoff(
    make_caller: Callable[..., tuple[Caller, Scripted, SandboxServer]], clock: FakeClock
) -> None:
    caller, app, _ = make_caller([status(503), status(500), ok])
    response = caller.request("POST", "/v2/data-fields", idempotent=False, json={})
    assert response.json() == {"ok": True}
    assert len(app.seen) == 3
    assert clock.slept == expected_delays(2)
    assert 0.25 <= clock.slept[0] <= 0.5 and 0.5 <= clock.slept[1] <= 1.0


def test_5xx_gives_up_after_max_attempts(
    make_caller: Callable[..., tuple[Caller, Scripted, SandboxServer]],
) -> None:
    caller, app, server = make_caller([status(503, "down")] * 6)
    with pytest.raises(RemoteError) as info:
        caller.request("GET", "/v2/data-fields", idempotent=True)
    assert str(info.value) == (
        "dotmailer: request failed after 6 attempts: "
        f"GET {server.url}/v2/data-fields: HTTP 503: down"
    )
    assert len(app.seen) == 6


@pytest.mark.parametrize(
    ("code", "error", "summary"),
    [
        (401, AuthenticationError, "credentials refused"),
        (403, AuthenticationError, "access denied"),
        (404, NotFoundError, "not found"),
        (400, RemoteError, "request failed"),
    ],
)
def test_client_errors_are_never_retried(
    make_caller: Callable[..., tuple[Caller, Scripted, SandboxServer]],
    clock: FakeClock,
    code: int,
    error: type[RemoteError],
    summary: str,
) -> None:
    caller, app, server = make_caller(
        [status(code, "Authorization has been denied for this request.")]
    )
    with pytest.raises(RemoteError) as info:
        caller.request("GET", "/v2/account-info", idempotent=True)
    assert type(info.value) is error
    assert str(info.value) == (
        f"dotmailer: {summary}: GET {server.url}/v2/account-info: HTTP {code}: "
        "Authorization has been denied for this request."
    )
    assert (info.value.status, info.value.method) == (code, "GET")
    assert app.seen == [("GET", "/v2/account-info")]
    assert clock.slept == []


@pytest.mark.parametrize(
    ("body", "content_type", "text"),
    [
        ({"message": "Field already exists. ERROR_NON_UNIQUE_DATAFIELD"}, "application/json",
         "Field already exists. ERROR_NON_UNIQUE_DATAFIELD"),
        # RFC 9457 Problem Details (SW components.schemas.ProblemDetails): detail, else title.
        ({"type": "about:blank", "title": "Bad Request", "status": 400,
          "detail": "Field already exists. ERROR_NON_UNIQUE_DATAFIELD"},
         "application/problem+json", "Field already exists. ERROR_NON_UNIQUE_DATAFIELD"),
        ({"title": "Bad Request", "status": 400}, "application/problem+json", "Bad Request"),
        ({"title": "Bad Request", "detail": ""}, "application/json", "Bad Request"),
        ({"status": 400}, "application/problem+json", ""),
        (["not", "an", "object"], "application/json", ""),
    ],
)  # fmt: skip
def test_problem_details_are_read_like_message_errors(
    make_caller: Callable[..., tuple[Caller, Scripted, SandboxServer]],
    body: object,
    content_type: str,
    text: str,
) -> None:
    caller, _, server = make_caller(
        [lambda: Response.json(400, body, content_type=content_type)],
        classify=lambda response, text: (
            ConflictError if text.endswith("ERROR_NON_UNIQUE_DATAFIELD") else None
        ),
    )
    with pytest.raises(RemoteError) as info:
        caller.request("POST", "/v2/data-fields", idempotent=False, json={})
    assert info.value.api_message == text
    assert type(info.value) is (ConflictError if text.endswith("DATAFIELD") else RemoteError)
    tail = f": {text}" if text else ""
    assert str(info.value) == (
        f"dotmailer: request failed: POST {server.url}/v2/data-fields: HTTP 400{tail}"
    )


def test_allowed_status_is_returned(
    make_caller: Callable[..., tuple[Caller, Scripted, SandboxServer]],
) -> None:
    caller, _, _ = make_caller([status(409, "in use")])
    response = caller.request("DELETE", "/v2/data-fields/X", idempotent=True, allow=(409,))
    assert response.status_code == 409


def test_classify_maps_an_answer_to_an_error_class(
    make_caller: Callable[..., tuple[Caller, Scripted, SandboxServer]],
) -> None:
    class Duplicate(RemoteError):
        pass

    caller, _, _ = make_caller(
        [status(400, "Field already exists. ERROR_NON_UNIQUE_DATAFIELD")],
        classify=lambda response, text: (
            Duplicate if text.endswith("NON_UNIQUE_DATAFIELD") else None
        ),
    )
    with pytest.raises(Duplicate):
        caller.request("POST", "/v2/data-fields", idempotent=False, json={})


def test_429_waits_until_the_epoch_reset(
    make_caller: Callable[..., tuple[Caller, Scripted, SandboxServer]], clock: FakeClock
) -> None:
    reset = {"X-RateLimit-Reset": str(int(EPOCH) + 42), "X-RateLimit-Remaining": "0"}
    caller, app, _ = make_caller([status(429, "slow down", reset), ok])
    caller.request("GET", "/v2/data-fields", idempotent=True)
    assert clock.slept == [42.25]
    assert len(app.seen) == 2
    assert caller.limiter.stats() == LimiterStats(
        calls=2, waits=1, waited_seconds=42.25, rate_limited=1
    )


def test_spent_budget_waits_before_the_next_call(
    make_caller: Callable[..., tuple[Caller, Scripted, SandboxServer]], clock: FakeClock
) -> None:
    # Lower-case names and a delta reset: dotdigital-api-v2.md §4.
    headers = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "10"}
    caller, _, _ = make_caller([lambda: _with(ok(), headers), ok])
    caller.request("GET", "/v2/data-fields", idempotent=True)
    assert clock.slept == []
    caller.request("GET", "/v2/data-fields", idempotent=True)
    assert clock.slept == [10.25]
    assert caller.limiter.stats() == LimiterStats(
        calls=2, waits=1, waited_seconds=10.25, rate_limited=0
    )


def _with(response: Response, headers: dict[str, str]) -> Response:
    response.headers.update(headers)
    return response


def test_flat_rate_limit_hook_backs_off_exponentially(
    make_caller: Callable[..., tuple[Caller, Scripted, SandboxServer]], clock: FakeClock
) -> None:
    exceeded = status(
        400, "Your account has generated excess API activity. ERROR_APIUSAGE_EXCEEDED"
    )
    caller, app, _ = make_caller(
        [exceeded, exceeded, ok],
        is_rate_limited=lambda r: (
            r.status_code == 400 and json_message(r).endswith("ERROR_APIUSAGE_EXCEEDED")
        ),
    )
    caller.request("GET", "/v2/data-fields", idempotent=True)
    assert clock.slept == [60.0, 120.0]
    assert len(app.seen) == 3


def test_rate_limit_gives_up_after_its_budget(
    make_caller: Callable[..., tuple[Caller, Scripted, SandboxServer]],
) -> None:
    caller, app, server = make_caller(
        [status(429, "Too many")] * 20, policy=RetryPolicy(max_rate_limit_waits=2)
    )
    with pytest.raises(RateLimitError) as info:
        caller.request("GET", "/v2/data-fields", idempotent=True)
    assert str(info.value) == (
        f"dotmailer: rate limit still exhausted after 2 waits: GET {server.url}/v2/data-fields: "
        "HTTP 429: Too many"
    )
    assert len(app.seen) == 3


def test_dropped_create_is_outcome_unknown_and_not_retried(
    make_caller: Callable[..., tuple[Caller, Scripted, SandboxServer]], clock: FakeClock
) -> None:
    caller, app, server = make_caller([], Faults(drop_after_commit_rate=1.0, methods=("POST",)))
    with pytest.raises(OutcomeUnknownError) as info:
        caller.request("POST", "/v2/address-books", idempotent=False, json={"name": "x"})
    assert str(info.value) == (
        "dotmailer: the connection broke after the request was sent (server closed the "
        "connection without an answer); it may or may not have taken effect: "
        f"POST {server.url}/v2/address-books"
    )
    assert app.seen == [("POST", "/v2/address-books")]
    assert clock.slept == []


def test_dropped_read_is_retried(
    make_caller: Callable[..., tuple[Caller, Scripted, SandboxServer]], clock: FakeClock
) -> None:
    caller, app, server = make_caller([], Faults(drop_after_commit_rate=1.0, methods=("GET",)))
    server.set_faults(Faults(drop_after_commit_rate=1.0, methods=("GET",), seed=1))
    with pytest.raises(RemoteError) as info:
        caller.request("GET", "/v2/address-books", idempotent=True)
    assert len(app.seen) == 6
    assert clock.slept == expected_delays(5)
    assert str(info.value) == (
        "dotmailer: request failed after 6 attempts (server closed the connection without an "
        f"answer): GET {server.url}/v2/address-books"
    )


def test_connection_refused_names_the_url_only() -> None:
    clock = FakeClock()
    server = SandboxServer([Scripted([])]).start()
    url = server.url
    server.stop()  # nothing listens there any more
    with httpx.Client(base_url=url, auth=("apiuser@x.com", "s3cret-pw")) as client:
        caller = Caller(
            client,
            service="dotmailer",
            sleep=clock.sleep,
            clock=clock.time,
            rand=random.Random(1),
            policy=RetryPolicy(max_attempts=2),
        )
        with pytest.raises(RemoteError) as info:
            caller.request("GET", "/v2/account-info", idempotent=True)
    delay = RetryPolicy().delay(1, random.Random(1))
    assert str(info.value) == (
        f"dotmailer: cannot connect to {url.removeprefix('http://')} (connection refused; "
        f"2 attempts over {delay:.1f} s): GET {url}/v2/account-info"
    )
    assert "s3cret" not in str(info.value)


def test_safe_url_strips_userinfo() -> None:
    assert (
        safe_url("https://user:pw@r1-api.dotdigital.com/v2/x?a=1")
        == "https://r1-api.dotdigital.com/v2/x?a=1"
    )
