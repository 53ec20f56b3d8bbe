"""A light HTTP/1.1 transport under httpx, and the client the dotmailer accounts share.

httpx stays the API (requests, auth, errors, the retry policy of :mod:`reconciler.providers.http`);
only the wire is ``http.client`` (benchmarks/http_path.py: httpcore spends about twice the CPU
per small GET, and one httpcore pool shared by 32 threads spends more again, polling every idle
connection on each request). The transport keeps idle keep-alive connections per origin, checks
that an idle one was not closed by the server before reusing it (as httpcore does), and maps
failures to the httpx exceptions the retry policy reads: before the request was sent
(``ConnectError``, ``ConnectTimeout``) or after (``WriteError``, ``ReadError``,
``ReadTimeout``, ``RemoteProtocolError``), so a write whose connection broke is still reported
as an unknown outcome, never retried blindly.

TLS is verified with the process's one :func:`reconciler.providers.http.tls_context` (hostname
and chain). Proxies: when the environment names one (``HTTPS_PROXY`` etc., which httpx honours),
:func:`shared_client` keeps httpx's own transport, which speaks to proxies; this one does not.
"""

from __future__ import annotations

import http.client
import select
import ssl
import threading
import urllib.request
from typing import Any

import httpx

from reconciler.providers.http import tls_context

__all__ = ["LightTransport", "environment_names_a_proxy", "shared_client"]

Origin = tuple[str, str, int]  # scheme, host, port
_MAX_IDLE = 64  # per origin: the most threads one run sends from (RECONCILER_CONCURRENCY cap)


class LightTransport(httpx.BaseTransport):
    """HTTP/1.1 over ``http.client`` with a keep-alive pool per origin. Thread-safe."""

    def __init__(self, *, context: ssl.SSLContext | None = None) -> None:
        self._context = context or tls_context()
        self._lock = threading.Lock()
        self._idle: dict[Origin, list[http.client.HTTPConnection]] = {}
        self._closed = False

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        scheme = url.scheme
        if scheme not in ("http", "https"):
            raise httpx.UnsupportedProtocol(f"unsupported URL scheme {scheme!r}", request=request)
        origin = (scheme, url.host, url.port or (443 if scheme == "https" else 80))
        timeouts = request.extensions.get("timeout") or {}
        body = request.read()
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.headers.raw]
        connection = self._take(origin)
        if connection is None:
            connection = self._connect(origin, timeouts.get("connect"), request)
        try:
            connection.sock.settimeout(timeouts.get("write"))
            connection.putrequest(request.method, url.raw_path.decode("ascii"),
                                  skip_host=True, skip_accept_encoding=True)  # fmt: skip
            for name, value in headers:
                connection.putheader(name, value)
            connection.endheaders(body or None)
        except TimeoutError:
            connection.close()
            raise httpx.WriteTimeout("timed out sending the request", request=request) from None
        except OSError as exc:
            connection.close()
            raise httpx.WriteError(str(exc), request=request) from None
        try:
            connection.sock.settimeout(timeouts.get("read"))
            answer = connection.getresponse()
            content = answer.read()
        except TimeoutError:
            connection.close()
            raise httpx.ReadTimeout("timed out reading the answer", request=request) from None
        except (http.client.HTTPException, ConnectionResetError) as exc:
            connection.close()
            raise httpx.RemoteProtocolError(_reason(exc), request=request) from None
        except OSError as exc:
            connection.close()
            raise httpx.ReadError(str(exc), request=request) from None
        if answer.will_close:
            connection.close()
        else:
            self._give_back(origin, connection)
        return httpx.Response(
            answer.status,
            headers=answer.getheaders(),
            content=content,
            extensions={"http_version": b"HTTP/1.1", "reason_phrase": answer.reason.encode()},
        )

    def _connect(
        self, origin: Origin, timeout: float | None, request: httpx.Request
    ) -> http.client.HTTPConnection:
        scheme, host, port = origin
        connection = (
            http.client.HTTPSConnection(host, port, timeout=timeout, context=self._context)
            if scheme == "https"
            else http.client.HTTPConnection(host, port, timeout=timeout)
        )
        try:
            connection.connect()  # TLS: handshake, chain and hostname checked here
        except TimeoutError:
            connection.close()
            raise httpx.ConnectTimeout("timed out connecting", request=request) from None
        except OSError as exc:  # refused, unreachable, and ssl.SSLError (a bad certificate)
            connection.close()
            raise httpx.ConnectError(str(exc), request=request) from None
        return connection

    def _take(self, origin: Origin) -> http.client.HTTPConnection | None:
        while True:
            with self._lock:
                idle = self._idle.get(origin)
                if not idle:
                    return None
                connection = idle.pop()
            if _usable(connection):
                return connection
            connection.close()  # the server closed it while it was idle

    def _give_back(self, origin: Origin, connection: http.client.HTTPConnection) -> None:
        with self._lock:
            idle = self._idle.setdefault(origin, [])
            if not self._closed and len(idle) < _MAX_IDLE:
                idle.append(connection)
                return
        connection.close()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            connections = [c for idle in self._idle.values() for c in idle]
            self._idle.clear()
        for connection in connections:
            connection.close()


def _usable(connection: http.client.HTTPConnection) -> bool:
    """An idle keep-alive connection is reusable when nothing can be read from it: readable
    means the server closed it (EOF) or sent something unasked (httpcore's ``is_readable``)."""
    sock = connection.sock
    if sock is None:
        return False
    try:
        if hasattr(select, "poll"):  # no FD_SETSIZE limit, unlike select()
            poller = select.poll()
            poller.register(sock, select.POLLIN)
            return not poller.poll(0)
        readable, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return False
    return not readable


def _reason(exc: Exception) -> str:
    if isinstance(exc, http.client.RemoteDisconnected | ConnectionResetError):
        return "server closed the connection without an answer"
    return f"malformed answer ({type(exc).__name__})"


def environment_names_a_proxy() -> bool:
    """What httpx reads for ``trust_env`` proxies (``get_environment_proxies`` is built on it);
    ``NO_PROXY`` alone names no proxy."""
    return any(scheme != "no" for scheme in urllib.request.getproxies())


def shared_client(
    *,
    timeout: float,
    transport: httpx.BaseTransport | None = None,
    **kwargs: object,
) -> httpx.Client:
    """One client for many accounts: no auth, no cookies kept (credentials go per request, so
    one account's never ride on another's), TLS verified, redirects not followed."""
    if transport is None and not environment_names_a_proxy():
        transport = LightTransport()
    client = _CookielessClient(
        transport=transport,
        verify=tls_context(),
        timeout=httpx.Timeout(timeout),
        follow_redirects=False,
        **kwargs,
    )
    return client


class _NoCookies(httpx.Cookies):
    """A jar that takes no cookie from any answer: a Set-Cookie answered to one account is
    never sent with another's requests. It does not even read them: httpx's cookie handling of
    each answer (urllib's request and cookie parsing, even for a jar that refuses them all) was
    a tenth of an apply's CPU (benchmarks/scale.py)."""

    def extract_cookies(self, response: httpx.Response) -> None:
        return None


class _CookielessClient(httpx.Client):
    """An ``httpx.Client`` whose cookies are always the empty :class:`_NoCookies`."""

    def __init__(self, **kwargs: Any) -> None:
        self._no_cookies = _NoCookies()
        super().__init__(**kwargs)

    @property
    def cookies(self) -> httpx.Cookies:
        return self._no_cookies

    @cookies.setter
    def cookies(self, cookies: object) -> None:
        raise TypeError("the shared client keeps no cookies")
