"""What the retry policy of :mod:`reconciler.providers.http` measures and says about a
request that could not be made: its time budget, and why no connection was made, to whom."""

from __future__ import annotations

import socket

import httpx

from reconciler.providers.limits import Clock

__all__ = ["Budget", "connect_reason", "host_port"]


class Budget:
    """The time one request's attempts and retry waits have taken, rate-limit waits left out."""

    def __init__(self, clock: Clock, seconds: float) -> None:
        self._clock = clock
        self._seconds = seconds
        self._start = clock()
        self._paused_at: float | None = None
        self._paused = 0.0

    def pause(self) -> None:
        self._paused_at = self._clock()

    def resume(self) -> None:
        if self._paused_at is not None:
            self._paused += self._clock() - self._paused_at
            self._paused_at = None

    def spent(self) -> float:
        return max(0.0, self._clock() - self._start - self._paused)

    def allows(self, delay: float) -> bool:
        return self.spent() + delay <= self._seconds


def host_port(url: str) -> str:
    parts = httpx.URL(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return f"{parts.host}:{port}"


def connect_reason(exc: httpx.ConnectError) -> str:
    """Why no connection was made, from the OS error under httpx's (refused, DNS, …)."""
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ConnectionRefusedError):
            return "connection refused"
        if isinstance(cause, socket.gaierror):
            return f"host name not resolved: {cause.strerror}"
        if isinstance(cause, OSError) and cause.strerror:
            return cause.strerror.lower()
        cause = cause.__cause__ or cause.__context__
    # A transport that kept only the OS error's text ("[Errno 111] Connection refused").
    text = str(exc)
    if "Connection refused" in text:
        return "connection refused"
    if "Name or service not known" in text or "nodename nor servname" in text:
        return f"host name not resolved: {text.partition('] ')[2] or text}"
    return "cannot connect"
