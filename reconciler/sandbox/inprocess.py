"""The emulators without a socket: an httpx transport that hands each request to the app its
path belongs to (the apps are already ``handle(request) -> response``).

For tests of one module that still go through the real clients (request building, error
mapping, paging) but need no server thread: the executor's tests run against the emulators
this way. Everything else uses :class:`~reconciler.sandbox.core.SandboxServer` on loopback.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from urllib.parse import parse_qs

import httpx

from reconciler.sandbox.core import App, Headers, Request, Response, app_for

BASE_URL = "http://127.0.0.1:9"  # never connected to: the transport answers every request


@dataclass
class InProcess:
    """``transport`` for the clients; ``calls`` logs ``METHOD /path`` of every request.
    ``after_app`` sees each answer once the app made it, and may raise (an httpx transport
    error there is a connection dropped after the change was made, SPEC §6) or answer
    another response in its place (a server that lies)."""

    apps: Sequence[App]
    calls: list[str] = field(default_factory=list)
    after_app: Callable[[httpx.Request, httpx.Response], httpx.Response | None] | None = None

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self._handle)

    def _handle(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        # As the server does: the path as sent, percent-decoding left to the app.
        path, _, query = url.raw_path.decode("ascii").partition("?")
        self.calls.append(f"{request.method} {path}")
        app = app_for(self.apps, path)
        if app is None:
            answer = Response.json(404, {"message": f"No route for {path}"})
        else:
            answer = app.handle(
                Request(
                    method=request.method,
                    path=path,
                    query=parse_qs(query, keep_blank_values=True),
                    headers=Headers(request.headers.multi_items()),
                    body=request.read(),
                    base_url=f"{url.scheme}://{url.netloc.decode('ascii')}",
                )
            )
        response = httpx.Response(answer.status, headers=answer.headers, content=answer.body)
        if self.after_app is not None:
            return self.after_app(request, response) or response
        return response
