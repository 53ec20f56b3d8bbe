"""The HTTP plumbing shared by the dotmailer and Oro emulators.

Each emulator is an :class:`App`: a pure ``handle(request) -> response`` over its own world,
mounted under one or more path prefixes. :class:`SandboxServer` serves any number of apps on one
loopback port from a thread, and applies the per-run faults of SPEC §6 (latency, a share of 5xx
answers, timeouts, and "commit then drop the connection") before or after the app runs.
"""

from __future__ import annotations

import contextlib
import json
import random
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol
from urllib.parse import parse_qs, urlsplit


class Headers:
    """Case-insensitive, read-only header mapping (HTTP/2 sends names in lower case)."""

    def __init__(self, items: Iterable[tuple[str, str]] = ()) -> None:
        self._items = {k.lower(): v for k, v in items}

    def get(self, name: str, default: str | None = None) -> str | None:
        return self._items.get(name.lower(), default)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._items

    def items(self) -> list[tuple[str, str]]:
        return sorted(self._items.items())


@dataclass(frozen=True)
class Request:
    method: str
    path: str  # without the query string, percent-decoding left to the app
    query: Mapping[str, list[str]]
    headers: Headers
    body: bytes = b""
    base_url: str = ""  # scheme://host:port of the server that received it

    def query_one(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else None

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8"))


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(
        cls, status: int, payload: Any, *, content_type: str = "application/json; charset=utf-8"
    ) -> Response:
        return cls(
            status,
            json.dumps(payload, separators=(",", ":"), sort_keys=False).encode("utf-8"),
            {"Content-Type": content_type},
        )

    @classmethod
    def empty(cls, status: int, headers: Mapping[str, str] | None = None) -> Response:
        return cls(status, b"", dict(headers or {}))


class App(Protocol):
    """One emulator. ``prefixes`` are the path prefixes it answers, e.g. ``("/v2/",)``."""

    prefixes: tuple[str, ...]

    def handle(self, request: Request) -> Response: ...


def app_for(apps: Iterable[App], path: str) -> App | None:
    """The app whose longest prefix the path starts with."""
    best: tuple[int, App] | None = None
    for app in apps:
        for prefix in app.prefixes:
            if (path.startswith(prefix) or path == prefix.rstrip("/")) and (
                best is None or len(prefix) > best[0]
            ):
                best = (len(prefix), app)
    return best[1] if best else None


@dataclass
class Faults:
    """Faults injected per run. ``paths`` limits them to paths starting with one of the prefixes
    (empty: every path). ``methods`` likewise limits them to some methods (empty: all)."""

    latency_ms: float = 0.0
    error_rate: float = 0.0  # share of requests answered 503 before the app sees them
    timeout_rate: float = 0.0  # share of requests that hang for ``timeout_seconds`` then close
    timeout_seconds: float = 5.0
    drop_after_commit_rate: float = 0.0  # app runs (change made), then the socket is closed
    paths: tuple[str, ...] = ()
    methods: tuple[str, ...] = ()
    seed: int | None = None

    def applies_to(self, method: str, path: str) -> bool:
        if self.methods and method.upper() not in {m.upper() for m in self.methods}:
            return False
        return not self.paths or any(path.startswith(p) for p in self.paths)


@dataclass
class FaultCounters:
    errors: int = 0
    timeouts: int = 0
    drops: int = 0


class _QuietServer(ThreadingHTTPServer):
    """A client that hangs up (a killed apply, a client timeout) is normal here, not news."""

    daemon_threads = True
    # socketserver's default backlog of 5 drops the SYNs of a burst of new connections (a
    # refresh opens one per dotmailer account, 32 at once), and each dropped one waits for the
    # client's 1 s SYN retransmit (benchmarks/scale.py).
    request_queue_size = 128

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)


class _Dropped(Exception):
    """Raised inside the handler to close the connection without an answer."""


class SandboxServer:
    """Serves apps on ``host:port`` (port 0 picks a free one) from a daemon thread."""

    def __init__(
        self,
        apps: Iterable[App],
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        faults: Faults | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.apps = list(apps)
        self.faults = faults or Faults()
        self.fault_counters = FaultCounters()
        self._sleep = sleep
        self._lock = threading.Lock()
        self._rng = random.Random(self.faults.seed)
        self._httpd = _QuietServer((host, port), self._handler_class())
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None
        # Test hooks: called around the app for every request (crash-injection tests kill the
        # client between "the change is made" and "the client hears back").
        self.before_app: Callable[[Request], None] | None = None
        self.after_app: Callable[[Request, Response], None] | None = None

    @property
    def url(self) -> str:
        host, port = self._address()
        return f"http://{host}:{port}"

    def _address(self) -> tuple[str, int]:
        address = self._httpd.server_address
        assert isinstance(address, tuple)
        return str(address[0]), int(address[1])

    def set_faults(self, faults: Faults) -> None:
        with self._lock:
            self.faults = faults
            self._rng = random.Random(faults.seed)

    def start(self) -> SandboxServer:
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},  # stop() returns within 50 ms, not 500
            name="sandbox-server",
            daemon=True,
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._httpd.serve_forever()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- request dispatch --------------------------------------------------------------

    def dispatch(self, request: Request) -> Response:
        """Route a request to its app, applying faults. Raises _Dropped to drop the socket."""
        faults = self.faults
        active = faults.applies_to(request.method, request.path)
        if faults.latency_ms and active:
            self._sleep(faults.latency_ms / 1000.0)
        if active:
            with self._lock:
                roll_error = self._rng.random()
                roll_timeout = self._rng.random()
                roll_drop = self._rng.random()
            if roll_timeout < faults.timeout_rate:
                self.fault_counters.timeouts += 1
                self._sleep(faults.timeout_seconds)
                raise _Dropped
            if roll_error < faults.error_rate:
                self.fault_counters.errors += 1
                return Response.json(503, {"message": "Service unavailable (injected)."})
        app = self._app_for(request.path)
        if app is None:
            return Response.json(404, {"message": f"No route for {request.path}"})
        if self.before_app is not None:
            self.before_app(request)
        response = app.handle(request)
        if self.after_app is not None:
            self.after_app(request, response)
        if active and roll_drop < faults.drop_after_commit_rate:
            self.fault_counters.drops += 1
            raise _Dropped
        return response

    def _app_for(self, path: str) -> App | None:
        return app_for(self.apps, path)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                # Headers and body go out in two writes; without this, Nagle's algorithm and
                # the client's delayed ACK add ~40 ms to every keep-alive request.
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def log_message(self, format: str, *args: Any) -> None:
                return  # quiet: tests and the CLI read the counters instead

            def _serve(self) -> None:
                split = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                host, port = server._address()
                request = Request(
                    method=self.command,
                    path=split.path,
                    query=parse_qs(split.query, keep_blank_values=True),
                    headers=Headers(self.headers.items()),
                    body=body,
                    base_url=f"http://{self.headers.get('Host') or f'{host}:{port}'}",
                )
                try:
                    response = server.dispatch(request)
                except _Dropped:
                    self.close_connection = True
                    with contextlib.suppress(OSError):
                        self.connection.shutdown(socket.SHUT_RDWR)
                    return
                except Exception as exc:  # an emulator bug must not kill the server thread
                    response = Response.json(500, {"message": f"Sandbox error: {exc!r}"})
                self.send_response(response.status)
                for name, value in response.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(response.body)))
                self.end_headers()
                if self.command != "HEAD" and response.body:
                    self.wfile.write(response.body)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_HEAD = _serve

        return Handler
